"""Helpers for the sluice live interoperability suite.

Everything here encodes AWS SQS behaviour as documented in
shared/reference/sqs.md and shared/reference/wire-protocols.md:

* ``md5_of_body`` / ``md5_of_attributes``: the checksum algorithms SDKs verify
  (wire-protocols.md section 8).
* ``QueryClient``: a hand-written AWS *Query* protocol client (form POST, XML
  responses) exposing the same snake_case methods and the same result shapes as
  a boto3 SQS client, so one test body can run over JSON (boto3) and Query.
  Parameter flattening follows botocore's last query-protocol SQS model.
* ``JsonApi``: thin wrapper around a boto3 client with the same interface.
* ``expect_error``: asserts an error over either protocol: legacy query code,
  HTTP status, Sender fault, and (JSON) the modelled exception class /
  ``__type`` shape name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
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

SQS_NS = "http://queue.amazonaws.com/doc/2012-11-05/"
JSON_CT = "application/x-amz-json-1.0"
ACCOUNT = "000000000000"
REGION = "us-east-1"

# --------------------------------------------------------------------------
# Error table (sqs.md section 2): shape name -> (legacy query code, HTTP status,
# modelled in the botocore JSON model?)
# --------------------------------------------------------------------------
ERRORS: dict[str, tuple[str, int, bool]] = {
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400, True),
    "QueueNameExists": ("QueueAlreadyExists", 400, True),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400, True),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403, True),
    "OverLimit": ("OverLimit", 403, True),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, True),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400, True),
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, True),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400, True),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400, True),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400, True),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400, True),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404, True),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 400, True),
    "InvalidAttributeName": ("InvalidAttributeName", 400, True),
    "InvalidAttributeValue": ("InvalidAttributeValue", 400, True),
    "InvalidMessageContents": ("InvalidMessageContents", 400, True),
    # unmodelled errors: JSON __type short name -> query code
    "InvalidParameterValueException": ("InvalidParameterValue", 400, False),
    "MissingRequiredParameterException": ("MissingParameter", 400, False),
}

NONEXISTENT_QUEUE_MSG = {
    "json": "The specified queue does not exist.",
    "query": "The specified queue does not exist for this wsdl version.",
}


def uniq(prefix: str = "q") -> str:
    """A unique, valid queue name (tests never depend on reset)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


# --------------------------------------------------------------------------
# MD5 (wire-protocols.md section 8)
# --------------------------------------------------------------------------
def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _len32(b: bytes) -> bytes:
    return struct.pack(">I", len(b))


def md5_of_attributes(attrs: dict | None) -> str | None:
    """MD5OfMessageAttributes as computed by the AWS SDKs (None when empty)."""
    if not attrs:
        return None
    h = hashlib.md5()
    for name in sorted(attrs, key=lambda n: n.encode("utf-8")):
        value = attrs[name]
        nb = name.encode("utf-8")
        h.update(_len32(nb) + nb)
        dt = value["DataType"].encode("utf-8")
        h.update(_len32(dt) + dt)
        if value.get("StringValue") is not None:
            sv = value["StringValue"].encode("utf-8")
            h.update(b"\x01" + _len32(sv) + sv)
        elif value.get("BinaryValue") is not None:
            bv = value["BinaryValue"]
            if isinstance(bv, str):  # tolerate base64 text
                bv = base64.b64decode(bv)
            h.update(b"\x02" + _len32(bv) + bv)
        elif value.get("StringListValues"):
            h.update(b"\x03")
            for s in value["StringListValues"]:
                sb = s.encode("utf-8")
                h.update(_len32(sb) + sb)
        elif value.get("BinaryListValues"):
            h.update(b"\x04")
            for b in value["BinaryListValues"]:
                h.update(_len32(b) + b)
    return h.hexdigest()


# --------------------------------------------------------------------------
# XML helpers (namespace handling)
# --------------------------------------------------------------------------
def strip_ns(root: ET.Element) -> str | None:
    """Remove namespaces from all tags in-place; return the root's namespace."""
    ns = None
    if root.tag.startswith("{"):
        ns = root.tag[1:].split("}", 1)[0]
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return ns


class QueryResponse:
    """Result of a raw Query call. Unpacks as ``status, root``."""

    def __init__(self, resp: requests.Response):
        self.response = resp
        self.status = resp.status_code
        self.headers = resp.headers
        self.text = resp.text
        self.ns = None
        self.root: ET.Element | None = None
        if resp.content:
            try:
                self.root = ET.fromstring(resp.content)
                self.ns = strip_ns(self.root)
            except ET.ParseError:
                self.root = None

    def __iter__(self):
        return iter((self.status, self.root))

    def find(self, path: str) -> ET.Element | None:
        return None if self.root is None else self.root.find(path)

    def findtext(self, path: str, default=None):
        return default if self.root is None else self.root.findtext(path, default)

    def error(self) -> dict:
        """(Code, Message, Type) of an ErrorResponse."""
        assert self.root is not None, f"unparseable error body: {self.text[:500]!r}"
        assert self.root.tag == "ErrorResponse", self.text[:500]
        err = self.root.find("Error")
        assert err is not None, self.text[:500]
        return {
            "Code": err.findtext("Code"),
            "Message": err.findtext("Message"),
            "Type": err.findtext("Type"),
        }


def raw_query(endpoint: str, action: str, params: dict | list | None = None, path: str = "/",
              method: str = "POST", session: requests.Session | None = None,
              headers: dict | None = None, timeout: float = 40, sign: bool = False) -> QueryResponse:
    """Form-post ``Action=<action>&Version=2012-11-05&...`` and parse the XML.

    ``sign=True`` adds a real SigV4 signature (credentials test/test, service
    sqs) like the AWS SDKs do; unsigned requests exercise the server's
    ``Version=2012-11-05`` fallback routing.
    """
    data: list[tuple[str, str]] = [("Action", action), ("Version", "2012-11-05")]
    if isinstance(params, dict):
        data += [(k, _scalar(v)) for k, v in params.items()]
    elif params:
        data += [(k, _scalar(v)) for k, v in params]
    s = session or requests
    if method == "GET":
        resp = s.get(endpoint + path, params=data, timeout=timeout, headers=headers or {})
        return QueryResponse(resp)
    body = urlencode(data).encode("utf-8")
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    h.update(headers or {})
    if sign:
        req = AWSRequest(method="POST", url=endpoint + path, data=body, headers=h)
        SigV4Auth(Credentials("test", "test"), "sqs", REGION).add_auth(req)
        h = dict(req.headers.items())
    resp = s.post(endpoint + path, data=body, headers=h, timeout=timeout)
    return QueryResponse(resp)


def raw_json(endpoint: str, op: str, body: Any = None, path: str = "/", headers: dict | None = None,
             data: bytes | str | None = None, session: requests.Session | None = None,
             timeout: float = 40) -> requests.Response:
    """POST an AWS JSON 1.0 request with ``X-Amz-Target: AmazonSQS.<op>``."""
    h = {"X-Amz-Target": f"AmazonSQS.{op}", "Content-Type": JSON_CT}
    if headers:
        h.update(headers)
    payload = data if data is not None else json.dumps(body if body is not None else {})
    s = session or requests
    return s.post(endpoint + path, data=payload, headers=h, timeout=timeout)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# --------------------------------------------------------------------------
# Query protocol client with boto3-compatible results
# --------------------------------------------------------------------------
_LIST_MEMBERS = {
    "AttributeNames": "AttributeName",
    "MessageSystemAttributeNames": "MessageSystemAttributeName",
    "MessageAttributeNames": "MessageAttributeName",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
    "TagKeys": "TagKey",
}
_TAG_MAPS = {"tags": "Tag", "Tags": "Tag"}  # TagMap: flattened, locationName "Tag"
_MSG_ATTR_MAPS = {"MessageAttributes": "MessageAttribute", "MessageSystemAttributes": "MessageSystemAttribute"}
_ENTRY_PREFIX = {
    "SendMessageBatch": "SendMessageBatchRequestEntry",
    "DeleteMessageBatch": "DeleteMessageBatchRequestEntry",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibilityBatchRequestEntry",
}


def flatten_query_params(action: str, kw: dict) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    _flatten_struct(action, "", kw, out)
    return out


def _flatten_struct(action: str, prefix: str, kw: dict, out: list):
    for key, value in kw.items():
        if value is None:
            continue
        if key == "Attributes" and isinstance(value, dict):
            for i, (n, v) in enumerate(value.items(), 1):
                out.append((f"{prefix}Attribute.{i}.Name", n))
                out.append((f"{prefix}Attribute.{i}.Value", _scalar(v)))
        elif key in _TAG_MAPS and isinstance(value, dict):
            loc = _TAG_MAPS[key]
            for i, (k, v) in enumerate(value.items(), 1):
                out.append((f"{prefix}{loc}.{i}.Key", k))
                out.append((f"{prefix}{loc}.{i}.Value", _scalar(v)))
        elif key in _MSG_ATTR_MAPS and isinstance(value, dict):
            loc = _MSG_ATTR_MAPS[key]
            for i, (n, v) in enumerate(value.items(), 1):
                out.append((f"{prefix}{loc}.{i}.Name", n))
                for vk, vv in v.items():
                    if vk == "BinaryValue":
                        if isinstance(vv, str):
                            vv = vv.encode("utf-8")
                        vv = base64.b64encode(vv).decode("ascii")
                    out.append((f"{prefix}{loc}.{i}.Value.{vk}", _scalar(vv)))
        elif key in _LIST_MEMBERS and isinstance(value, (list, tuple)):
            loc = _LIST_MEMBERS[key]
            for i, v in enumerate(value, 1):
                out.append((f"{prefix}{loc}.{i}", _scalar(v)))
        elif key == "Entries" and isinstance(value, (list, tuple)):
            loc = _ENTRY_PREFIX[action]
            for i, entry in enumerate(value, 1):
                _flatten_struct(action, f"{prefix}{loc}.{i}.", entry, out)
        else:
            out.append((f"{prefix}{key}", _scalar(value)))


def _text_children(el: ET.Element) -> dict:
    return {c.tag: (c.text or "") for c in el}


_INT_FIELDS = {"MaxNumberOfMessagesPerSecond", "ApproximateNumberOfMessagesMoved",
               "ApproximateNumberOfMessagesToMove", "StartedTimestamp"}


def _parse_message_attribute_value(v: ET.Element) -> dict:
    out: dict[str, Any] = {}
    for c in v:
        if c.tag == "BinaryValue":
            out["BinaryValue"] = base64.b64decode(c.text or "")
        elif c.tag in ("StringListValue", "BinaryListValue"):
            out.setdefault(c.tag + "s", []).append(c.text or "")
        else:
            out[c.tag] = c.text or ""
    return out


def parse_query_result(action: str, qr: QueryResponse) -> dict:
    root = qr.root
    assert root is not None, f"{action}: unparseable XML: {qr.text[:500]!r}"
    assert root.tag == f"{action}Response", f"{action}: unexpected root <{root.tag}>: {qr.text[:500]}"
    assert qr.ns == SQS_NS, f"{action}: wrong XML namespace {qr.ns!r}"
    rid = root.findtext("ResponseMetadata/RequestId")
    assert rid, f"{action}: missing ResponseMetadata/RequestId: {qr.text[:500]}"
    out: dict[str, Any] = {"ResponseMetadata": {"RequestId": rid, "HTTPStatusCode": qr.status,
                                                  "HTTPHeaders": dict(qr.headers)}}
    res = root.find(f"{action}Result")
    if res is None:
        return out
    if action in ("CreateQueue", "GetQueueUrl"):
        out["QueueUrl"] = res.findtext("QueueUrl")
    elif action in ("ListQueues", "ListDeadLetterSourceQueues"):
        urls = [e.text for e in res.findall("QueueUrl")]
        key = "QueueUrls" if action == "ListQueues" else "queueUrls"
        if urls or action == "ListDeadLetterSourceQueues":
            out[key] = urls
        if res.findtext("NextToken"):
            out["NextToken"] = res.findtext("NextToken")
    elif action == "GetQueueAttributes":
        attrs = {a.findtext("Name"): a.findtext("Value") or "" for a in res.findall("Attribute")}
        if attrs:
            out["Attributes"] = attrs
    elif action == "ListQueueTags":
        tags = {t.findtext("Key"): t.findtext("Value") or "" for t in res.findall("Tag")}
        if tags:
            out["Tags"] = tags
    elif action == "ReceiveMessage":
        msgs = []
        for m in res.findall("Message"):
            msg: dict[str, Any] = {}
            for c in m:
                if c.tag == "Attribute":
                    msg.setdefault("Attributes", {})[c.findtext("Name")] = c.findtext("Value") or ""
                elif c.tag == "MessageAttribute":
                    msg.setdefault("MessageAttributes", {})[c.findtext("Name")] = \
                        _parse_message_attribute_value(c.find("Value"))
                else:
                    msg[c.tag] = c.text or ""
            msgs.append(msg)
        if msgs:
            out["Messages"] = msgs
    elif action in _ENTRY_PREFIX:
        ok_tag = {"SendMessageBatch": "SendMessageBatchResultEntry",
                  "DeleteMessageBatch": "DeleteMessageBatchResultEntry",
                  "ChangeMessageVisibilityBatch": "ChangeMessageVisibilityBatchResultEntry"}[action]
        out["Successful"] = [_text_children(e) for e in res.findall(ok_tag)]
        failed = []
        for e in res.findall("BatchResultErrorEntry"):
            d: dict[str, Any] = _text_children(e)
            if "SenderFault" in d:
                d["SenderFault"] = d["SenderFault"].strip().lower() == "true"
            failed.append(d)
        out["Failed"] = failed
    elif action == "ListMessageMoveTasks":
        results = []
        for e in res.findall("ListMessageMoveTasksResultEntry"):
            d = _text_children(e)
            for k in list(d):
                if k in _INT_FIELDS:
                    d[k] = int(d[k])
            results.append(d)
        out["Results"] = results
    elif action == "CancelMessageMoveTask":
        out["ApproximateNumberOfMessagesMoved"] = int(res.findtext("ApproximateNumberOfMessagesMoved"))
    else:
        for c in res:
            out[c.tag] = c.text or ""
    return out


class QueryError(ClientError):
    """ClientError raised by QueryClient (same response layout as botocore)."""

    def __init__(self, error_response: dict, operation_name: str, qr: QueryResponse):
        super().__init__(error_response, operation_name)
        self.query_response = qr


class QueryClient:
    """AWS Query protocol client exposing boto3's SQS method names."""

    protocol = "query"

    def __init__(self, endpoint: str, method_map: dict[str, str], path: str = "/"):
        self.endpoint = endpoint
        self.session = requests.Session()
        self._method_map = method_map
        self.path = path

    def call(self, action: str, path: str | None = None, **kw) -> dict:
        params = flatten_query_params(action, kw)
        qr = raw_query(self.endpoint, action, params, path=path or self.path, session=self.session, sign=True)
        if qr.status >= 300:
            if qr.root is None or qr.root.tag != "ErrorResponse":
                raise AssertionError(f"{action}: HTTP {qr.status} without <ErrorResponse>: {qr.text[:500]!r}")
            err = qr.error()
            raise QueryError({"Error": err, "ResponseMetadata": {"HTTPStatusCode": qr.status,
                                                                "HTTPHeaders": dict(qr.headers)}},
                             action, qr)
        assert qr.status == 200, f"{action}: HTTP {qr.status}"
        ctype = qr.headers.get("Content-Type", "")
        assert "xml" in ctype, f"{action}: Query response Content-Type {ctype!r}, expected text/xml"
        return parse_query_result(action, qr)

    def __getattr__(self, name: str) -> Callable[..., dict]:
        if name.startswith("_") or name not in self._method_map:
            raise AttributeError(name)
        action = self._method_map[name]
        return lambda **kw: self.call(action, **kw)


class JsonApi:
    """boto3 client wrapper with a ``protocol`` tag (JSON 1.0 protocol)."""

    protocol = "json"

    def __init__(self, client):
        self.client = client
        self.endpoint = client.meta.endpoint_url

    def __getattr__(self, name):
        return getattr(self.client, name)


def make_boto_client(endpoint: str, **cfg):
    conf = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        parameter_validation=False,  # let the server see (and reject) bad input
        connect_timeout=cfg.pop("connect_timeout", 5),
        read_timeout=cfg.pop("read_timeout", 45),
        **cfg,
    )
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=conf,
    )


# --------------------------------------------------------------------------
# error assertions
# --------------------------------------------------------------------------
def expect_error(api, shape: str, fn: Callable[[], Any], message: str | None = None,
                 message_contains: str | None = None, status: int | None = None) -> dict:
    """Call ``fn`` and assert it fails with the SQS error ``shape``.

    Checks the legacy query code (``Error.Code``), the HTTP status, the fault
    type ``Sender``, and for JSON the exception class (modelled errors) or the
    ``__type`` short name (``Error.QueryErrorCode``) for unmodelled ones.
    """
    code, exp_status, modelled = ERRORS[shape]
    exp_status = status or exp_status
    try:
        result = fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        http = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        ctx = f"[{api.protocol}] got {http} {err}"
        assert err.get("Code") == code, f"expected code {code!r} ({shape}); {ctx}"
        assert http == exp_status, f"expected HTTP {exp_status} for {shape}; {ctx}"
        assert err.get("Type") == "Sender", f"expected fault type Sender; {ctx}"
        if api.protocol == "json":
            assert err.get("QueryErrorCode") == shape, (
                f"expected __type shape {shape!r} (x-amzn-query-error present?); {ctx}")
            if modelled:
                cls = getattr(api.client.exceptions, shape)
                assert isinstance(e, cls), f"expected exception class {shape}, got {type(e).__name__}; {ctx}"
        if message is not None:
            assert err.get("Message") == message, f"message mismatch; {ctx}"
        if message_contains is not None:
            assert message_contains in (err.get("Message") or ""), f"message mismatch; {ctx}"
        return err
    raise AssertionError(f"[{api.protocol}] expected {shape} ({code}), call succeeded: {result!r:.300}")


def expect_client_error(fn: Callable[[], Any]) -> ClientError:
    try:
        result = fn()
    except ClientError as e:
        return e
    raise AssertionError(f"expected an error, call succeeded: {result!r:.300}")


# --------------------------------------------------------------------------
# message helpers
# --------------------------------------------------------------------------
def receive(api, url: str, **kw) -> list[dict]:
    return api.receive_message(QueueUrl=url, **kw).get("Messages", [])


def drain(api, url: str, expected: int, timeout: float = 10.0, **kw) -> list[dict]:
    """Receive until ``expected`` messages were collected (or timeout).

    Uses long polls of 1 s so it is correct for AWS too (short polls may
    legitimately return fewer messages than available).
    """
    kw.setdefault("MaxNumberOfMessages", 10)
    kw.setdefault("WaitTimeSeconds", 1)
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        msgs = receive(api, url, **kw)
        assert len(msgs) <= kw["MaxNumberOfMessages"]
        got.extend(msgs)
    return got


def queue_attrs(api, url: str, *names: str) -> dict:
    return api.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"]).get("Attributes", {})


def queue_arn(api, url: str) -> str:
    return queue_attrs(api, url, "QueueArn")["QueueArn"]


def wait_for(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last={last!r:.500}")


# --------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------
def aws_cli_base() -> list[str]:
    exe = shutil.which("aws")
    if exe:
        return [exe]
    return [sys.executable, "-m", "awscli"]


def run_aws_cli(endpoint: str, *args: str, check: bool = True, timeout: float = 60) -> Any:
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    env.pop("AWS_PROFILE", None)
    cmd = aws_cli_base() + ["--endpoint-url", endpoint, "sqs", *args, "--output", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    if not check:
        return p
    out = p.stdout.strip()
    return json.loads(out) if out else None


def health_ok(endpoint: str) -> bool:
    try:
        return requests.get(endpoint + "/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def assert_healthy(endpoint: str):
    assert health_ok(endpoint), f"server at {endpoint} is not healthy any more (GET /health failed)"


def fail(msg: str):
    pytest.fail(msg, pytrace=False)
