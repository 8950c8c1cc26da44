"""Message operations over JSON (boto3) and Query (sqs.md sections 4, 5, 8;
wire-protocols.md section 8): send/receive/delete/visibility/delays/long
polling/purge, message attributes and MD5 checksums, limits."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    expect_error,
    drain,
    md5_of_attributes,
    md5_of_body,
    queue_attrs,
    receive,
    uniq,
)

KNOWN_ATTR = {"MyAttribute": {"DataType": "String", "StringValue": "foobar"}}


def new_queue(api, prefix="m", **attrs) -> str:
    return api.create_queue(QueueName=uniq(prefix), Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]


def recv_one(api, url, **kw) -> dict:
    """Receive exactly one message, leaving it immediately visible again."""
    kw.setdefault("WaitTimeSeconds", 2)
    kw.setdefault("VisibilityTimeout", 0)
    msgs = receive(api, url, MaxNumberOfMessages=1, **kw)
    assert len(msgs) == 1, f"expected one message, got {msgs}"
    return msgs[0]


def now_ms() -> int:
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- MD5 algorithm self-check
def test_md5_known_vectors_algorithm():
    assert md5_of_body("message-1") == "3d6b824fd8c1520e9a047d21fee6fb1f"
    assert md5_of_attributes(KNOWN_ATTR) == "adb59cd4678ea5a855436b949cd07ab6"


def test_send_message_known_md5_vectors(api):
    url = new_queue(api, "md5")
    resp = api.send_message(QueueUrl=url, MessageBody="message-1", MessageAttributes=KNOWN_ATTR)
    assert resp["MD5OfMessageBody"] == "3d6b824fd8c1520e9a047d21fee6fb1f"
    assert resp["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert resp["MessageId"]
    assert "SequenceNumber" not in resp
    assert "MD5OfMessageSystemAttributes" not in resp
    m = recv_one(api, url, MessageAttributeNames=["All"])
    assert m["Body"] == "message-1"
    assert m["MD5OfBody"] == "3d6b824fd8c1520e9a047d21fee6fb1f"
    assert m["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert m["MessageAttributes"] == KNOWN_ATTR


def test_send_without_attributes_omits_attribute_md5(api):
    url = new_queue(api)
    resp = api.send_message(QueueUrl=url, MessageBody="plain")
    assert resp["MD5OfMessageBody"] == md5_of_body("plain")
    assert "MD5OfMessageAttributes" not in resp
    m = recv_one(api, url, MessageAttributeNames=["All"])
    assert "MessageAttributes" not in m
    assert "MD5OfMessageAttributes" not in m


# --------------------------------------------------------------------------- message attributes
ATTRS = {
    "str": {"DataType": "String", "StringValue": "h\u00e9llo w\u00f6rld \u2713"},
    "num": {"DataType": "Number", "StringValue": "12345.678"},
    "int": {"DataType": "Number.int", "StringValue": "-42"},
    "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02\xff"},
    "gif": {"DataType": "Binary.gif", "BinaryValue": b"GIF89a"},
    "custom": {"DataType": "String.custom-label", "StringValue": "c"},
    "grp.one": {"DataType": "String", "StringValue": "1"},
    "grp.two": {"DataType": "Number", "StringValue": "2"},
    "grp-other": {"DataType": "String", "StringValue": "3"},
}


def subset(*names):
    return {n: ATTRS[n] for n in names}


def test_message_attributes_types_and_md5(api):
    url = new_queue(api, "attrs")
    resp = api.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=ATTRS)
    assert resp["MD5OfMessageBody"] == md5_of_body("with attributes")
    assert resp["MD5OfMessageAttributes"] == md5_of_attributes(ATTRS)

    m = recv_one(api, url, MessageAttributeNames=["All"])
    assert m["MessageAttributes"] == ATTRS
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(ATTRS)
    assert m["MD5OfBody"] == md5_of_body("with attributes")


@pytest.mark.parametrize("names,expected", [
    (["All"], list(ATTRS)),
    ([".*"], list(ATTRS)),
    (["str", "bin", "does-not-exist"], ["str", "bin"]),
    (["grp.*"], ["grp.one", "grp.two"]),
    (["int", "grp.*"], ["int", "grp.one", "grp.two"]),
    (["does-not-exist"], []),
    (None, []),
], ids=["All", "dot-star", "exact", "prefix", "mixed", "none-match", "not-requested"])
def test_message_attribute_name_filters_and_md5_over_subset(api, names, expected):
    url = new_queue(api, "filter")
    api.send_message(QueueUrl=url, MessageBody="filter me", MessageAttributes=ATTRS)
    kw = {} if names is None else {"MessageAttributeNames": names}
    m = recv_one(api, url, **kw)
    if not expected:
        assert "MessageAttributes" not in m
        assert "MD5OfMessageAttributes" not in m
    else:
        assert m["MessageAttributes"] == subset(*expected)
        assert m["MD5OfMessageAttributes"] == md5_of_attributes(subset(*expected))


def test_message_attribute_names_are_case_sensitive(api):
    url = new_queue(api, "case")
    attrs = {"Key": {"DataType": "String", "StringValue": "upper"},
             "key": {"DataType": "String", "StringValue": "lower"}}
    api.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=attrs)
    m = recv_one(api, url, MessageAttributeNames=["key"])
    assert m["MessageAttributes"] == {"key": attrs["key"]}


# --------------------------------------------------------------------------- system attributes
def test_system_attributes(api):
    url = new_queue(api, "sys")
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    before = now_ms()
    resp = api.send_message(QueueUrl=url, MessageBody="sys",
                            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String",
                                                                        "StringValue": trace}})
    after = now_ms()
    assert resp["MD5OfMessageSystemAttributes"] == md5_of_attributes(
        {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}})

    m = recv_one(api, url)
    assert "Attributes" not in m, "system attributes are only returned when requested"

    m = recv_one(api, url, MessageSystemAttributeNames=["All"])
    a = m["Attributes"]
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
            "AWSTraceHeader"} <= set(a)
    assert not {"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "DeadLetterQueueSourceArn"} & set(a)
    assert a["SenderId"]
    assert before - 2000 <= int(a["SentTimestamp"]) <= after + 2000, "SentTimestamp must be epoch milliseconds"
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= int(a["SentTimestamp"])
    assert int(a["ApproximateFirstReceiveTimestamp"]) <= now_ms() + 2000
    assert a["ApproximateReceiveCount"] == "2"
    assert a["AWSTraceHeader"] == trace

    m = recv_one(api, url, AttributeNames=["SentTimestamp", "ApproximateReceiveCount"])
    assert set(m["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}
    assert m["Attributes"]["ApproximateReceiveCount"] == "3"

    m = recv_one(api, url, MessageSystemAttributeNames=["SenderId"])
    assert set(m["Attributes"]) == {"SenderId"}

    m = recv_one(api, url, AttributeNames=["All"])
    assert "AWSTraceHeader" in m["Attributes"]


def test_standard_queue_accepts_message_group_id(api):
    url = new_queue(api, "fair")
    api.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g1")
    api.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g1")
    msgs = drain(api, url, 2, MessageSystemAttributeNames=["MessageGroupId"])
    assert sorted(m["Body"] for m in msgs) == ["a", "b"], "no group locking on standard queues"
    assert all(m["Attributes"]["MessageGroupId"] == "g1" for m in msgs)


def test_standard_queue_rejects_deduplication_id(api):
    url = new_queue(api, "nodedup")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d1"))


# --------------------------------------------------------------------------- bodies
VALID_EDGE_BODY = "tab\tnl\ncr\r crlf\r\n sp \u007f\u0085 \ud7ff\ue000\ufffd \U00010000\U0010ffff <&>'\" ]]> \u00e9\u4e2d\U0001F600"


def test_body_roundtrip_edge_characters(api):
    url = new_queue(api, "chars")
    resp = api.send_message(QueueUrl=url, MessageBody=VALID_EDGE_BODY)
    assert resp["MD5OfMessageBody"] == md5_of_body(VALID_EDGE_BODY)
    m = recv_one(api, url)
    assert m["Body"] == VALID_EDGE_BODY, "body (incl. \\r and XML specials) must round-trip exactly"
    assert m["MD5OfBody"] == md5_of_body(VALID_EDGE_BODY)


@pytest.mark.parametrize("bad", ["\u0000", "a\u0001b", "\u0008", "\u000b", "\u001f", "x\uffff", "\ufffe"],
                         ids=["nul", "soh", "bs", "vt", "us", "uffff", "ufffe"])
def test_body_invalid_characters(api, bad):
    url = new_queue(api, "badchars")
    expect_error(api, "InvalidMessageContents", lambda: api.send_message(QueueUrl=url, MessageBody=bad))
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def test_body_size_limits_default_queue(api):
    url = new_queue(api, "size")
    max_body = "a" * 1048576
    resp = api.send_message(QueueUrl=url, MessageBody=max_body)
    assert resp["MD5OfMessageBody"] == md5_of_body(max_body)
    m = recv_one(api, url)
    assert len(m["Body"]) == 1048576 and m["MD5OfBody"] == md5_of_body(max_body)
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="a" * 1048577),
                 message_contains="Message must be shorter than 1048576 bytes")


def test_body_plus_attributes_count_towards_size(api):
    url = new_queue(api, "attrsize")
    # attribute size = len(name) + len(DataType) + len(value): 1 + 6 + 13 = 20
    ok_attrs = {"a": {"DataType": "String", "StringValue": "x" * 13}}
    api.send_message(QueueUrl=url, MessageBody="b" * (1048576 - 20), MessageAttributes=ok_attrs)
    too_big = {"a": {"DataType": "String", "StringValue": "x" * 14}}
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="b" * (1048576 - 20),
                                          MessageAttributes=too_big),
                 message_contains="Message must be shorter than 1048576 bytes")


def test_body_size_limit_maximum_message_size(api):
    url = new_queue(api, "small", MaximumMessageSize=1024)
    api.send_message(QueueUrl=url, MessageBody="a" * 1024)
    api.send_message(QueueUrl=url, MessageBody="\u00e9" * 512)  # 1024 UTF-8 bytes
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="a" * 1025),
                 message_contains="Message must be shorter than 1024 bytes")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="\u00e9" * 513),  # size counts bytes
                 message_contains="Message must be shorter than 1024 bytes")


def test_missing_and_empty_body(api):
    url = new_queue(api, "empty")
    expect_error(api, "MissingRequiredParameterException", lambda: api.send_message(QueueUrl=url),
                 message="The request must contain the parameter MessageBody.")
    try:
        api.send_message(QueueUrl=url, MessageBody="")
    except Exception as e:  # noqa: BLE001
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.response["Error"]["Code"] in ("MissingParameter", "InvalidParameterValue")
    else:
        raise AssertionError("an empty message body must be rejected (min 1 character)")


# --------------------------------------------------------------------------- attribute validation
def _attr_error(api, url, attrs, **kw):
    return expect_error(api, "InvalidParameterValueException",
                        lambda: api.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs), **kw)


def test_more_than_10_message_attributes_rejected(api):
    url = new_queue(api, "attrs11")
    ten = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    api.send_message(QueueUrl=url, MessageBody="ten", MessageAttributes=ten)
    eleven = dict(ten, a10={"DataType": "String", "StringValue": "v"})
    _attr_error(api, url, eleven)


@pytest.mark.parametrize("name", ["AWS.reserved", "aws.lower", "Amazon.reserved", "AMAZON.upper",
                                  ".leading", "trailing.", "double..dot", "sp ace", "bad/char", "n" * 257])
def test_invalid_message_attribute_names(api, name):
    url = new_queue(api, "attrname")
    _attr_error(api, url, {name: {"DataType": "String", "StringValue": "v"}})


def test_message_attribute_name_256_chars_ok(api):
    url = new_queue(api, "attr256")
    name = "n" * 256
    api.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={name: {"DataType": "String", "StringValue": "v"}})
    m = recv_one(api, url, MessageAttributeNames=["All"])
    assert list(m["MessageAttributes"]) == [name]


def test_empty_string_attribute_value_rejected(api):
    url = new_queue(api, "emptyattr")
    _attr_error(api, url, {"X": {"DataType": "String", "StringValue": ""}},
                message="Message (user) attribute 'X' must contain a non-empty value of type 'String'.")


@pytest.mark.parametrize("value", [
    {"DataType": "Foo", "StringValue": "v"},
    {"DataType": "Number", "StringValue": "not-a-number"},
    {"DataType": "Binary", "StringValue": "text-for-binary"},
    {"DataType": "String", "BinaryValue": b"bytes-for-string"},
    {"DataType": "String." + "x" * 256, "StringValue": "v"},
], ids=["unknown-type", "nan", "binary-with-string", "string-with-binary", "type-too-long"])
def test_invalid_message_attribute_values(api, value):
    url = new_queue(api, "attrval")
    _attr_error(api, url, {"attr": value})


# --------------------------------------------------------------------------- receive parameters
def test_max_number_of_messages(api):
    url = new_queue(api, "max")
    for i in range(5):
        api.send_message(QueueUrl=url, MessageBody=f"m{i}")
    first = receive(api, url, MaxNumberOfMessages=2, WaitTimeSeconds=1)
    assert 1 <= len(first) <= 2
    one = receive(api, url, WaitTimeSeconds=1)  # default MaxNumberOfMessages is 1
    assert len(one) == 1
    rest = drain(api, url, 5 - len(first) - 1)
    bodies = sorted(m["Body"] for m in first + one + rest)
    assert bodies == [f"m{i}" for i in range(5)]
    assert len({m["MessageId"] for m in first + one + rest}) == 5


@pytest.mark.parametrize("value", [0, 11, -1])
def test_max_number_of_messages_out_of_range(api, value):
    url = new_queue(api, "maxbad")
    msg = f"Value {value} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.receive_message(QueueUrl=url, MaxNumberOfMessages=value), message=msg)


@pytest.mark.parametrize("value", [21, -1])
def test_wait_time_seconds_out_of_range(api, value):
    url = new_queue(api, "waitbad")
    msg = f"Value {value} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.receive_message(QueueUrl=url, WaitTimeSeconds=value), message=msg)


@pytest.mark.parametrize("value", [-1, 43201])
def test_receive_visibility_timeout_out_of_range(api, value):
    url = new_queue(api, "visbad")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.receive_message(QueueUrl=url, VisibilityTimeout=value))


def test_empty_receive_omits_messages(api):
    url = new_queue(api, "emptyrecv")
    resp = api.receive_message(QueueUrl=url)
    assert "Messages" not in resp


def test_receipt_handles_are_unique_per_receive(api):
    url = new_queue(api, "rh")
    api.send_message(QueueUrl=url, MessageBody="x")
    handles = {recv_one(api, url)["ReceiptHandle"] for _ in range(3)}
    assert len(handles) == 3


def test_approximate_counts(api):
    url = new_queue(api, "counts")
    for i in range(3):
        api.send_message(QueueUrl=url, MessageBody=f"v{i}")
    api.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    assert len(receive(api, url, WaitTimeSeconds=1, VisibilityTimeout=60)) == 1
    a = queue_attrs(api, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed")
    assert a == {"ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "1",
                 "ApproximateNumberOfMessagesDelayed": "1"}


# --------------------------------------------------------------------------- visibility timeout
def test_visibility_timeout_expiry_and_change(api):
    q_req = new_queue(api, "visreq")                      # request VisibilityTimeout=1
    q_attr = new_queue(api, "visattr", VisibilityTimeout=1)  # queue VisibilityTimeout=1
    q_chg = new_queue(api, "vischg")                      # ChangeMessageVisibility to 1
    for q in (q_req, q_attr, q_chg):
        api.send_message(QueueUrl=q, MessageBody="v")

    names = ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"]
    first, received_at = {}, {}
    first[q_chg] = receive(api, q_chg, WaitTimeSeconds=1, MessageSystemAttributeNames=names)  # default 30 s
    api.change_message_visibility(QueueUrl=q_chg, ReceiptHandle=first[q_chg][0]["ReceiptHandle"],
                                  VisibilityTimeout=1)
    received_at[q_chg] = time.monotonic()
    first[q_req] = receive(api, q_req, VisibilityTimeout=1, WaitTimeSeconds=1, MessageSystemAttributeNames=names)
    received_at[q_req] = time.monotonic()
    first[q_attr] = receive(api, q_attr, WaitTimeSeconds=1, MessageSystemAttributeNames=names)
    received_at[q_attr] = time.monotonic()
    for q, msgs in first.items():
        assert len(msgs) == 1
        assert msgs[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    checked = 0
    for q in first:
        if time.monotonic() - received_at[q] < 0.7:  # only meaningful well inside the 1 s timeout
            assert receive(api, q) == [], "an in-flight message must stay invisible"
            assert queue_attrs(api, q, "ApproximateNumberOfMessagesNotVisible") == \
                {"ApproximateNumberOfMessagesNotVisible": "1"}
            checked += 1
    assert checked >= 1, "machine too slow to check invisibility within a 1 s visibility timeout"
    time.sleep(max(0.0, 1.3 - (time.monotonic() - min(received_at.values()))))
    time.sleep(max(0.0, 1.1 - (time.monotonic() - max(received_at.values()))))

    # after expiry on a standard queue, ChangeMessageVisibility with the old handle returns 200
    api.change_message_visibility(QueueUrl=q_attr, ReceiptHandle=first[q_attr][0]["ReceiptHandle"],
                                  VisibilityTimeout=0)
    for q, msgs in first.items():
        again = receive(api, q, WaitTimeSeconds=2, VisibilityTimeout=30, MessageSystemAttributeNames=names)
        assert len(again) == 1, f"message did not become visible again on {q}"
        m = again[0]
        assert m["MessageId"] == msgs[0]["MessageId"]
        assert m["ReceiptHandle"] != msgs[0]["ReceiptHandle"]
        assert m["Attributes"]["ApproximateReceiveCount"] == "2"
        assert m["Attributes"]["ApproximateFirstReceiveTimestamp"] == \
            msgs[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]


def test_change_message_visibility_zero_makes_visible(api):
    url = new_queue(api, "vis0")
    api.send_message(QueueUrl=url, MessageBody="z")
    m = receive(api, url, WaitTimeSeconds=1)[0]  # queue default 30 s
    assert receive(api, url) == []
    resp = api.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    again = receive(api, url, WaitTimeSeconds=1, AttributeNames=["ApproximateReceiveCount"])
    assert [x["MessageId"] for x in again] == [m["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    # the changed timeout applied to that receive only: this receive uses the queue default (30 s) again
    assert receive(api, url) == []
    assert queue_attrs(api, url, "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessagesNotVisible": "1"}


@pytest.mark.parametrize("value", [-1, 43201])
def test_change_message_visibility_out_of_range(api, value):
    url = new_queue(api, "visrange")
    api.send_message(QueueUrl=url, MessageBody="r")
    m = receive(api, url, WaitTimeSeconds=1)[0]
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                       VisibilityTimeout=value))


def test_change_message_visibility_garbage_handle(api):
    url = new_queue(api, "visgarbage")
    expect_error(api, "ReceiptHandleIsInvalid",
                 lambda: api.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=0))


def test_change_message_visibility_batch(api):
    url = new_queue(api, "visbatch")
    for i in range(2):
        api.send_message(QueueUrl=url, MessageBody=f"b{i}")
    msgs = drain(api, url, 2)
    assert len(msgs) == 2
    entries = [{"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for i, m in enumerate(msgs)]
    entries.append({"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0})
    resp = api.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sorted(e["Id"] for e in resp["Successful"]) == ["e0", "e1"]
    failed = resp.get("Failed", [])
    assert len(failed) == 1 and failed[0]["Id"] == "bad"
    assert failed[0]["Code"] == "ReceiptHandleIsInvalid"
    assert failed[0]["SenderFault"] is True
    again = drain(api, url, 2)
    assert sorted(m["MessageId"] for m in again) == sorted(m["MessageId"] for m in msgs)


# --------------------------------------------------------------------------- delete
def test_delete_message(api):
    url = new_queue(api, "delete")
    api.send_message(QueueUrl=url, MessageBody="d")
    m = receive(api, url, WaitTimeSeconds=1, VisibilityTimeout=0)[0]
    m2 = receive(api, url, WaitTimeSeconds=1, VisibilityTimeout=0)[0]
    assert m2["MessageId"] == m["MessageId"] and m2["ReceiptHandle"] != m["ReceiptHandle"]
    resp = api.delete_message(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert receive(api, url, WaitTimeSeconds=1) == []
    a = queue_attrs(api, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert a == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    # deleting an already-deleted message, or using an older handle, is 200 on a standard queue
    api.delete_message(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"])
    api.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_delete_message_garbage_handle(api):
    url = new_queue(api, "delgarbage")
    expect_error(api, "ReceiptHandleIsInvalid",
                 lambda: api.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle"))


def test_delete_message_batch(api):
    url = new_queue(api, "delbatch")
    for i in range(3):
        api.send_message(QueueUrl=url, MessageBody=f"x{i}")
    msgs = drain(api, url, 3)
    assert len(msgs) == 3
    entries = [{"Id": f"id-{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs[:2])]
    entries.append({"Id": "garbage_1", "ReceiptHandle": "garbage"})
    resp = api.delete_message_batch(QueueUrl=url, Entries=entries)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sorted(e["Id"] for e in resp["Successful"]) == ["id-0", "id-1"]
    failed = resp.get("Failed", [])
    assert [f["Id"] for f in failed] == ["garbage_1"]
    assert failed[0]["Code"] == "ReceiptHandleIsInvalid"
    assert failed[0]["SenderFault"] is True
    a = queue_attrs(api, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert a == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}


# --------------------------------------------------------------------------- batches
def test_send_message_batch(api):
    url = new_queue(api, "sendbatch")
    entries = []
    for i in range(10):
        e = {"Id": f"m_{i}", "MessageBody": f"batch body {i}"}
        if i % 2 == 0:
            e["MessageAttributes"] = {"idx": {"DataType": "Number", "StringValue": str(i)},
                                      "bin": {"DataType": "Binary", "BinaryValue": bytes([i, 255 - i])}}
        entries.append(e)
    resp = api.send_message_batch(QueueUrl=url, Entries=entries)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert not resp.get("Failed")
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert set(ok) == {e["Id"] for e in entries}
    for e in entries:
        r = ok[e["Id"]]
        assert r["MessageId"]
        assert r["MD5OfMessageBody"] == md5_of_body(e["MessageBody"])
        if "MessageAttributes" in e:
            assert r["MD5OfMessageAttributes"] == md5_of_attributes(e["MessageAttributes"])
        else:
            assert "MD5OfMessageAttributes" not in r
    assert len({r["MessageId"] for r in ok.values()}) == 10
    got = drain(api, url, 10, MessageAttributeNames=["All"])
    by_id = {m["MessageId"]: m for m in got}
    assert len(by_id) == 10
    for e in entries:
        m = by_id[ok[e["Id"]]["MessageId"]]
        assert m["Body"] == e["MessageBody"]
        assert m.get("MessageAttributes") == e.get("MessageAttributes")


def test_send_message_batch_delays_and_system_attributes(api):
    url = new_queue(api, "batchextra")
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sys_attrs = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}
    resp = api.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "now", "MessageBody": "now", "MessageSystemAttributes": sys_attrs},
        {"Id": "later", "MessageBody": "later", "DelaySeconds": 60},
    ])
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert set(ok) == {"now", "later"}
    assert ok["now"]["MD5OfMessageSystemAttributes"] == md5_of_attributes(sys_attrs)
    assert "MD5OfMessageSystemAttributes" not in ok["later"]
    got = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert [m["Body"] for m in got] == ["now"]
    assert got[0]["Attributes"] == {"AWSTraceHeader": trace}
    assert queue_attrs(api, url, "ApproximateNumberOfMessagesDelayed") == {"ApproximateNumberOfMessagesDelayed": "1"}


def test_send_message_batch_per_entry_failure(api):
    url = new_queue(api, "batchfail", MaximumMessageSize=1024)
    resp = api.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "fine"},
        {"Id": "big", "MessageBody": "a" * 1025},
    ])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [e["Id"] for e in resp["Successful"]] == ["ok"]
    failed = resp.get("Failed", [])
    assert len(failed) == 1 and failed[0]["Id"] == "big"
    assert failed[0]["Code"] == "InvalidParameterValue"
    assert failed[0]["SenderFault"] is True
    assert "Message must be shorter than 1024 bytes" in failed[0]["Message"]


def test_send_message_batch_too_long(api):
    url = new_queue(api, "batchlong")
    err = expect_error(api, "BatchRequestTooLong", lambda: api.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "a" * 600000},
        {"Id": "b", "MessageBody": "b" * 600000},
    ]))
    import re
    assert re.fullmatch(r"Batch requests cannot be longer than 1048576 bytes\. You have sent \d+ bytes\.",
                        err["Message"]), err["Message"]
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def _entries(op, n, ids=None):
    ids = ids or [f"e{i}" for i in range(n)]
    if op == "send_message_batch":
        return [{"Id": i, "MessageBody": "x"} for i in ids]
    if op == "delete_message_batch":
        return [{"Id": i, "ReceiptHandle": "rh"} for i in ids]
    return [{"Id": i, "ReceiptHandle": "rh", "VisibilityTimeout": 0} for i in ids]


BATCH_OPS = ["send_message_batch", "delete_message_batch", "change_message_visibility_batch"]


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_too_many_entries(api, op):
    url = new_queue(api, "toomany")
    expect_error(api, "TooManyEntriesInBatchRequest",
                 lambda: getattr(api, op)(QueueUrl=url, Entries=_entries(op, 11)),
                 message="Maximum number of entries per request are 10. You have sent 11.")


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_empty(api, op):
    url = new_queue(api, "emptybatch")
    expect_error(api, "EmptyBatchRequest", lambda: getattr(api, op)(QueueUrl=url, Entries=[]))


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_duplicate_ids(api, op):
    url = new_queue(api, "dupids")
    expect_error(api, "BatchEntryIdsNotDistinct",
                 lambda: getattr(api, op)(QueueUrl=url, Entries=_entries(op, 2, ids=["same", "same"])))
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


@pytest.mark.parametrize("op", BATCH_OPS)
@pytest.mark.parametrize("bad_id", ["has space", "dot.id", "x" * 81], ids=["space", "dot", "81chars"])
def test_batch_invalid_entry_id(api, op, bad_id):
    url = new_queue(api, "badid")
    expect_error(api, "InvalidBatchEntryId",
                 lambda: getattr(api, op)(QueueUrl=url, Entries=_entries(op, 2, ids=["good", bad_id])),
                 message="A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                         "It can be at most 80 letters long.")


def test_batch_entry_id_80_chars_ok(api):
    url = new_queue(api, "id80")
    resp = api.send_message_batch(QueueUrl=url, Entries=[{"Id": "A-_9" * 20, "MessageBody": "x"}])
    assert [e["Id"] for e in resp["Successful"]] == ["A-_9" * 20]


# --------------------------------------------------------------------------- delays
def test_delays(api):
    q_delay = new_queue(api, "qdelay", DelaySeconds=1)
    q_plain = new_queue(api, "mdelay")
    a = api.send_message(QueueUrl=q_delay, MessageBody="A")["MessageId"]          # queue delay 1 s
    b = api.send_message(QueueUrl=q_delay, MessageBody="B", DelaySeconds=0)["MessageId"]  # override: none
    c = api.send_message(QueueUrl=q_plain, MessageBody="C", DelaySeconds=1)["MessageId"]  # message delay
    t0 = time.monotonic()
    got = receive(api, q_delay, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert [m["MessageId"] for m in got] in ([b], []), "delayed message must not be delivered early"
    if not got:  # short poll may legitimately miss; B must be there with a (short) long poll
        got = receive(api, q_delay, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=1)
        assert [m["MessageId"] for m in got] == [b]
    assert receive(api, q_plain, MaxNumberOfMessages=10) == []
    assert queue_attrs(api, q_delay, "ApproximateNumberOfMessagesDelayed") == {"ApproximateNumberOfMessagesDelayed": "1"}
    assert queue_attrs(api, q_plain, "ApproximateNumberOfMessagesDelayed") == {"ApproximateNumberOfMessagesDelayed": "1"}
    # changing the queue delay affects only new messages
    api.set_queue_attributes(QueueUrl=q_delay, Attributes={"DelaySeconds": "0"})
    if time.monotonic() - t0 < 0.8:
        assert receive(api, q_delay, MaxNumberOfMessages=10) == []
    time.sleep(max(0.0, 1.15 - (time.monotonic() - t0)))
    got_a = receive(api, q_delay, WaitTimeSeconds=2, MaxNumberOfMessages=10)
    got_c = receive(api, q_plain, WaitTimeSeconds=2, MaxNumberOfMessages=10)
    assert [m["MessageId"] for m in got_a] == [a]
    assert [m["MessageId"] for m in got_c] == [c]


@pytest.mark.parametrize("value", [-1, 901])
def test_message_delay_out_of_range(api, value):
    url = new_queue(api, "delaybad")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=value))


# --------------------------------------------------------------------------- long polling
def test_long_poll_returns_when_message_arrives(api):
    url = new_queue(api, "lp")

    def later():
        time.sleep(0.7)
        api.send_message(QueueUrl=url, MessageBody="wake up")

    t = threading.Thread(target=later)
    t0 = time.monotonic()
    t.start()
    msgs = receive(api, url, WaitTimeSeconds=10)
    elapsed = time.monotonic() - t0
    t.join()
    assert [m["Body"] for m in msgs] == ["wake up"]
    assert 0.5 <= elapsed < 3.0, f"long poll returned after {elapsed:.2f}s (message was sent after 0.7s)"


def test_long_poll_returns_empty_after_wait(api):
    url = new_queue(api, "lpempty")
    t0 = time.monotonic()
    resp = api.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    elapsed = time.monotonic() - t0
    assert "Messages" not in resp
    assert 0.9 <= elapsed < 2.5, f"WaitTimeSeconds=1 returned after {elapsed:.2f}s"


def test_queue_receive_wait_time_attribute(api):
    url = new_queue(api, "lpattr", ReceiveMessageWaitTimeSeconds=1)
    t0 = time.monotonic()
    assert receive(api, url) == []
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 2.5, f"queue ReceiveMessageWaitTimeSeconds=1 not applied ({elapsed:.2f}s)"
    t0 = time.monotonic()
    assert receive(api, url, WaitTimeSeconds=0) == []
    assert time.monotonic() - t0 < 0.5, "WaitTimeSeconds=0 must override the queue default"


def test_long_poll_concurrent_waiters_single_message(sqs):
    url = sqs.create_queue(QueueName=uniq("lpmany"))["QueueUrl"]
    results: list[list] = []
    lock = threading.Lock()

    def waiter():
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, VisibilityTimeout=30).get("Messages", [])
        with lock:
            results.append(msgs)

    threads = [threading.Thread(target=waiter) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.4)
    mid = sqs.send_message(QueueUrl=url, MessageBody="only one")["MessageId"]
    for t in threads:
        t.join(10)
    delivered = [m["MessageId"] for r in results for m in r]
    assert delivered == [mid], f"exactly one waiter must get the message, got {delivered}"


# --------------------------------------------------------------------------- purge
def test_purge_queue(api):
    name = uniq("purge")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    for i in range(3):
        api.send_message(QueueUrl=url, MessageBody=f"p{i}")
    assert len(receive(api, url, WaitTimeSeconds=1)) == 1  # one in flight
    resp = api.purge_queue(QueueUrl=url)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    a = queue_attrs(api, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert a == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1) == []
    expect_error(api, "PurgeQueueInProgress", lambda: api.purge_queue(QueueUrl=url),
                 message=f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.")


# --------------------------------------------------------------------------- property test
_BODY_CHARS = st.one_of(
    st.sampled_from("\t\n\r"),
    st.characters(min_codepoint=0x20, max_codepoint=0x10FFFF, exclude_categories=("Cs",),
                  exclude_characters="\ufffe\uffff"),
)
_ATTR_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
                     min_size=1, max_size=12)
_ATTR_VALUE = st.one_of(
    st.builds(lambda s, label: {"DataType": "String" + label, "StringValue": s},
              st.text(_BODY_CHARS, min_size=1, max_size=30), st.sampled_from(["", ".x", ".label-1"])),
    st.builds(lambda n, label: {"DataType": "Number" + label, "StringValue": str(n)},
              st.integers(min_value=-10**20, max_value=10**20), st.sampled_from(["", ".int"])),
    st.builds(lambda b, label: {"DataType": "Binary" + label, "BinaryValue": b},
              st.binary(min_size=1, max_size=40), st.sampled_from(["", ".gif"])),
)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=st.text(_BODY_CHARS, min_size=1, max_size=60),
       attrs=st.dictionaries(_ATTR_NAME, _ATTR_VALUE, max_size=10))
def test_property_md5_and_roundtrip(api, body, attrs):
    url = api.create_queue(QueueName=uniq("prop"))["QueueUrl"]
    kw = {"MessageAttributes": attrs} if attrs else {}
    resp = api.send_message(QueueUrl=url, MessageBody=body, **kw)
    assert resp["MD5OfMessageBody"] == md5_of_body(body)
    assert resp.get("MD5OfMessageAttributes") == md5_of_attributes(attrs)
    msgs = receive(api, url, WaitTimeSeconds=2, MessageAttributeNames=["All"])
    assert len(msgs) == 1
    m = msgs[0]
    api.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert m["MessageId"] == resp["MessageId"]
    assert m["Body"] == body
    assert m["MD5OfBody"] == md5_of_body(body)
    assert m.get("MessageAttributes", {}) == attrs
    assert m.get("MD5OfMessageAttributes") == md5_of_attributes(attrs)
