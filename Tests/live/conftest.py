"""Fixtures for the sluice live interoperability suite.

One sluice server is started for the whole session (``server``); tests use
unique queue names, so they never depend on a reset between tests. Tests that
need their own process (reset endpoint, flags, kill -9 / restart) use
``private_server`` which starts servers on their own data directories.

Binary: ``$SLUICE_BIN`` or ``<repo>/.build/debug/sluice``. If it does not exist
every test FAILS (CI must never pass silently).

Developer aid: ``SLUICE_ENDPOINT=http://host:port`` runs the shared-server tests
against an already running server instead of starting the binary (tests that
need a private server still need the binary).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import (  # noqa: E402
    JsonApi,
    QueryClient,
    make_boto_client,
    raw_json,
    raw_query,
    run_aws_cli,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SLUICE_BIN = Path(os.environ.get("SLUICE_BIN") or (REPO_ROOT / ".build" / "debug" / "sluice"))
LISTEN_RE = re.compile(r"listening on http://[^\s:/]+:(\d+)")
START_TIMEOUT = 30.0

_LOG_DIR = Path(tempfile.mkdtemp(prefix="sluice-live-logs-"))


def _binary_or_fail() -> Path:
    if not SLUICE_BIN.is_file() or not os.access(SLUICE_BIN, os.X_OK):
        pytest.fail(
            f"sluice binary not found or not executable at {SLUICE_BIN}. "
            "Build it first (`swift build` in the repo root) or set SLUICE_BIN. "
            "The live suite never skips: a missing server is a failure.",
            pytrace=False,
        )
    return SLUICE_BIN


class SluiceProcess:
    """A sluice server child process (``sluice serve --port 0``)."""

    _counter = 0

    def __init__(self, data_dir: str | Path, enable_reset: bool = True, extra_args: list[str] | None = None,
                 name: str = "private"):
        self.data_dir = str(data_dir)
        self.enable_reset = enable_reset
        self.extra_args = list(extra_args or [])
        SluiceProcess._counter += 1
        self.name = f"{name}-{SluiceProcess._counter}"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.lines: list[str] = []
        self.log_path = _LOG_DIR / f"{self.name}.log"
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "SluiceProcess":
        binary = _binary_or_fail()
        args = [str(binary), "serve", "--port", "0", "--data-dir", self.data_dir]
        if self.enable_reset:
            args.append("--enable-reset")
        args += self.extra_args
        self.lines = []
        self.port = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT))
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._ready.wait(0.05):
                break
            if self.proc.poll() is not None:
                self._reader.join(2)
                pytest.fail(f"sluice exited with {self.proc.returncode} before listening "
                            f"(args {args}).\n{self.tail()}", pytrace=False)
        else:
            self.terminate()
            pytest.fail(f"sluice did not log 'listening on http://127.0.0.1:<port>' within "
                        f"{START_TIMEOUT}s (args {args}).\n{self.tail()}", pytrace=False)
        # wait for /health (the log line may precede the socket being usable)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(self.endpoint + "/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        pytest.fail(f"sluice on {self.endpoint}: GET /health never returned 200.\n{self.tail()}", pytrace=False)

    def _read(self, proc: subprocess.Popen):
        with open(self.log_path, "ab") as logf:
            for raw in iter(proc.stdout.readline, b""):
                logf.write(raw)
                logf.flush()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(line)
                if self.port is None:
                    m = LISTEN_RE.search(line)
                    if m:
                        self.port = int(m.group(1))
                        self._ready.set()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 40) -> str:
        return "---- sluice output (last lines) ----\n" + "\n".join(self.lines[-n:]) + \
               f"\n---- full log: {self.log_path} ----"

    def kill9(self):
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        if self._reader:
            self._reader.join(5)

    def terminate(self, timeout: float = 10) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self._reader:
            self._reader.join(5)
        return self.proc.returncode

    def restart(self) -> "SluiceProcess":
        """Start again on the same data directory (new port)."""
        if self.alive():
            self.terminate()
        return self.start()


class ExternalServer:
    """An already running server (SLUICE_ENDPOINT); developer aid only."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")
        self.lines: list[str] = []
        self.name = "external"

    def alive(self) -> bool:
        return True

    def tail(self, n: int = 40) -> str:
        return ""


_SHARED: dict = {}


@pytest.fixture(scope="session")
def server():
    """The shared sluice server for the session."""
    ext = os.environ.get("SLUICE_ENDPOINT")
    if ext:
        srv = ExternalServer(ext)
        _SHARED["server"] = srv
        yield srv
        return
    if "error" in _SHARED:
        pytest.fail(_SHARED["error"], pytrace=False)
    data_dir = tempfile.mkdtemp(prefix="sluice-live-data-")
    srv = SluiceProcess(data_dir, enable_reset=True, name="shared")
    try:
        srv.start()
    except BaseException as e:  # remember so later tests fail fast with the same message
        _SHARED["error"] = str(e)
        raise
    _SHARED["server"] = srv
    yield srv
    rc = srv.terminate()
    shutil.rmtree(data_dir, ignore_errors=True)
    if rc not in (None, 0, -signal.SIGTERM, 128 + signal.SIGTERM):
        print(f"\nshared sluice exited with {rc} on SIGTERM\n{srv.tail()}", file=sys.stderr)


@pytest.fixture(scope="session")
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture(autouse=True)
def _server_still_running(request):
    """After every test: the shared server must not have crashed."""
    yield
    srv = _SHARED.get("server")
    if srv is not None and "server" in request.fixturenames and not srv.alive():
        pytest.fail(f"the shared sluice server died during {request.node.nodeid}\n{srv.tail()}", pytrace=False)


@pytest.fixture(scope="session")
def sqs(endpoint):
    """boto3 SQS client (JSON 1.0 protocol) against the shared server."""
    return make_boto_client(endpoint)


@pytest.fixture(scope="session")
def method_map(sqs) -> dict[str, str]:
    """snake_case method name -> API action name (e.g. create_queue -> CreateQueue)."""
    return dict(sqs.meta.method_to_api_mapping)


@pytest.fixture(scope="session")
def query_client(endpoint, method_map) -> QueryClient:
    return QueryClient(endpoint, method_map)


@pytest.fixture(scope="session", params=["json", "query"])
def api(request, sqs, query_client):
    """The same SQS API over JSON (boto3) and over Query (form POST + XML)."""
    if request.param == "json":
        return JsonApi(sqs)
    return query_client


@pytest.fixture(scope="session")
def query(endpoint):
    """``query(action, params, path='/')`` -> QueryResponse (unpacks as status, root)."""
    def _q(action, params=None, path="/", **kw):
        return raw_query(endpoint, action, params, path=path, **kw)
    return _q


@pytest.fixture(scope="session")
def jpost(endpoint):
    """``jpost(op, body, path='/', headers=None, data=None)`` -> requests.Response (raw JSON 1.0)."""
    def _j(op, body=None, **kw):
        return raw_json(endpoint, op, body, **kw)
    return _j


@pytest.fixture(scope="session")
def aws_cli(endpoint):
    """``aws_cli('create-queue', '--queue-name', 'x')`` -> parsed JSON output."""
    def _cli(*args, **kw):
        return run_aws_cli(endpoint, *args, **kw)
    return _cli


@pytest.fixture
def reset_server(endpoint):
    """Empty all state of the shared server (opt-in; tests normally use unique names)."""
    r = requests.post(endpoint + "/_sluice/reset", timeout=10)
    assert r.status_code == 200, f"reset failed: {r.status_code} {r.text[:200]}"
    yield


@pytest.fixture
def private_server():
    """Factory: ``private_server(enable_reset=True, extra_args=[], data_dir=None)``.

    Each server gets its own data dir (unless one is given); all are stopped
    at teardown.
    """
    started: list[SluiceProcess] = []
    dirs: list[str] = []

    def _start(enable_reset: bool = True, extra_args: list[str] | None = None, data_dir: str | None = None):
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="sluice-live-private-")
            dirs.append(data_dir)
        srv = SluiceProcess(data_dir, enable_reset=enable_reset, extra_args=extra_args)
        started.append(srv)
        return srv.start()

    yield _start
    for srv in started:
        try:
            if srv.alive():
                srv.terminate()
        except Exception:
            pass
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def client_for():
    """``client_for(endpoint)`` -> boto3 SQS client for another server."""
    def _c(ep, **cfg):
        return make_boto_client(ep, **cfg)
    return _c


# ---------------------------------------------------------------------------
# attach the server output produced during a failing test to its report
# ---------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    srv = _SHARED.get("server")
    item._sluice_log_start = len(srv.lines) if srv is not None else 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        srv = _SHARED.get("server")
        if srv is not None and srv.lines:
            start = getattr(item, "_sluice_log_start", 0)
            lines = srv.lines[start:][-60:]
            if lines:
                rep.sections.append(("sluice server output during test", "\n".join(lines)))
