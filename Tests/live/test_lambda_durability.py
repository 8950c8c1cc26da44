"""Functions state survives restarts (sluice is a durable broker): event source mappings created through
the API, functions created through the API, and config-declared mappings (created idempotently at every
start) — after SIGTERM + restart and after kill -9 + restart."""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import time

import yaml

from lambda_helpers import (
    ACCOUNT,
    FUNCS,
    create_mapping,
    function_arn,
    invoke,
    make_lambda_client,
    make_sqs,
    make_zip,
    pids_with_env,
    queue_arn,
    read_jsonl,
    recorder_function,
    sqs_records,
    uniq,
    wait_esm_state,
    wait_queue_empty,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"


def _wait_body(rec_file, body: str, srv, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        recs = sqs_records(read_jsonl(rec_file))
        if any(r["body"] == body for r in recs):
            return recs
        assert time.monotonic() < deadline, f"the handler never got {body!r}; got {[r['body'] for r in recs]}\n" \
                                            f"{srv.tail(30)}"
        time.sleep(0.1)


def test_mappings_and_functions_persist_across_restarts(private_server, tmp_path):
    rec_dir = tmp_path / "rec"
    rec_dir.mkdir()
    cfg = tmp_path / "sluice.yaml"
    cfg.write_text(yaml.safe_dump({
        "queues": [{"name": "dur-api-q"}, {"name": "dur-cfg-q"}],
        "functions": [recorder_function("rec", rec_dir, events=[{"queue": "dur-cfg-q", "batch-size": 2}])],
    }, sort_keys=False))
    srv = private_server(extra_args=["--config", str(cfg)])
    zname = uniq("durzip")
    try:
        _persist(srv, zname, rec_dir)
    finally:
        srv.terminate()
        kill_pids(_worker_pids(zname))  # workers orphaned by the kill -9 (see the next test)


def _persist(srv, zname, rec_dir):
    lam, sqs = make_lambda_client(srv.endpoint), make_sqs(srv.endpoint)

    esm = create_mapping(lam, "rec", queue_arn("dur-api-q"), BatchSize=1)["UUID"]
    [cfg_esm] = lam.list_event_source_mappings(EventSourceArn=queue_arn("dur-cfg-q"))["EventSourceMappings"]
    lam.create_function(FunctionName=zname, Runtime="python3.11", Handler="app.handler", Role=ROLE, Timeout=5,
                        Code={"ZipFile": make_zip({"app.py": textwrap.dedent("""\
                            def handler(event, context):
                                return {"persisted": True, "name": context.function_name}
                            """)})})
    url = sqs.get_queue_url(QueueName="dur-api-q")["QueueUrl"]
    cfg_url = sqs.get_queue_url(QueueName="dur-cfg-q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="before restart")
    _wait_body(rec_dir / "dur-api-q.jsonl", "before restart", srv)
    wait_queue_empty(sqs, url)

    for how in ("restart", "kill9"):
        if how == "restart":
            srv.restart()
        else:
            srv.kill9()
            srv.start()
        lam, sqs = make_lambda_client(srv.endpoint), make_sqs(srv.endpoint)
        got = wait_esm_state(lam, esm, "Enabled")
        assert got["EventSourceArn"] == queue_arn("dur-api-q") and got["BatchSize"] == 1, got
        assert got["FunctionArn"] == function_arn("rec")
        cfg_maps = lam.list_event_source_mappings(EventSourceArn=queue_arn("dur-cfg-q"))["EventSourceMappings"]
        assert [m["UUID"] for m in cfg_maps] == [cfg_esm["UUID"]], \
            f"config mappings are created idempotently ({how}): {cfg_maps}"
        body = f"after {how}"
        sqs.send_message(QueueUrl=url, MessageBody=body)
        _wait_body(rec_dir / "dur-api-q.jsonl", body, srv)
        sqs.send_message(QueueUrl=cfg_url, MessageBody=body)
        _wait_body(rec_dir / "dur-cfg-q.jsonl", body, srv)
        wait_queue_empty(sqs, url)
        inv = invoke(lam, zname, {})
        assert inv.function_error is None and inv.json() == {"persisted": True, "name": zname}, \
            f"a function created through the API survives ({how}): {inv}"
    # nothing was delivered twice
    bodies = [r["body"] for r in sqs_records(read_jsonl(rec_dir / "dur-api-q.jsonl"))]
    assert sorted(bodies) == sorted(["before restart", "after restart", "after kill9"]), bodies


def kill_pids(pids: list[int]):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _worker_pids(function_name: str) -> list[int]:
    return pids_with_env(f"AWS_LAMBDA_FUNCTION_NAME={function_name}")


def test_kill9_leaves_no_workers_and_frees_the_port(private_server, tmp_path):
    """After the broker is killed (-9), its warm runtime workers must not live on (blocked forever on
    /next) nor keep its port bound: a restart on the same port must be possible."""
    name = uniq("orphan")
    cfg = tmp_path / "sluice.yaml"
    cfg.write_text(yaml.safe_dump({"functions": [
        {"name": name, "executor": "runtime", "runtime": "python3.11", "handler": "app.handler",
         "code": str(FUNCS / "rt"), "timeout": 5}]}))
    srv = private_server(extra_args=["--config", str(cfg)])
    lam = make_lambda_client(srv.endpoint)
    assert invoke(lam, name, {}).function_error is None
    assert _worker_pids(name), "a warm runtime worker exists after the invocation"
    port = srv.port
    srv.kill9()
    deadline = time.monotonic() + 5
    while _worker_pids(name) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _worker_pids(name)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
            port_free = True
        except OSError:
            port_free = False
    kill_pids(left)  # clean up what the test found
    assert not left and port_free, \
        f"after kill -9: runtime workers still running: {left}; port {port} free: {port_free}"


def test_pending_async_retries_survive_a_restart(private_server, tmp_path):
    """Pending asynchronous invocations are stored: a failing Event invocation whose retry is due after a
    restart is still retried (async-retry-delay 1 s: attempts at 0, 1 and 3 s)."""
    rec_dir = tmp_path / "rec"
    rec_dir.mkdir()
    cfg = tmp_path / "sluice.yaml"
    cfg.write_text(yaml.safe_dump({
        "server": {"async-retry-delay": 1},
        "functions": [recorder_function("failing", rec_dir, environment={"FORCE_MODE": "fail"})],
    }, sort_keys=False))
    srv = private_server(extra_args=["--config", str(cfg)])
    key = uniq("async")
    assert invoke(make_lambda_client(srv.endpoint), "failing", {"key": key}, InvocationType="Event").status == 202
    path = rec_dir / f"{key}.jsonl"
    deadline = time.monotonic() + 10
    while len(read_jsonl(path)) < 1:
        assert time.monotonic() < deadline, "the first attempt never ran"
        time.sleep(0.05)
    srv.restart()
    deadline = time.monotonic() + 15
    while len(read_jsonl(path)) < 3:
        assert time.monotonic() < deadline, \
            f"after the restart the retries did not run: {len(read_jsonl(path))} attempt(s)\n{srv.tail(20)}"
        time.sleep(0.1)
    assert len(read_jsonl(path)) == 3
