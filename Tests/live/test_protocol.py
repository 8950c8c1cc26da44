"""Wire-level checks with raw HTTP (wire-protocols.md sections 2, 3, 5, 6):
JSON 1.0 headers/`__type`/`x-amzn-query-error`, Query XML layout and routing,
and robustness against malformed input (the server must stay healthy)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from helpers import (
    ACCOUNT,
    JSON_CT,
    NONEXISTENT_QUEUE_MSG,
    SQS_NS,
    assert_healthy,
    md5_of_body,
    raw_json,
    raw_query,
    uniq,
)


def create(jpost, name=None, **attrs):
    name = name or uniq("wire")
    r = jpost("CreateQueue", {"QueueName": name, **({"Attributes": attrs} if attrs else {})})
    assert r.status_code == 200, r.text
    return name, r.json()["QueueUrl"]


def assert_json_error(r: requests.Response, status: int, query_code: str, type_short: str,
                      message: str | None = None):
    assert r.status_code == status, f"HTTP {r.status_code}: {r.text[:300]}"
    assert r.headers.get("Content-Type", "").startswith(JSON_CT), r.headers.get("Content-Type")
    assert r.headers.get("x-amzn-RequestId"), "missing x-amzn-RequestId header"
    assert r.headers.get("x-amzn-query-error") == f"{query_code};Sender", r.headers.get("x-amzn-query-error")
    body = r.json()
    assert body["__type"].rsplit("#", 1)[-1] == type_short, body
    if message is not None:
        assert (body.get("message") or body.get("Message")) == message, body
    return body


# --------------------------------------------------------------------------- JSON 1.0
def test_json_success_headers(jpost):
    r = jpost("ListQueues", {})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(JSON_CT)
    assert r.headers.get("x-amzn-RequestId")
    assert isinstance(r.json(), dict)


def test_json_queue_does_not_exist_wire_format(jpost, endpoint):
    r = jpost("GetQueueUrl", {"QueueName": uniq("missing")})
    body = assert_json_error(r, 400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
                             message=NONEXISTENT_QUEUE_MSG["json"])
    assert body["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    r = jpost("SendMessage", {"QueueUrl": f"{endpoint}/{ACCOUNT}/{uniq('missing')}", "MessageBody": "x"})
    assert_json_error(r, 400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
                      message=NONEXISTENT_QUEUE_MSG["json"])


def test_json_unmodelled_errors_wire_format(jpost):
    _, url = create(jpost)
    r = jpost("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 11})
    assert_json_error(r, 400, "InvalidParameterValue", "InvalidParameterValueException",
                      message="Value 11 for parameter MaxNumberOfMessages is invalid. "
                              "Reason: Must be between 1 and 10, if provided.")
    r = jpost("SendMessage", {"QueueUrl": url})
    assert_json_error(r, 400, "MissingParameter", "MissingRequiredParameterException",
                      message="The request must contain the parameter MessageBody.")


def test_json_modelled_errors_wire_format(jpost):
    name, url = create(jpost)
    r = jpost("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": "garbage"})
    body = assert_json_error(r, 400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid")
    assert body["__type"] == "com.amazonaws.sqs#ReceiptHandleIsInvalid"
    r = jpost("SendMessageBatch", {"QueueUrl": url, "Entries": [{"Id": f"i{i}", "MessageBody": "x"} for i in range(11)]})
    assert_json_error(r, 400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
                      message="Maximum number of entries per request are 10. You have sent 11.")
    assert jpost("PurgeQueue", {"QueueUrl": url}).status_code == 200
    r = jpost("PurgeQueue", {"QueueUrl": url})
    assert_json_error(r, 403, "AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress")
    r = jpost("CreateQueue", {"QueueName": name, "Attributes": {"DelaySeconds": "7"}})
    assert_json_error(r, 400, "QueueAlreadyExists", "QueueNameExists")


def test_json_empty_receive_is_empty_object(jpost):
    _, url = create(jpost)
    r = jpost("ReceiveMessage", {"QueueUrl": url})
    assert r.status_code == 200
    assert r.json() == {}


def test_json_lowercase_members(jpost):
    """CreateQueue `tags` and ListDeadLetterSourceQueues `queueUrls` are lowercase in JSON."""
    name = uniq("lower")
    r = jpost("CreateQueue", {"QueueName": name, "tags": {"k": "v"}})
    assert r.status_code == 200
    url = r.json()["QueueUrl"]
    assert jpost("ListQueueTags", {"QueueUrl": url}).json() == {"Tags": {"k": "v"}}
    r = jpost("ListDeadLetterSourceQueues", {"QueueUrl": url})
    assert r.status_code == 200
    assert "QueueUrls" not in r.json()
    assert r.json().get("queueUrls", []) == []


def test_json_posted_to_queue_url_path(jpost, endpoint):
    name, url = create(jpost)
    path = f"/{ACCOUNT}/{name}"
    r = jpost("SendMessage", {"QueueUrl": url, "MessageBody": "via path"}, path=path)
    assert r.status_code == 200, r.text
    assert r.json()["MD5OfMessageBody"] == md5_of_body("via path")
    r = jpost("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1}, path=path)
    assert [m["Body"] for m in r.json()["Messages"]] == ["via path"]


def test_json_binary_attribute_is_base64(jpost):
    _, url = create(jpost)
    r = jpost("SendMessage", {"QueueUrl": url, "MessageBody": "b",
                              "MessageAttributes": {"bin": {"DataType": "Binary", "BinaryValue": "AgME"}}})
    assert r.status_code == 200, r.text
    r = jpost("ReceiveMessage", {"QueueUrl": url, "MessageAttributeNames": ["All"], "WaitTimeSeconds": 1})
    assert r.json()["Messages"][0]["MessageAttributes"] == {"bin": {"BinaryValue": "AgME", "DataType": "Binary"}}


def test_json_unknown_operation(jpost, endpoint):
    r = jpost("NoSuchOperation", {})
    assert r.status_code == 400, r.text
    assert r.headers.get("x-amzn-query-error", "").split(";")[0] == "InvalidAction"
    assert r.json()["__type"].rsplit("#", 1)[-1] in ("InvalidAction", "UnknownOperationException")
    assert_healthy(endpoint)


@pytest.mark.parametrize("payload", [
    b'{"QueueName": ',
    b"not json at all",
    b"[1, 2, 3]",
    b'{"QueueName": "\xff\xfe"}',
    b"",
], ids=["truncated", "text", "array", "bad-utf8", "empty"])
def test_json_malformed_body(endpoint, payload):
    r = raw_json(endpoint, "CreateQueue", data=payload)
    assert r.status_code == 400, f"HTTP {r.status_code}: {r.text[:200]}"
    assert "__type" in r.json()
    assert_healthy(endpoint)


def test_json_wrong_member_types(jpost, endpoint):
    _, url = create(jpost)
    for body in ({"QueueName": ["a"]},
                 {"QueueName": {"a": "b"}},
                 {"QueueName": uniq("t"), "Attributes": "not-a-map"}):
        r = jpost("CreateQueue", body)
        assert r.status_code == 400, f"{body}: HTTP {r.status_code} {r.text[:200]}"
    r = jpost("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "ten"})
    assert r.status_code == 400, r.text
    r = jpost("SendMessageBatch", {"QueueUrl": url, "Entries": {"Id": "x"}})
    assert r.status_code == 400, r.text
    assert_healthy(endpoint)


def test_json_wrong_content_type(endpoint):
    r = raw_json(endpoint, "ListQueues", {}, headers={"Content-Type": "text/plain"})
    assert r.status_code < 500, f"HTTP {r.status_code}"
    r = requests.post(endpoint + "/", data=b"\x00\x01garbage", headers={"Content-Type": "application/octet-stream"},
                      timeout=10)
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}"
    assert_healthy(endpoint)


def test_missing_required_parameter(jpost, query):
    r = jpost("GetQueueUrl", {})
    assert_json_error(r, 400, "MissingParameter", "MissingRequiredParameterException")
    qr = query("GetQueueUrl", {})
    assert qr.status == 400
    assert qr.error()["Code"] == "MissingParameter"


def test_oversized_request_body(endpoint):
    # a message far above the 1 MiB limit
    body = {"QueueUrl": f"{endpoint}/{ACCOUNT}/whatever", "MessageBody": "a" * (3 * 1024 * 1024)}
    r = raw_json(endpoint, "SendMessage", body)
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}"
    # a huge body: a 4xx response or the connection being closed are both acceptable
    try:
        r = requests.post(endpoint + "/", data=b"A" * (24 * 1024 * 1024),
                          headers={"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": JSON_CT}, timeout=30)
        assert 400 <= r.status_code < 500, f"HTTP {r.status_code}"
    except requests.ConnectionError:
        pass
    assert_healthy(endpoint)


def test_many_concurrent_bad_requests_keep_server_healthy(endpoint):
    import concurrent.futures as cf
    bad = [b"{", b"\xff" * 100, b'{"QueueUrl": null}', b'{"QueueName": "' + b"x" * 5000 + b'"}']

    def hit(i):
        return raw_json(endpoint, ["CreateQueue", "SendMessage", "Nope"][i % 3], data=bad[i % len(bad)]).status_code

    with cf.ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(hit, range(64)))
    assert all(400 <= c < 500 for c in codes), codes
    assert_healthy(endpoint)


# --------------------------------------------------------------------------- Query
def test_query_response_layout(query):
    name = uniq("qlayout")
    qr = query("CreateQueue", {"QueueName": name})
    status, root = qr
    assert status == 200
    assert "xml" in qr.headers.get("Content-Type", "")
    assert qr.ns == SQS_NS
    assert root.tag == "CreateQueueResponse"
    url = root.findtext("CreateQueueResult/QueueUrl")
    assert url.endswith(f"/{ACCOUNT}/{name}")
    assert root.findtext("ResponseMetadata/RequestId")
    # ops without output: <XResponse><ResponseMetadata/></XResponse>, no Result element
    for action, params in (("SetQueueAttributes", {"QueueUrl": url, "Attribute.1.Name": "DelaySeconds",
                                                   "Attribute.1.Value": "1"}),
                           ("TagQueue", {"QueueUrl": url, "Tag.1.Key": "a", "Tag.1.Value": "b"}),
                           ("PurgeQueue", {"QueueUrl": url}),
                           ("DeleteQueue", {"QueueUrl": url})):
        status, root = query(action, params)
        assert status == 200, action
        assert root.tag == f"{action}Response"
        assert root.find(f"{action}Result") is None, f"{action} must not have a Result element"
        assert root.findtext("ResponseMetadata/RequestId")


def test_query_error_layout(query):
    qr = query("GetQueueUrl", {"QueueName": uniq("missing")})
    status, root = qr
    assert status == 400
    assert "xml" in qr.headers.get("Content-Type", "")
    assert qr.ns == SQS_NS
    assert root.tag == "ErrorResponse"
    assert root.findtext("Error/Type") == "Sender"
    assert root.findtext("Error/Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert root.findtext("Error/Message") == NONEXISTENT_QUEUE_MSG["query"]
    assert root.findtext("RequestId")


def test_query_empty_receive_result(query):
    url = query("CreateQueue", {"QueueName": uniq("qempty")}).findtext("CreateQueueResult/QueueUrl")
    status, root = query("ReceiveMessage", {"QueueUrl": url})
    assert status == 200
    res = root.find("ReceiveMessageResult")
    assert res is not None and len(res) == 0, "empty receive is <ReceiveMessageResult/>"


def test_query_unknown_action(query, endpoint):
    qr = query("NoSuchAction", {})
    assert qr.status == 400
    assert qr.error()["Code"] == "InvalidAction"
    assert_healthy(endpoint)


def test_query_missing_action(endpoint):
    r = requests.post(endpoint + "/", data={"Version": "2012-11-05", "QueueName": "x"}, timeout=10)
    assert 400 <= r.status_code < 500
    assert_healthy(endpoint)


def test_query_posted_to_queue_url_path(query):
    name = uniq("qpath")
    status, root = query("CreateQueue", {"QueueName": name})
    path = f"/{ACCOUNT}/{name}"
    qr = query("SendMessage", {"MessageBody": "to the path"}, path=path)
    assert qr.status == 200, qr.text
    assert qr.findtext("SendMessageResult/MD5OfMessageBody") == md5_of_body("to the path")
    qr = query("GetQueueAttributes", {"AttributeName.1": "ApproximateNumberOfMessages"}, path=path)
    assert qr.status == 200, qr.text
    assert qr.findtext("GetQueueAttributesResult/Attribute/Value") == "1"
    qr = query("ReceiveMessage", {"WaitTimeSeconds": "1"}, path=path)
    assert qr.findtext("ReceiveMessageResult/Message/Body") == "to the path"
    assert qr.findtext("ReceiveMessageResult/Message/MD5OfBody") == md5_of_body("to the path")
    # unknown queue in the path
    qr = query("SendMessage", {"MessageBody": "x"}, path=f"/{ACCOUNT}/{uniq('nope')}")
    assert qr.status == 400
    assert qr.error()["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_query_get_with_query_string(query):
    name = uniq("qget")
    query("CreateQueue", {"QueueName": name})
    qr = query("GetQueueUrl", {"QueueName": name}, method="GET")
    assert qr.status == 200, qr.text
    assert qr.findtext("GetQueueUrlResult/QueueUrl").endswith(f"/{ACCOUNT}/{name}")


def test_query_message_system_attribute_name_param(query):
    name = uniq("qsys")
    url = query("CreateQueue", {"QueueName": name}).findtext("CreateQueueResult/QueueUrl")
    query("SendMessage", {"QueueUrl": url, "MessageBody": "s"})
    qr = query("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": "1", "VisibilityTimeout": "0",
                                  "MessageSystemAttributeName.1": "SentTimestamp"})
    attrs = {a.findtext("Name"): a.findtext("Value") for a in qr.root.findall("ReceiveMessageResult/Message/Attribute")}
    assert set(attrs) == {"SentTimestamp"}
    assert abs(int(attrs["SentTimestamp"]) - time.time() * 1000) < 60_000


def test_query_tag_queue_alternative_tags_form(query):
    url = query("CreateQueue", {"QueueName": uniq("qtags")}).findtext("CreateQueueResult/QueueUrl")
    assert query("TagQueue", {"QueueUrl": url, "Tags.1.Key": "k1", "Tags.1.Value": "v1"}).status == 200
    assert query("TagQueue", {"QueueUrl": url, "Tag.1.Key": "k2", "Tag.1.Value": "v2"}).status == 200
    qr = query("ListQueueTags", {"QueueUrl": url})
    tags = {t.findtext("Key"): t.findtext("Value") for t in qr.root.findall("ListQueueTagsResult/Tag")}
    assert tags == {"k1": "v1", "k2": "v2"}


def test_query_xml_escaping_of_body(query):
    url = query("CreateQueue", {"QueueName": uniq("qesc")}).findtext("CreateQueueResult/QueueUrl")
    body = "a&b<c>d\"e'f\r\ng\rh]]>"
    qr = query("SendMessage", {"QueueUrl": url, "MessageBody": body})
    assert qr.status == 200
    qr = query("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": "1"})
    assert qr.findtext("ReceiveMessageResult/Message/Body") == body, "XML-escape bodies; keep \\r as &#xD;"


def test_query_binary_attribute_base64(query):
    url = query("CreateQueue", {"QueueName": uniq("qbin")}).findtext("CreateQueueResult/QueueUrl")
    qr = query("SendMessage", {"QueueUrl": url, "MessageBody": "b",
                               "MessageAttribute.1.Name": "bin",
                               "MessageAttribute.1.Value.DataType": "Binary",
                               "MessageAttribute.1.Value.BinaryValue": "AgME"})
    assert qr.status == 200, qr.text
    qr = query("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": "1", "MessageAttributeName.1": "All"})
    ma = qr.root.find("ReceiveMessageResult/Message/MessageAttribute")
    assert ma.findtext("Name") == "bin"
    assert ma.findtext("Value/BinaryValue") == "AgME"
    assert ma.findtext("Value/DataType") == "Binary"


def test_query_and_json_share_state(jpost, query):
    name, url = create(jpost)
    query("SendMessage", {"QueueUrl": url, "MessageBody": "from query"})
    r = jpost("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1})
    assert [m["Body"] for m in r.json()["Messages"]] == ["from query"]
