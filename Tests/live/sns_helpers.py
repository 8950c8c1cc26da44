"""Helpers and fixtures for the SNS part of the sluice live suite.

Everything here encodes AWS SNS behaviour as documented in
shared/reference/sns.md and wire-protocols.md section 4:

* ``make_sns_client``: boto3 ``sns`` client (Query protocol, SigV4 scope
  ``sns``) against a sluice endpoint.
* ``sns_query``: raw SNS Query request (``Version=2010-03-31``), signed with
  scope ``sns`` or unsigned, parsed into a ``helpers.QueryResponse``.
* ``expect_sns_error``: asserts code / HTTP status / fault / message.
* ``HttpReceiver``: a real HTTP endpoint on 127.0.0.1 (port 0) recording every
  request, answering 200 or any status on demand.
* ``string_to_sign`` / ``verify_sns_signature``: the SNS message signature
  (sns.md section 5), verified with the PEM certificate at SigningCertURL.
* ``run_aws_sns``: the AWS CLI's ``aws sns ...``.

Test modules import the fixtures they use (``from sns_helpers import sns,
receiver``), so conftest.py stays untouched.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import subprocess
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import urlencode

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from helpers import ACCOUNT, REGION, QueryResponse, aws_cli_base

SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Fast HTTP(S) retries for tests: 1 try + 2 retries, 1 s apart.
FAST_RETRY_POLICY = {"healthyRetryPolicy": {
    "minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 2, "numNoDelayRetries": 0,
    "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}}

DEFAULT_EFFECTIVE_DELIVERY_POLICY = {"http": {
    "defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
                                  "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                  "numMinDelayRetries": 0, "backoffFunction": "linear"},
    "disableSubscriptionOverrides": False,
    "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}


def default_topic_policy(topic_arn: str, account: str = ACCOUNT) -> dict:
    return {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                   "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                   "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}}}]}


def uniq(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def topic_arn_for(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def queue_arn_for(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


# --------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------
def _config(**cfg) -> Config:
    return Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False,
                  connect_timeout=5, read_timeout=30, **cfg)


def make_sns_client(endpoint: str):
    return boto3.client("sns", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test", config=_config())


def make_sqs_client(endpoint: str):
    return boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test", config=_config())


def sns_query(endpoint: str, action: str, params: dict | list | None = None, sign: bool = True,
              method: str = "POST", path: str = "/", version: str | None = "2010-03-31",
              service: str = "sns", timeout: float = 30) -> QueryResponse:
    """Raw SNS Query request; ``sign`` adds SigV4 with credential scope ``service``."""
    data: list[tuple[str, str]] = [("Action", action)]
    if version:
        data.append(("Version", version))
    if isinstance(params, dict):
        data += list(params.items())
    elif params:
        data += list(params)
    if method == "GET":
        return QueryResponse(requests.get(endpoint + path, params=data, timeout=timeout))
    body = urlencode(data).encode()
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if sign:
        req = AWSRequest(method="POST", url=endpoint + path, data=body, headers=h)
        SigV4Auth(Credentials("test", "test"), service, REGION).add_auth(req)
        h = dict(req.headers.items())
    return QueryResponse(requests.post(endpoint + path, data=body, headers=h, timeout=timeout))


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------
def expect_sns_error(fn: Callable[[], Any], code: str, status: int, message: str | None = None,
                     contains: str | None = None, startswith: str | None = None,
                     fault: str = "Sender") -> dict:
    try:
        result = fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        http = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        ctx = f"got HTTP {http} {err}"
        assert err.get("Code") == code, f"expected code {code!r}; {ctx}"
        assert http == status, f"expected HTTP {status} for {code}; {ctx}"
        if fault:
            assert err.get("Type") == fault, f"expected fault type {fault}; {ctx}"
        msg = err.get("Message") or ""
        if message is not None:
            assert msg == message, f"message mismatch: expected {message!r}; {ctx}"
        if contains is not None:
            assert contains in msg, f"expected message containing {contains!r}; {ctx}"
        if startswith is not None:
            assert msg.startswith(startswith), f"expected message starting with {startswith!r}; {ctx}"
        return err
    raise AssertionError(f"expected {code} ({status}); the call succeeded: {result!r:.300}")


# --------------------------------------------------------------------------
# queues and envelopes
# --------------------------------------------------------------------------
def new_queue(sqs, name: str | None = None, fifo: bool = False, **attrs) -> tuple[str, str]:
    """Create a queue; return (url, arn)."""
    name = name or uniq("snsq")
    if fifo:
        if not name.endswith(".fifo"):
            name += ".fifo"
        attrs.setdefault("FifoQueue", "true")
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def subscribe_queue(sns, topic_arn: str, queue_arn: str, **attrs) -> str:
    kw: dict[str, Any] = {"TopicArn": topic_arn, "Protocol": "sqs", "Endpoint": queue_arn}
    if attrs:
        kw["Attributes"] = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in attrs.items()}
    return sns.subscribe(**kw)["SubscriptionArn"]


def receive_all(sqs, url: str, expected: int, timeout: float = 10.0, delete: bool = True,
                **kw) -> list[dict]:
    """Long-poll until ``expected`` messages were received (or timeout)."""
    kw.setdefault("MaxNumberOfMessages", 10)
    kw.setdefault("WaitTimeSeconds", 1)
    kw.setdefault("MessageAttributeNames", ["All"])
    kw.setdefault("AttributeNames", ["All"])
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, **kw).get("Messages", [])
        got.extend(msgs)
        if delete and msgs:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    return got


def receive_rest(sqs, url: str, wait: int = 1) -> list[dict]:
    """Everything still in the queue (used to assert 'nothing more arrived')."""
    got: list[dict] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                   MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        if not msgs:
            return got
        got.extend(msgs)
        wait = 0


def envelope(msg: dict) -> dict:
    """The JSON envelope in an SQS message body (keys in document order)."""
    try:
        return json.loads(msg["Body"])
    except ValueError:
        raise AssertionError(f"SQS body is not the SNS JSON envelope: {msg['Body'][:300]!r}")


# --------------------------------------------------------------------------
# signatures (sns.md section 5)
# --------------------------------------------------------------------------
NOTIFICATION_SIGNED_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_SIGNED_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def string_to_sign(msg: dict) -> bytes:
    keys = NOTIFICATION_SIGNED_KEYS if msg["Type"] == "Notification" else CONFIRMATION_SIGNED_KEYS
    out = ""
    for k in keys:
        if k in msg:
            out += f"{k}\n{msg[k]}\n"
    return out.encode("utf-8")


_CERT_CACHE: dict[str, bytes] = {}


def fetch_cert(url: str) -> bytes:
    if url not in _CERT_CACHE:
        r = requests.get(url, timeout=10)
        assert r.status_code == 200, f"GET SigningCertURL {url} -> {r.status_code} {r.text[:200]!r}"
        assert b"-----BEGIN CERTIFICATE-----" in r.content, f"SigningCertURL is not a PEM certificate: {r.content[:200]!r}"
        _CERT_CACHE[url] = r.content
    return _CERT_CACHE[url]


def verify_sns_signature(msg: dict, cert_pem: bytes | None = None):
    """Verify ``Signature`` like the AWS SDK message validators do (raises on failure)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    version = msg.get("SignatureVersion")
    assert version in ("1", "2"), f"SignatureVersion must be '1' or '2', got {version!r}"
    if cert_pem is None:
        cert_pem = fetch_cert(msg["SigningCertURL"])
    cert = x509.load_pem_x509_certificate(cert_pem)
    algo = hashes.SHA1() if version == "1" else hashes.SHA256()
    sig = base64.b64decode(msg["Signature"])
    try:
        cert.public_key().verify(sig, string_to_sign(msg), padding.PKCS1v15(), algo)
    except InvalidSignature:
        raise AssertionError(f"SNS signature (v{version}) does not verify over "
                             f"{string_to_sign(msg)[:400]!r}") from None


# --------------------------------------------------------------------------
# HTTP receiver
# --------------------------------------------------------------------------
class Received:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method = method
        self.path = path
        self.headers = headers  # lower-case names
        self.body = body
        self.time = time.monotonic()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def type(self) -> str | None:
        return self.headers.get("x-amz-sns-message-type")

    def __repr__(self):
        return f"<{self.method} {self.path} {self.type} {self.body[:120]!r}>"


def read_request_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    """The body of the request a BaseHTTPRequestHandler is serving: Content-Length or chunked."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return body
            body += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class HttpReceiver:
    """An HTTP endpoint on 127.0.0.1 that records requests.

    ``status`` (int) is the answer to every request; ``responder(req) -> int``
    overrides it per request.
    """

    def __init__(self):
        self.requests: list[Received] = []
        self.status = 200
        self.responder: Callable[[Received], int] | None = None
        self._cond = threading.Condition()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def start(self, port: int | None = None) -> "HttpReceiver":
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                body = read_request_body(self)
                req = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status = recv.responder(req) if recv.responder else recv.status
                with recv._cond:
                    recv.requests.append(req)
                    recv._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = _handle
            do_GET = _handle
            do_PUT = _handle

            def log_message(self, *a):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def of_type(self, typ: str, path: str | None = None) -> list[Received]:
        with self._cond:
            return [r for r in self.requests if r.type == typ and (path is None or r.path == path)]

    def wait(self, pred: Callable[[list[Received]], Any], timeout: float = 10.0, what: str = "requests"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                res = pred(list(self.requests))
                if res:
                    return res
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                         f"received: {self.requests!r:.1500}")
                self._cond.wait(min(left, 0.2))

    def wait_type(self, typ: str, count: int = 1, timeout: float = 10.0, path: str | None = None,
                  where: Callable[[Received], bool] | None = None) -> list[Received]:
        def pred(reqs):
            got = [r for r in reqs if r.type == typ and (path is None or r.path == path)
                   and (where is None or where(r))]
            return got if len(got) >= count else None
        return self.wait(pred, timeout, f"{count} x {typ}" + (f" on {path}" if path else ""))


def confirm_http_subscription(receiver: HttpReceiver, topic_arn: str, path: str | None = None,
                              timeout: float = 10.0) -> str:
    """Wait for the SubscriptionConfirmation, GET its SubscribeURL; return the subscription ARN."""
    [conf] = receiver.wait_type("SubscriptionConfirmation", 1, timeout, path=path,
                                where=lambda r: r.json().get("TopicArn") == topic_arn)[-1:]
    url = conf.json()["SubscribeURL"]
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, f"GET SubscribeURL -> {r.status_code} {r.text[:300]}"
    m = re.search(r"<SubscriptionArn>([^<]+)</SubscriptionArn>", r.text)
    assert m, f"ConfirmSubscription answer without SubscriptionArn: {r.text[:300]}"
    return m.group(1)


# --------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------
def run_aws_sns(endpoint: str, *args: str, check: bool = True, timeout: float = 60) -> Any:
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    env.pop("AWS_PROFILE", None)
    cmd = aws_cli_base() + ["--endpoint-url", endpoint, "sns", *args, "--output", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if not check:
        return p
    if p.returncode != 0:
        raise AssertionError(f"aws sns {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    out = p.stdout.strip()
    return json.loads(out) if out else None


# --------------------------------------------------------------------------
# fixtures (import them into a test module to use them)
# --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sns(endpoint):
    """boto3 SNS client against the shared server."""
    return make_sns_client(endpoint)


@pytest.fixture
def receiver():
    """A started ``HttpReceiver``; stopped at teardown."""
    r = HttpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def topic(sns):
    """A fresh standard topic ARN."""
    return sns.create_topic(Name=uniq("topic"))["TopicArn"]
