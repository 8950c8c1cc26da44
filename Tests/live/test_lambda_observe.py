"""Observing functions (sluice contract): the event bus `GET /_sluice/events` (Server-Sent Events),
`sluice tail`, the function logs endpoint and file, and the Prometheus / YACE metrics."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import requests

from lambda_helpers import (  # noqa: F401  (fixtures)
    ISO_RE,
    SSEStream,
    invoke,
    lam,
    lambda_env,
    mappings,
    metric_samples,
    metric_value,
    queue_arn,
    sluice_binary,
    uniq,
)

KINDS = {"message.available", "message.dead-lettered", "notification.delivered", "notification.failed",
         "function.invoked", "function.finished", "function.failed", "function.throttled"}


def _check_event(e: dict):
    assert e["event"] in KINDS, f"unknown event kind {e['event']!r}"
    d = e["data"]
    assert isinstance(d, dict), f"data must be a JSON object: {e['raw']!r}"
    assert d["kind"] == e["event"], f"'event:' line {e['event']!r} != data.kind {d.get('kind')!r}"
    assert ISO_RE.match(d["time"]), d["time"]


def _until(stream: SSEStream, pred, action, timeout: float = 6.0, every: float = 1.0) -> list[dict]:
    """Repeat ``action`` (the stream may register its listener right after the headers) until an event
    matching ``pred`` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        action()
        got = stream.wait(pred, timeout=min(every, max(0.0, deadline - time.monotonic())))
        if got:
            return got
        assert time.monotonic() < deadline, \
            f"no matching event within {timeout}s; received {[e['raw'] for e in stream.events][:20]} {stream.errors}"


def test_event_bus_queue_events(lam):
    sqs = lam.sqs
    q = uniq("busq")
    other = uniq("busother")
    url = sqs.create_queue(QueueName=q)["QueueUrl"]
    other_url = sqs.create_queue(QueueName=other)["QueueUrl"]
    stream = SSEStream(lam.endpoint, f"/_sluice/events?queue={q}")
    try:
        def send():
            sqs.send_message(QueueUrl=other_url, MessageBody="elsewhere")
            sqs.send_message(QueueUrl=url, MessageBody="here")

        got = _until(stream, lambda e: e["event"] == "message.available", send)
        assert stream.wait_head() == 200, stream.errors
        assert stream.headers.get("content-type", "").split(";")[0].strip() == "text/event-stream", stream.headers
        for e in stream.events:
            _check_event(e)
            assert e["data"].get("queue") == q, f"?queue={q} must only carry that queue's events: {e['raw']}"
        assert got[0]["data"]["queue"] == q
    finally:
        stream.close()


def test_event_bus_function_events(lam):
    stream = SSEStream(lam.endpoint, "/_sluice/events?function=echo")
    try:
        _until(stream, lambda e: e["event"] == "function.finished", lambda: invoke(lam.lam, "echo", {"bus": 1}))
        assert stream.wait_head() == 200, stream.errors
        assert stream.wait(lambda e: e["event"] == "function.invoked"), \
            f"function.invoked missing: {[e['raw'] for e in stream.events]}"
        _until(stream, lambda e: e["event"] == "function.failed",
               lambda: invoke(lam.lam, "echo", {"exit": 2}), timeout=6)
        invoke(lam.lam, "metr", {"not": "echo"})
        time.sleep(0.3)
        for e in stream.events:
            _check_event(e)
            assert e["data"].get("function") == "echo", f"?function=echo carries only echo's events: {e['raw']}"
    finally:
        stream.close()


def test_event_bus_kind_filter_and_sqs_mapping(lam, mappings):
    """?kind=function. (a prefix) on everything a mapping does: its invocations show up, queue events do not."""
    q = uniq("buskind")
    url = lam.sqs.create_queue(QueueName=q)["QueueUrl"]
    mappings.create("rec", queue_arn(q))
    stream = SSEStream(lam.endpoint, "/_sluice/events?kind=function.&function=rec")
    try:
        _until(stream, lambda e: e["event"] == "function.finished",
               lambda: lam.sqs.send_message(QueueUrl=url, MessageBody="via mapping"), timeout=8, every=2)
        assert stream.wait_head() == 200, stream.errors
        for e in stream.events:
            _check_event(e)
            assert e["event"].startswith("function."), e["raw"]
    finally:
        stream.close()


def test_sluice_tail_prints_function_events(lam):
    p = subprocess.Popen([str(sluice_binary()), "tail", "--endpoint", lam.endpoint, "--function", "echo"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines: list[str] = []

    def read():
        for raw in iter(p.stdout.readline, b""):
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    t = threading.Thread(target=read, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 10
        while not any("function." in ln for ln in lines):
            assert p.poll() is None, f"sluice tail exited with {p.returncode}: {p.stderr.read()[:500]!r}"
            assert time.monotonic() < deadline, f"sluice tail printed nothing about echo's invocations: {lines}"
            invoke(lam.lam, "echo", {"tail": 1})
            time.sleep(0.5)
        assert all(ln.strip() for ln in lines), f"one non-empty line per event: {lines}"
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def test_function_logs_endpoint_and_file(lam):
    marker = uniq("log-marker")
    invoke(lam.lam, "echo", {"log": marker})
    r = requests.get(f"{lam.endpoint}/_sluice/functions/echo/logs", timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    assert marker in r.text, r.text[-2000:]
    assert "START RequestId" in r.text and "END RequestId" in r.text and "REPORT RequestId" in r.text
    # ?tail=N: the last N lines
    tail = requests.get(f"{lam.endpoint}/_sluice/functions/echo/logs", params={"tail": 3}, timeout=10)
    assert tail.status_code == 200
    tl = tail.text.rstrip("\n").split("\n")
    full = r.text.rstrip("\n").split("\n")
    assert len(tl) == 3, f"tail=3 returned {len(tl)} lines: {tl}"
    assert tl == full[-3:], (tl, full[-3:])
    # also on disk
    path = Path(lam.data_dir) / "functions" / "logs" / "echo.log"
    deadline = time.monotonic() + 5
    while not (path.exists() and marker in path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{path} does not contain the marker"
        time.sleep(0.1)
    missing = requests.get(f"{lam.endpoint}/_sluice/functions/{uniq('nofn')}/logs", timeout=10)
    assert missing.status_code == 404


def test_metrics(lam):
    """README "Metrics of functions": lambda_*{function_name, region, account_id} on /metrics (the scratch
    spec said sluice_lambda_*{function}; the README, like the sqs_/sns_ families, wins), YACE names with
    dimension_FunctionName on /metrics/cloudwatch (sums of the last completed minute: only bounded here)."""
    before = requests.get(lam.endpoint + "/metrics", timeout=10).text
    base_inv = metric_value(before, "lambda_invocations_total", function_name="metr") or 0
    base_err = metric_value(before, "lambda_errors_total", function_name="metr") or 0
    for i in range(3):
        assert invoke(lam.lam, "metr", {"i": i}).function_error is None
    assert invoke(lam.lam, "metr", {"exit": 1}).function_error == "Unhandled"
    text = requests.get(lam.endpoint + "/metrics", timeout=10).text
    assert metric_value(text, "lambda_invocations_total", function_name="metr") == base_inv + 4, \
        [ln for ln in text.splitlines() if "lambda" in ln][:40]
    assert metric_value(text, "lambda_errors_total", function_name="metr") == base_err + 1
    [(labels, _)] = metric_samples(text, "lambda_invocations_total", function_name="metr")
    assert labels == {"function_name": "metr", "region": "us-east-1", "account_id": "000000000000"}, labels
    count = metric_value(text, "lambda_duration_seconds_count", function_name="metr")
    assert count == base_inv + 4, f"duration histogram count {count}"
    assert (metric_value(text, "lambda_duration_seconds_sum", function_name="metr") or 0) > 0
    buckets = metric_samples(text, "lambda_duration_seconds_bucket", function_name="metr")
    assert buckets and any(ls.get("le") == "+Inf" and v == count for ls, v in buckets), buckets
    assert metric_value(text, "lambda_concurrent_executions", function_name="metr") == 0
    assert metric_value(text, "lambda_throttles_total", function_name="metr") == 0
    for line in text.splitlines():
        if line.startswith("# TYPE lambda_invocations_total"):
            assert line.split()[-1] == "counter", line
        if line.startswith("# TYPE lambda_duration_seconds "):
            assert line.split()[-1] == "histogram", line

    # YACE names: the series exists per function; the sums cover the last completed minute
    yace = requests.get(lam.endpoint + "/metrics/cloudwatch", timeout=10).text
    for name in ("aws_lambda_invocations_sum", "aws_lambda_errors_sum", "aws_lambda_throttles_sum",
                 "aws_lambda_duration_average", "aws_lambda_concurrent_executions_maximum"):
        got = metric_samples(yace, name, dimension_FunctionName="metr")
        assert len(got) == 1, f"{name}{{dimension_FunctionName=metr}}: {got}; " \
                              f"{[ln for ln in yace.splitlines() if 'lambda' in ln][:20]}"
    inv = metric_value(yace, "aws_lambda_invocations_sum", dimension_FunctionName="metr")
    assert 0 <= inv <= base_inv + 4


def test_sigterm_with_an_open_event_stream(private_server):
    """An event-stream client (still connected, or gone without the server noticing) must not keep the
    server from stopping on SIGTERM."""
    import signal
    srv = private_server()
    gone = SSEStream(srv.endpoint, "/_sluice/events")
    assert gone.wait_head() == 200
    gone.close()
    open_stream = SSEStream(srv.endpoint, "/_sluice/events?queue=x")
    try:
        assert open_stream.wait_head() == 200
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(5)
        except subprocess.TimeoutExpired:
            srv.proc.kill()
            srv.proc.wait(5)
            raise AssertionError("sluice did not exit within 5 s of SIGTERM while an event stream was open")
        assert rc == 0, f"exit status {rc}"
    finally:
        open_stream.close()
