"""Invoke against config-declared functions (lambda-events.md section 2, sluice functions contract):
the command executor (stdin/stdout, exit codes, environment, working directory), the runtime executor
with the REAL awslambdaric, the http executor, invocation types, LogType Tail, timeouts and the
per-function concurrency limit."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time

import requests

from lambda_helpers import (  # noqa: F401  (fixtures)
    SSEStream,
    UUID_RE,
    expect_lambda_error,
    function_arn,
    invoke,
    lam,
    lambda_env,
    make_lambda_client,
    metric_value,
    uniq,
)


# --------------------------------------------------------------------------
# command executor
# --------------------------------------------------------------------------
def test_command_executor_stdin_event_stdout_response(lam):
    event = {"hello": "world", "n": [1, 2, 3], "nested": {"ü": "ß"}}
    inv = invoke(lam.lam, "echo", event)
    assert inv.status == 200 and inv.http_status == 200, inv
    assert inv.function_error is None, inv
    assert inv.executed_version == "$LATEST", inv.headers
    out = inv.json()
    assert out["event"] == event, "the handler reads exactly the event JSON on stdin"
    # environment: user variables + the standard ones
    env = out["env"]
    assert env["GREETING"] == "hello from config"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "5"
    assert env["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL points SDKs inside the function at sluice"
    assert requests.get(env["AWS_ENDPOINT_URL"].rstrip("/") + "/health", timeout=5).status_code == 200, \
        f"AWS_ENDPOINT_URL {env['AWS_ENDPOINT_URL']!r} does not reach the server"
    # working-directory: ./work, relative to the config file's directory
    assert os.path.realpath(out["cwd"]) == os.path.realpath(lam.work_dir)
    assert out["marker"] == "work-dir-marker"


def test_command_executor_inherits_no_server_descriptors(lam):
    """The handler process gets stdin/stdout/stderr only: no listening sockets, client connections or log
    files of the server (an inherited listening socket keeps the broker's port bound after it died)."""
    fds = invoke(lam.lam, "echo", {"fds": 1}).json()["fds"]
    assert fds == {}, f"descriptors inherited from sluice: {fds}"


def test_command_executor_by_arn_and_empty_payload(lam):
    inv = invoke(lam.lam, function_arn("echo"))  # no payload at all
    assert inv.status == 200 and inv.function_error is None, inv
    assert inv.json()["event"] in (None, {}), "no payload: the handler gets an empty event"


def test_command_executor_empty_stdout_is_null(lam):
    inv = invoke(lam.lam, "echo", {"silent": True})
    assert inv.status == 200 and inv.function_error is None, inv
    assert inv.raw.strip() == b"null", f"empty stdout must answer null, got {inv.raw[:200]!r}"


def test_command_executor_nonzero_exit_is_unhandled(lam):
    inv = invoke(lam.lam, "echo", {"exit": 3, "stderr": "exploding on purpose"})
    assert inv.status == 200 and inv.http_status == 200, "a function error is still HTTP 200"
    assert inv.function_error == "Unhandled", inv
    err = inv.json()
    assert isinstance(err, dict) and isinstance(err.get("errorMessage"), str) and err["errorMessage"], err
    assert isinstance(err.get("errorType"), str) and err["errorType"], err
    # the function keeps working afterwards
    assert invoke(lam.lam, "echo", {"again": 1}).json()["event"] == {"again": 1}


def test_command_executor_log_tail(lam):
    marker = uniq("stderr-marker")
    after = uniq("after-response")
    inv = invoke(lam.lam, "echo", {"log": marker, "trailing": after}, LogType="Tail")
    assert inv.status == 200 and inv.function_error is None, inv
    assert inv.json()["event"]["log"] == marker, "text printed after the response JSON is not part of it"
    log = inv.log
    assert len(log.encode()) <= 4096, f"LogResult holds at most the last 4 KB, got {len(log.encode())} bytes"
    start = re.search(r"START RequestId: ([0-9a-f-]{36})", log)
    assert start, f"no START line in the tail log:\n{log}"
    rid = start.group(1)
    assert f"END RequestId: {rid}" in log, log
    assert re.search(rf"REPORT RequestId: {rid}\s+Duration: [\d.]+ ms", log), log
    assert marker in log, f"stderr of the handler belongs in the log:\n{log}"
    assert after in log, f"stdout after the response belongs in the log:\n{log}"
    assert log.index(marker) > log.index("START RequestId") and log.index(marker) < log.index("END RequestId")


def test_log_tail_only_when_asked(lam):
    inv = invoke(lam.lam, "echo", {"x": 1})
    assert inv.log_result is None, "X-Amz-Log-Result only with LogType Tail"
    inv = invoke(lam.lam, "echo", {"x": 1}, LogType="None")
    assert inv.log_result is None


# --------------------------------------------------------------------------
# invocation types
# --------------------------------------------------------------------------
def test_invocation_types_event_and_dryrun(lam):
    dry_key, event_key = uniq("dry"), uniq("evt")
    r = invoke(lam.lam, "rec", {"key": dry_key}, InvocationType="DryRun")
    assert r.status == 204 and r.http_status == 204 and r.raw == b"", r
    r = invoke(lam.lam, "rec", {"key": event_key, "async": True}, InvocationType="Event")
    assert r.status == 202 and r.http_status == 202 and r.raw == b"", r
    assert r.function_error is None
    invs = lam.wait_records(event_key, 1, timeout=10, what="the Event invocation")
    assert invs[0]["event"] == {"key": event_key, "async": True}
    assert invs[0]["function"] == "rec"
    assert lam.records(dry_key) == [], "DryRun must not run the function"


def test_invoke_unknown_function_is_404(lam):
    name = uniq("nope")
    err = expect_lambda_error(lambda: lam.lam.invoke(FunctionName=name, Payload=b"{}"),
                              "ResourceNotFoundException", 404)
    assert name in err.get("Message", ""), err
    expect_lambda_error(lambda: lam.lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}"),
                        "ResourceNotFoundException", 404)
    expect_lambda_error(lambda: lam.lam.get_function(FunctionName=name), "ResourceNotFoundException", 404)
    # the raw error shape: x-amzn-ErrorType header, JSON body with Type User
    r = requests.post(f"{lam.endpoint}/2015-03-31/functions/{name}/invocations", data=b"{}", timeout=10)
    assert r.status_code == 404
    assert r.headers.get("x-amzn-ErrorType", "").split(":")[0] == "ResourceNotFoundException", dict(r.headers)
    body = r.json()
    assert body.get("Type") == "User", body
    assert name in (body.get("message") or body.get("Message") or ""), body


# --------------------------------------------------------------------------
# runtime executor (real awslambdaric)
# --------------------------------------------------------------------------
def test_runtime_executor_with_awslambdaric(lam):
    inv = invoke(lam.lam, "rt-py", {"print": "hello-from-rt", "n": 1}, LogType="Tail")
    assert inv.status == 200 and inv.function_error is None, inv
    out = inv.json()
    assert out["event"] == {"print": "hello-from-rt", "n": 1}
    assert out["function_name"] == "rt-py"
    assert UUID_RE.match(out["request_id"]), out["request_id"]
    assert 1000 < out["remaining_ms"] <= 5000, \
        f"get_remaining_time_in_millis() {out['remaining_ms']} must reflect the 5 s timeout (Deadline-Ms)"
    assert out["invoked_function_arn"] == function_arn("rt-py")
    assert out["memory_limit_in_mb"] == "256"
    assert out["env"]["GREETING"] == "hi from the runtime"
    assert out["env"]["AWS_REGION"] == "us-east-1"
    assert out["env"]["AWS_LAMBDA_RUNTIME_API"] and re.match(r"^127\.0\.0\.1:\d+$", out["env"]["AWS_LAMBDA_RUNTIME_API"])
    # code: ./functions/rt, relative to the config file
    assert os.path.realpath(out["cwd"]) == os.path.realpath(lam.dir / "functions" / "rt")
    log = inv.log
    assert f"START RequestId: {out['request_id']}" in log, \
        f"the log's START line carries the function's aws_request_id:\n{log}"
    assert f"END RequestId: {out['request_id']}" in log and f"REPORT RequestId: {out['request_id']}" in log, log
    assert "hello-from-rt" in log, log

    # workers are kept warm: the next invocation is served by the same process, with a new request id
    inv2 = invoke(lam.lam, "rt-py", {"n": 2})
    out2 = inv2.json()
    assert out2["pid"] == out["pid"] and out2["cold_start"] == out["cold_start"], "worker kept warm"
    assert out2["request_id"] != out["request_id"]


def test_runtime_executor_client_context(lam):
    """X-Amz-Client-Context (base64 JSON) reaches the handler as context.client_context."""
    cc = base64.b64encode(json.dumps({"custom": {"tenant": "t-1"}, "env": {"locale": "en"}}).encode()).decode()
    inv = invoke(lam.lam, "rt-py", {"cc": 1}, ClientContext=cc)
    assert inv.function_error is None, inv
    assert inv.json()["client_context_custom"] == {"tenant": "t-1"}
    assert invoke(lam.lam, "rt-py", {"cc": 0}).json()["client_context_custom"] is None


def test_invoke_payload_must_be_json(lam):
    expect_lambda_error(lambda: lam.lam.invoke(FunctionName="echo", Payload=b"this is not json"),
                        "InvalidRequestContentException", 400)


def test_runtime_executor_exception_is_unhandled(lam):
    inv = invoke(lam.lam, "rt-py", {"raise": "ValueError", "message": "bad input 42"})
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    err = inv.json()
    assert err["errorType"] == "ValueError", err
    assert err["errorMessage"] == "bad input 42", err
    assert isinstance(err.get("stackTrace"), list), err
    # the worker survives a handler exception
    ok = invoke(lam.lam, "rt-py", {"after": "error"})
    assert ok.function_error is None and ok.json()["event"] == {"after": "error"}, ok


def test_runtime_executor_timeout_then_recovers(lam):
    t0 = time.monotonic()
    inv = invoke(lam.lam, "rt-short", {"sleep": 30})
    took = time.monotonic() - t0
    assert inv.function_error == "Unhandled", inv
    assert "Task timed out" in inv.json().get("errorMessage", ""), inv
    assert 0.8 <= took < 6, f"timeout 1 s, Invoke returned after {took:.2f}s"
    ok = invoke(lam.lam, "rt-short", {"fine": True})
    assert ok.function_error is None and ok.json()["event"] == {"fine": True}, ok


# --------------------------------------------------------------------------
# timeouts (command executor)
# --------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_hanging_handler_hits_its_timeout(lam, tmp_path):
    pidfile = tmp_path / "hang.pid"
    t0 = time.monotonic()
    inv = invoke(lam.lam, "hang", {"pidfile": str(pidfile)})
    took = time.monotonic() - t0
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    msg = inv.json().get("errorMessage", "")
    assert "Task timed out" in msg, inv
    assert 0.9 <= took < 5, f"timeout 1 s, Invoke returned after {took:.2f}s"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(pid), "the timed-out handler process must be killed"


# --------------------------------------------------------------------------
# http executor
# --------------------------------------------------------------------------
def test_http_executor(lam):
    event = {"order": uniq("o"), "qty": 3}
    inv = invoke(lam.lam, "web", event)
    assert inv.status == 200 and inv.function_error is None, inv
    assert inv.json() == {"echo": event, "path": "/invoke"}
    [req] = [r for r in lam.backend.requests if event["order"].encode() in r["body"]]
    assert req["method"] == "POST" and req["path"] == "/invoke"
    assert json.loads(req["body"]) == event, "sluice POSTs exactly the event JSON"

    bad = invoke(lam.lam, "web", {"status": 500, "order": uniq("o")})
    assert bad.status == 200 and bad.function_error == "Unhandled", \
        f"a non-2xx answer of the http executor is a function error: {bad}"


# --------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------
def test_concurrency_limit_is_never_exceeded(lam):
    key = uniq("c")
    client = make_lambda_client(lam.endpoint)
    results: dict[int, object] = {}

    def one(i):
        try:
            results[i] = invoke(client, "conc", {"key": key, "i": i, "sleep": 0.5})
        except Exception as e:  # noqa: BLE001
            results[i] = e

    stream = SSEStream(lam.endpoint, "/_sluice/events?function=conc&kind=function.throttled")
    try:
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        throttled = stream.wait(lambda e: e["event"] == "function.throttled", timeout=2)
    finally:
        stream.close()
    bad = {i: r for i, r in results.items() if not (hasattr(r, "status") and r.status == 200
                                                    and r.function_error is None)}
    assert len(results) == 8 and not bad, f"all 8 must succeed (excess invocations wait): {bad}"
    assert sorted(r.json()["i"] for r in results.values()) == list(range(8))
    spans = []
    for i in range(8):
        d = json.loads((lam.conc_dir / f"{key}-{i}.json").read_text())
        spans.append((d["start"], d["end"]))
    points = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda p: (p[0], p[1]))
    cur = peak = 0
    for _, d in points:
        cur += d
        peak = max(peak, cur)
    assert peak <= 2, f"concurrency: 2, but {peak} handlers ran at the same time: {spans}"
    assert peak == 2, f"8 parallel invocations with concurrency 2 should run 2 at a time, peak {peak}"
    assert throttled, "invocations beyond the limit publish function.throttled"


def test_waiting_invocations_count_as_throttles(lam):
    def throttles():
        text = requests.get(lam.endpoint + "/metrics", timeout=10).text
        return metric_value(text, "lambda_throttles_total", function_name="conc")

    before = throttles()
    assert before is not None, "lambda_throttles_total{function_name=\"conc\"} is not exported"
    key = uniq("t")
    client = make_lambda_client(lam.endpoint)
    threads = [threading.Thread(target=invoke, args=(client, "conc", {"key": key, "i": i, "sleep": 0.3}))
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert throttles() >= before + 1, "3 parallel invocations with concurrency 2: at least one waited (a throttle)"
