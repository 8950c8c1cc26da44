"""Helpers and fixtures for the functions (Lambda) part of the sluice live suite.

Everything here encodes AWS Lambda behaviour as documented in
shared/reference/lambda-events.md (and sns.md section 5 for SNS -> Lambda),
plus the sluice-specific contract of issue 5 (functions in the YAML config,
command / runtime / http executors, event bus, logs, metrics):

* ``make_lambda_client``: boto3 ``lambda`` client (REST-JSON) against a sluice
  endpoint, no client-side parameter validation (the server must reject bad input).
* ``expect_lambda_error``: asserts ``x-amzn-ErrorType`` code and HTTP status.
* ``LambdaEnv`` / the ``lam`` fixture: ONE private sluice process for the whole
  session, started with a config (``--config``) declaring the handler fixtures in
  ``Tests/live/functions`` (command executor scripts run with this Python,
  the runtime executor running the real ``awslambdaric``, an http executor backed
  by a local ``http.server``), topics with ``function:`` subscriptions and a
  config-declared SQS event source mapping.
* Handlers record what they received as JSON lines in ``$RECORD_DIR/<key>.jsonl``
  (see functions/recorder.py); ``LambdaEnv.wait_records`` polls them with a deadline.
* ``SSEStream``: a ``text/event-stream`` reader for ``GET /_sluice/events``.
* ``run_aws_lambda``: the AWS CLI's ``aws lambda ...``.
* ``metric_value``: one sample from a Prometheus text exposition.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import SLUICE_BIN, SluiceProcess
from helpers import ACCOUNT, REGION, aws_cli_base
from sns_helpers import (  # noqa: F401 (re-exported to the tests)
    expect_sns_error,
    make_sns_client as make_sns,
    make_sqs_client as make_sqs,
    queue_arn_for as queue_arn,
    read_request_body,
    topic_arn_for as topic_arn,
    uniq,
)

FUNCS = Path(__file__).resolve().parent / "functions"
PY = sys.executable
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")


def function_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"



# --------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------
def _config(read_timeout: float = 60, **cfg) -> Config:
    return Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False,
                  connect_timeout=5, read_timeout=read_timeout, **cfg)


def make_lambda_client(endpoint: str, read_timeout: float = 60, **cfg):
    return boto3.client("lambda", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test", config=_config(read_timeout, **cfg))


def expect_lambda_error(fn: Callable[[], Any], code: str, status: int, contains: str | None = None) -> dict:
    """Call ``fn``; it must fail with ``code`` (x-amzn-ErrorType) and HTTP ``status`` (REST-JSON has no fault type)."""
    return expect_sns_error(fn, code, status, contains=contains, fault="")


def make_queue(lam, prefix: str, fifo: bool = False, **attrs) -> tuple[str, str]:
    """A new queue with these attributes (values as strings); returns (name, url)."""
    name = uniq(prefix) + (".fifo" if fifo else "")
    if fifo:
        attrs["FifoQueue"] = "true"
    url = lam.sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
    return name, url


class Invocation:
    """The parts of an Invoke answer the tests look at."""

    def __init__(self, resp: dict, elapsed: float):
        self.status: int = resp["StatusCode"]
        self.http_status: int = resp["ResponseMetadata"]["HTTPStatusCode"]
        self.headers: dict = resp["ResponseMetadata"].get("HTTPHeaders", {})
        self.function_error: str | None = resp.get("FunctionError")
        self.log_result: str | None = resp.get("LogResult")
        self.executed_version: str | None = resp.get("ExecutedVersion")
        self.raw: bytes = resp["Payload"].read() if "Payload" in resp else b""
        self.elapsed = elapsed

    def json(self) -> Any:
        try:
            return json.loads(self.raw) if self.raw else None
        except ValueError:
            raise AssertionError(f"Invoke payload is not JSON: {self.raw[:300]!r}") from None

    @property
    def log(self) -> str:
        assert self.log_result, f"no X-Amz-Log-Result header; headers {self.headers}"
        return base64.b64decode(self.log_result).decode("utf-8", "replace")

    def __repr__(self):
        return (f"<Invocation {self.status} error={self.function_error} {self.raw[:300]!r} "
                f"elapsed={self.elapsed:.2f}s>")


def invoke(client, name: str, payload: Any = None, **kw) -> Invocation:
    if payload is not None and not isinstance(payload, (bytes, str)):
        payload = json.dumps(payload)
    if payload is not None:
        kw["Payload"] = payload
    t0 = time.monotonic()
    resp = client.invoke(FunctionName=name, **kw)
    return Invocation(resp, time.monotonic() - t0)


def wait_esm_state(client, esm_uuid: str, states: tuple[str, ...] | str, timeout: float = 10.0) -> dict:
    """Poll GetEventSourceMapping until State is one of ``states``."""
    if isinstance(states, str):
        states = (states,)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = client.get_event_source_mapping(UUID=esm_uuid)
        if last.get("State") in states:
            return last
        time.sleep(0.1)
    raise AssertionError(f"event source mapping {esm_uuid} did not reach {states} within {timeout}s: "
                         f"State {last and last.get('State')!r}")


def create_mapping(client, function: str, source_arn: str, wait: bool = True, **kw) -> dict:
    """CreateEventSourceMapping (must answer 202) and wait until it is Enabled."""
    resp = client.create_event_source_mapping(FunctionName=function, EventSourceArn=source_arn, **kw)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202, resp["ResponseMetadata"]
    if wait and kw.get("Enabled", True):
        wait_esm_state(client, resp["UUID"], "Enabled")
    return resp


def queue_total(sqs, url: str) -> int:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(int(a.get(k, "0")) for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                            "ApproximateNumberOfMessagesDelayed"))


def wait_queue_empty(sqs, url: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    n = None
    while time.monotonic() < deadline:
        n = queue_total(sqs, url)
        if n == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"queue {url} still holds {n} message(s) after {timeout}s")


def make_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --------------------------------------------------------------------------
# records written by functions/recorder.py
# --------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.split("\n"):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a line being written right now
    return out


def sqs_records(invocations: list[dict]) -> list[dict]:
    """All SQS records of the recorded invocations, in invocation order."""
    return [r for inv in invocations for r in (inv["event"] or {}).get("Records", [])]


# --------------------------------------------------------------------------
# the http executor's backend
# --------------------------------------------------------------------------
class HttpFunctionBackend:
    """``http.server`` on 127.0.0.1: records every request; answers JSON
    ``{"echo": <event>, "path": ...}`` with status ``event["status"]`` (default 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port: int | None = None

    def start(self) -> "HttpFunctionBackend":
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = read_request_body(self)
                try:
                    event = json.loads(body) if body else None
                except ValueError:
                    event = None
                with backend._lock:
                    backend.requests.append({"method": "POST", "path": self.path, "body": body,
                                             "headers": {k.lower(): v for k, v in self.headers.items()}})
                status = event.get("status", 200) if isinstance(event, dict) else 200
                out = json.dumps({"echo": event, "path": self.path}).encode()
                self.send_response(int(status))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def url(self, path: str = "/invoke") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --------------------------------------------------------------------------
# the session's functions server
# --------------------------------------------------------------------------
def cmd(script: str) -> list[str]:
    return [PY, str(FUNCS / script)]


def recorder_function(name: str, rec_dir: Path, **extra) -> dict:
    env = {"RECORD_DIR": str(rec_dir)}
    env.update(extra.pop("environment", {}))
    return {"name": name, "executor": "command", "command": cmd("recorder.py"), "timeout": 10,
            "environment": env, **extra}


class LambdaEnv:
    """One sluice process with functions declared in its --config file."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sluice-lambda-"))
        self.rec_dir = self.dir / "rec"
        self.conc_dir = self.dir / "conc"
        self.work_dir = self.dir / "work"
        self.data_dir = self.dir / "data"
        self.config_path = self.dir / "sluice.yaml"
        self.backend = HttpFunctionBackend()
        self.srv: SluiceProcess | None = None

    def config(self) -> dict:
        rec = str(self.rec_dir)
        return {
            "server": {"async-retry-delay": 1},
            "queues": [{"name": "lam-cfg-q"}, {"name": "lam-sns-dlq"}],
            "functions": [
                {"name": "echo", "executor": "command", "command": cmd("cmd_echo.py"),
                 "working-directory": "./work", "timeout": 5, "description": "echoes its event",
                 "environment": {"GREETING": "hello from config", "RECORD_DIR": rec}},
                {"name": "metr", "executor": "command", "command": cmd("cmd_echo.py"), "timeout": 5},
                recorder_function("rec", self.rec_dir, events=[{"queue": "lam-cfg-q", "batch-size": 5}]),
                recorder_function("failer", self.rec_dir, environment={"FORCE_MODE": "fail"}),
                recorder_function("failer0", self.rec_dir, environment={"FORCE_MODE": "fail"}, retries=0),
                {"name": "rt-py", "executor": "runtime", "runtime": "python3.11", "handler": "app.handler",
                 "code": "./functions/rt", "timeout": 5, "memory": 256,
                 "environment": {"GREETING": "hi from the runtime"}},
                {"name": "rt-short", "executor": "runtime", "runtime": "python3.11", "handler": "app.handler",
                 "code": "./functions/rt", "timeout": 1},
                {"name": "hang", "executor": "command", "command": cmd("hang.py"), "timeout": 1},
                {"name": "conc", "executor": "command", "command": cmd("conc.py"), "timeout": 10,
                 "concurrency": 2, "environment": {"CONC_DIR": str(self.conc_dir)}},
                {"name": "web", "executor": "http", "url": self.backend.url("/invoke"), "timeout": 5},
            ],
            "topics": [
                {"name": "lam-cfg-topic", "subscriptions": [{"function": "rec"}]},
                {"name": "lam-fail-topic",
                 "subscriptions": [{"function": "failer", "dead-letter-queue": "lam-sns-dlq"}]},
            ],
        }

    def marked_config(self) -> dict:
        """The config, every function's environment carrying SLUICE_LIVE_ENV=<this env's dir>."""
        cfg = self.config()
        for fn in cfg["functions"]:
            fn.setdefault("environment", {})["SLUICE_LIVE_ENV"] = str(self.dir)
        return cfg

    def start(self) -> "LambdaEnv":
        for d in (self.rec_dir, self.conc_dir, self.work_dir, self.data_dir):
            d.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "marker.txt").write_text("work-dir-marker\n")
        shutil.copytree(FUNCS / "rt", self.dir / "functions" / "rt")
        self.backend.start()
        self.config_path.write_text(yaml.safe_dump(self.marked_config(), sort_keys=False))
        self.srv = SluiceProcess(self.data_dir, enable_reset=False, extra_args=["--config", str(self.config_path)],
                                 name="lambda")
        self.srv.start()
        return self

    def stop(self):
        if self.srv is not None and self.srv.alive():
            self.srv.terminate()
        # handler processes the server left behind (only ours: they carry this env's marker)
        for pid in pids_with_env(f"SLUICE_LIVE_ENV={self.dir}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.backend.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def endpoint(self) -> str:
        return self.srv.endpoint

    # clients (new per call: cheap, and always on the current port)
    @property
    def lam(self):
        return make_lambda_client(self.endpoint)

    @property
    def sqs(self):
        return make_sqs(self.endpoint)

    @property
    def sns(self):
        return make_sns(self.endpoint)

    # recorder files
    def set_mode(self, key: str, mode: str, **settings):
        p = self.rec_dir / f"{key}.mode"
        p.with_suffix(".tmp").write_text(json.dumps({"mode": mode, **settings}))
        os.rename(p.with_suffix(".tmp"), p)

    def records(self, key: str) -> list[dict]:
        return read_jsonl(self.rec_dir / f"{key}.jsonl")

    def wait_records(self, key: str, pred: Callable[[list[dict]], Any] | int, timeout: float = 10.0,
                     what: str | None = None) -> list[dict]:
        """Poll ``$RECORD_DIR/<key>.jsonl`` until ``pred(invocations)`` is truthy (an int: that many
        invocations)."""
        if isinstance(pred, int):
            n = pred
            pred = lambda invs: len(invs) >= n  # noqa: E731
        deadline = time.monotonic() + timeout
        while True:
            invs = self.records(key)
            if pred(invs):
                return invs
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what or 'invocations'} of key {key!r}; "
                    f"recorded {len(invs)}: {json.dumps(invs)[:1500]}\n{self.srv.tail(30)}")
            time.sleep(0.1)

    def wait_sqs_records(self, key: str, n: int, timeout: float = 10.0) -> list[dict]:
        invs = self.wait_records(key, lambda invs: len(sqs_records(invs)) >= n, timeout, f"{n} SQS records")
        return sqs_records(invs)


def pids_with_env(entry: str) -> list[int]:
    """Live processes whose environment contains ``entry`` (``NAME=value``)."""
    want = entry.encode()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{name}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if want in env:
            pids.append(int(name))
    return pids


_LAMBDA_ENV: dict = {}


@pytest.fixture(scope="session")
def lambda_env():
    """The session's functions server (started once even if several modules import this fixture)."""
    if "env" in _LAMBDA_ENV:
        yield _LAMBDA_ENV["env"]
        return
    if "error" in _LAMBDA_ENV:
        pytest.fail(_LAMBDA_ENV["error"], pytrace=False)
    env = LambdaEnv()
    try:
        env.start()
    except BaseException as e:
        _LAMBDA_ENV["error"] = f"starting the functions server failed: {e}"
        env.stop()
        raise
    _LAMBDA_ENV["env"] = env
    yield env
    env.stop()
    _LAMBDA_ENV.pop("env", None)


@pytest.fixture
def lam(lambda_env):
    """The functions server for one test; the test fails if the server died during it."""
    yield lambda_env
    if not lambda_env.srv.alive():
        pytest.fail(f"the functions server died\n{lambda_env.srv.tail()}", pytrace=False)


class Mappings:
    """Creates event source mappings and deletes them at teardown (keeps pollers few)."""

    def __init__(self, env: LambdaEnv):
        self.env = env
        self.uuids: list[str] = []

    def create(self, function: str, source_arn: str, wait: bool = True, **kw) -> dict:
        resp = create_mapping(self.env.lam, function, source_arn, wait=wait, **kw)
        self.uuids.append(resp["UUID"])
        return resp

    def cleanup(self):
        lam = self.env.lam
        for u in self.uuids:
            try:
                lam.delete_event_source_mapping(UUID=u)
            except ClientError:
                pass


@pytest.fixture
def mappings(lam):
    m = Mappings(lam)
    yield m
    m.cleanup()


# --------------------------------------------------------------------------
# event bus (Server-Sent Events)
# --------------------------------------------------------------------------
class SSEStream:
    """``GET <endpoint><path>`` over a plain socket; a thread parses the HTTP head, chunked or
    close-delimited body, and the ``event:`` / ``data:`` blocks of the event stream. ``close()`` shuts
    the socket down so the server sees the listener go away."""

    def __init__(self, endpoint: str, path: str):
        m = re.match(r"^http://([^:/]+):(\d+)$", endpoint.rstrip("/"))
        assert m, endpoint
        self.host, self.port = m.group(1), int(m.group(2))
        self.path = path
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.events: list[dict] = []  # {"event": name, "data": parsed json, "raw": text}
        self.errors: list[str] = []
        self._cond = threading.Condition()
        self._head = threading.Event()
        self.sock = socket.create_connection((self.host, self.port), timeout=5)
        self.sock.settimeout(None)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"Accept: text/event-stream\r\n\r\n".encode())
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def wait_head(self, timeout: float = 10.0) -> int:
        """The HTTP status (waits for the response head)."""
        assert self._head.wait(timeout), f"GET {self.path}: no response head within {timeout}s {self.errors}"
        return self.status

    def _read(self):
        f = self.sock.makefile("rb")
        try:
            status_line = f.readline().decode("latin-1")
            parts = status_line.split(" ", 2)
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
            while True:
                line = f.readline().decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            self._head.set()
            chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
            buf = b""
            parser = self._parser()
            next(parser)
            while True:
                if chunked:
                    size_line = f.readline()
                    if not size_line:
                        break
                    size = int(size_line.strip().split(b";")[0] or b"0", 16)
                    if size == 0:
                        break
                    data = f.read(size)
                    f.readline()
                else:
                    data = f.read1(4096) if hasattr(f, "read1") else f.read(1)
                    if not data:
                        break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    parser.send(line.rstrip(b"\r").decode("utf-8", "replace"))
        except Exception as e:  # closed by close()
            self.errors.append(f"stream ended: {e!r}")
        finally:
            self._head.set()

    def _parser(self):
        name, data = None, []
        while True:
            line = yield
            if line == "":
                if data or name:
                    text = "\n".join(data)
                    try:
                        parsed = json.loads(text)
                    except ValueError:
                        parsed = None
                        self.errors.append(f"data is not JSON: {text[:200]!r}")
                    with self._cond:
                        self.events.append({"event": name, "data": parsed, "raw": text})
                        self._cond.notify_all()
                name, data = None, []
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])

    def wait(self, pred: Callable[[dict], bool], timeout: float = 5.0, count: int = 1) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [e for e in self.events if pred(e)]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    return got
                self._cond.wait(min(left, 0.2))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------
def run_aws_lambda(endpoint: str, *args: str, check: bool = True, timeout: float = 60,
                   cwd: str | None = None) -> Any:
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    env.pop("AWS_PROFILE", None)
    cmdline = aws_cli_base() + ["--endpoint-url", endpoint, "lambda", *args, "--output", "json"]
    p = subprocess.run(cmdline, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    if not check:
        return p
    if p.returncode != 0:
        raise AssertionError(f"aws lambda {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    out = p.stdout.strip()
    return json.loads(out) if out else None


# --------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------
_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$")
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric_samples(text: str, name: str, **labels: str) -> list[tuple[dict, float]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m or m.group(1) != name:
            continue
        ls = dict(_LABEL_RE.findall(m.group(3) or ""))
        if all(ls.get(k) == v for k, v in labels.items()):
            out.append((ls, float(m.group(4))))
    return out


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """The value of the one sample ``name`` whose labels include ``labels`` (None when absent)."""
    got = metric_samples(text, name, **labels)
    assert len(got) <= 1, f"{name}{labels}: {len(got)} samples match: {got}"
    return got[0][1] if got else None


def sluice_binary() -> Path:
    return SLUICE_BIN
