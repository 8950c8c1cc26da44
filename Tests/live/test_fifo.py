"""FIFO queue semantics over JSON (boto3) and Query (sqs.md section 6)."""

from __future__ import annotations

import hashlib
import time

import pytest

from helpers import drain, expect_error, md5_of_body, queue_attrs, receive, uniq


def fifo_queue(api, prefix="f", **attrs) -> str:
    a = {"FifoQueue": "true"}
    a.update({k: str(v) for k, v in attrs.items()})
    return api.create_queue(QueueName=uniq(prefix) + ".fifo", Attributes=a)["QueueUrl"]


def send(api, url, body, group="g1", dedup=None, **kw):
    return api.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                            MessageDeduplicationId=dedup or f"d-{body}", **kw)


def test_fifo_send_requires_message_group_id(api):
    url = fifo_queue(api, "nogroup", ContentBasedDeduplication="true")
    expect_error(api, "MissingRequiredParameterException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="x"),
                 message="The request must contain the parameter MessageGroupId.")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message_batch(QueueUrl=url, Entries=[
                     {"Id": "a", "MessageBody": "x", "MessageGroupId": "g"},
                     {"Id": "b", "MessageBody": "y"},
                 ]),
                 message="The request must contain the parameter MessageGroupId.")
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def test_fifo_send_requires_dedup_id_without_content_based_dedup(api):
    url = fifo_queue(api, "nodedup")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g"),
                 message="The queue should either have ContentBasedDeduplication enabled or "
                         "MessageDeduplicationId provided explicitly")


def test_fifo_sequence_numbers_and_system_attributes(api):
    url = fifo_queue(api, "seq")
    seqs = []
    ids = []
    for i in range(4):
        r = send(api, url, f"s{i}")
        assert r["MD5OfMessageBody"] == md5_of_body(f"s{i}")
        assert r["SequenceNumber"].isdigit(), r["SequenceNumber"]
        seqs.append(int(r["SequenceNumber"]))
        ids.append(r["MessageId"])
    resp = api.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"b{i}", "MessageBody": f"b{i}", "MessageGroupId": "g1", "MessageDeduplicationId": f"bd{i}"}
        for i in range(3)])
    assert not resp.get("Failed")
    by_id = {e["Id"]: e for e in resp["Successful"]}
    for i in range(3):
        seqs.append(int(by_id[f"b{i}"]["SequenceNumber"]))
    assert all(a < b for a, b in zip(seqs, seqs[1:])), f"SequenceNumber must be strictly increasing: {seqs}"

    m = receive(api, url, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"])[0]
    a = m["Attributes"]
    assert m["MessageId"] == ids[0]
    assert a["MessageGroupId"] == "g1"
    assert a["MessageDeduplicationId"] == "d-s0"
    assert int(a["SequenceNumber"]) == seqs[0]


def test_fifo_order_within_group(api):
    url = fifo_queue(api, "order")
    sent = {"A": [], "B": []}
    for i in range(6):
        for g in ("A", "B"):
            body = f"{g}{i}"
            send(api, url, body, group=g)
            sent[g].append(body)
    got = {"A": [], "B": []}
    deadline = time.monotonic() + 15
    while sum(map(len, got.values())) < 12 and time.monotonic() < deadline:
        msgs = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                       MessageSystemAttributeNames=["MessageGroupId"])
        for m in msgs:
            got[m["Attributes"]["MessageGroupId"]].append(m["Body"])
            api.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got == sent


def test_fifo_group_is_locked_while_a_message_is_in_flight(api):
    url = fifo_queue(api, "lock")
    m1 = send(api, url, "a1", group="A")["MessageId"]
    send(api, url, "a2", group="A")
    b1 = send(api, url, "b1", group="B")["MessageId"]

    first = receive(api, url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
    assert [m["MessageId"] for m in first] == [m1]
    # group A is locked: only group B can be delivered now
    nxt = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["MessageId"] for m in nxt] == [b1]
    assert receive(api, url, MaxNumberOfMessages=10) == []
    # making a1 visible again unlocks the group, and a1 (not a2) comes first
    api.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    again = receive(api, url, MaxNumberOfMessages=1, WaitTimeSeconds=1, AttributeNames=["ApproximateReceiveCount"])
    assert [m["MessageId"] for m in again] == [m1]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    # extending visibility keeps the group locked
    api.change_message_visibility(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"], VisibilityTimeout=60)
    assert receive(api, url, MaxNumberOfMessages=10) == []
    # deleting a1 unlocks the group: a2 follows
    api.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    last = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in last] == ["a2"]


def test_fifo_dedup_by_id(api):
    url = fifo_queue(api, "dedupid")
    r1 = send(api, url, "first", dedup="same-id")
    r2 = send(api, url, "second body, same dedup id", dedup="same-id")
    assert r2["MessageId"] == r1["MessageId"], "a duplicate returns the original MessageId"
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}
    msgs = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in msgs] == ["first"]
    api.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    # still deduplicated after the original was received and deleted
    r3 = send(api, url, "third", dedup="same-id")
    assert r3["MessageId"] == r1["MessageId"]
    assert receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1) == []


def test_fifo_content_based_dedup(api):
    url = fifo_queue(api, "cbd", ContentBasedDeduplication="true")
    r1 = api.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    r2 = api.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g",
                          MessageAttributes={"x": {"DataType": "String", "StringValue": "attrs don't count"}})
    assert r2["MessageId"] == r1["MessageId"]
    r3 = api.send_message(QueueUrl=url, MessageBody="different", MessageGroupId="g")
    assert r3["MessageId"] != r1["MessageId"]
    # an explicit dedup id overrides content-based deduplication
    r4 = api.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId="explicit")
    assert r4["MessageId"] != r1["MessageId"]
    assert queue_attrs(api, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "3"}
    msgs = []
    while len(msgs) < 3:
        batch = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                        MessageSystemAttributeNames=["MessageDeduplicationId"])
        assert batch, f"expected 3 messages, got {msgs}"
        for m in batch:
            api.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        msgs += batch
    assert [m["Body"] for m in msgs] == ["same", "different", "same"]
    assert msgs[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()
    assert msgs[2]["Attributes"]["MessageDeduplicationId"] == "explicit"


def test_fifo_dedup_scope_queue_vs_message_group(api):
    q_scope = fifo_queue(api, "scopeq")
    g_scope = fifo_queue(api, "scopeg", DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    assert queue_attrs(api, g_scope, "DeduplicationScope", "FifoThroughputLimit") == \
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    for url in (q_scope, g_scope):
        a = send(api, url, "a", group="G1", dedup="dup")
        b = send(api, url, "b", group="G2", dedup="dup")
        c = send(api, url, "c", group="G1", dedup="dup")
        assert c["MessageId"] == a["MessageId"]
        if url == q_scope:
            assert b["MessageId"] == a["MessageId"], "queue scope: dedup id is queue-wide"
        else:
            assert b["MessageId"] != a["MessageId"], "messageGroup scope: dedup is per group"
    assert queue_attrs(api, q_scope, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}
    assert queue_attrs(api, g_scope, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "2"}


def test_fifo_set_attributes(api):
    url = fifo_queue(api, "setattrs")
    api.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true",
                                                      "DeduplicationScope": "messageGroup"})
    got = queue_attrs(api, url, "ContentBasedDeduplication", "DeduplicationScope", "FifoQueue")
    assert got == {"ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup", "FifoQueue": "true"}
    api.send_message(QueueUrl=url, MessageBody="now cbd", MessageGroupId="g")


def test_fifo_per_message_delay_rejected(api):
    url = fifo_queue(api, "delay", DelaySeconds=1)
    expect_error(api, "InvalidParameterValueException",
                 lambda: send(api, url, "x", DelaySeconds=2),
                 message="Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter "
                         "that is not valid for this queue type.")
    # DelaySeconds=0 is accepted; the queue delay still applies
    send(api, url, "y", DelaySeconds=0)
    assert receive(api, url, MaxNumberOfMessages=10) == []
    assert queue_attrs(api, url, "ApproximateNumberOfMessagesDelayed") == {"ApproximateNumberOfMessagesDelayed": "1"}


@pytest.mark.parametrize("param", ["MessageGroupId", "MessageDeduplicationId"])
@pytest.mark.parametrize("bad", ["has space", "x" * 129, "caf\u00e9"], ids=["space", "129chars", "non-ascii"])
def test_fifo_invalid_group_and_dedup_ids(api, param, bad):
    url = fifo_queue(api, "ids")
    kw = {"MessageGroupId": "g", "MessageDeduplicationId": "d", param: bad}
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.send_message(QueueUrl=url, MessageBody="x", **kw),
                 message=f"Value {bad} for parameter {param} is invalid. Reason: {param} can only include "
                         f"alphanumeric and punctuation characters. 1 to 128 in length.")


def test_fifo_punctuation_ids_accepted(api):
    url = fifo_queue(api, "punct")
    punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    r = api.send_message(QueueUrl=url, MessageBody="p", MessageGroupId="G" + punct,
                         MessageDeduplicationId="D" + punct + "x" * (128 - 1 - len(punct)))
    m = receive(api, url, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"])[0]
    assert m["MessageId"] == r["MessageId"]
    assert m["Attributes"]["MessageGroupId"] == "G" + punct
    assert len(m["Attributes"]["MessageDeduplicationId"]) == 128


def test_fifo_expired_receipt_handle(api):
    url = fifo_queue(api, "expired")
    send(api, url, "e")
    m = receive(api, url, WaitTimeSeconds=1, VisibilityTimeout=1)[0]
    time.sleep(1.3)
    rh = m["ReceiptHandle"]
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.delete_message(QueueUrl=url, ReceiptHandle=rh),
                 message=f"Value {rh} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
    again = receive(api, url, WaitTimeSeconds=1)
    assert [x["MessageId"] for x in again] == [m["MessageId"]], "the message was not deleted"
    api.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])


def test_fifo_receive_request_attempt_id(api):
    url = fifo_queue(api, "attempt")
    for i in range(3):
        send(api, url, f"r{i}")
    attempt = uniq("attempt")
    first = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1, ReceiveRequestAttemptId=attempt)
    assert first
    retry = receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1, ReceiveRequestAttemptId=attempt)
    assert [m["MessageId"] for m in retry] == [m["MessageId"] for m in first]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]


def test_fifo_batch_send_and_drain(api):
    url = fifo_queue(api, "batch", ContentBasedDeduplication="true")
    entries = [{"Id": f"e{i}", "MessageBody": f"body-{i}", "MessageGroupId": "g"} for i in range(10)]
    resp = api.send_message_batch(QueueUrl=url, Entries=entries)
    assert not resp.get("Failed")
    assert sorted(e["Id"] for e in resp["Successful"]) == sorted(e["Id"] for e in entries)
    assert all(e["SequenceNumber"].isdigit() for e in resp["Successful"])
    got = []
    deadline = time.monotonic() + 10
    while len(got) < 10 and time.monotonic() < deadline:
        for m in receive(api, url, MaxNumberOfMessages=10, WaitTimeSeconds=1):
            got.append(m["Body"])
            api.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got == [f"body-{i}" for i in range(10)]
    assert drain(api, url, 1, timeout=1) == []


@pytest.mark.parametrize("bad", ["has space", "x" * 129])
def test_fifo_invalid_receive_request_attempt_id(api, bad):
    url = fifo_queue(api, "badattempt")
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.receive_message(QueueUrl=url, ReceiveRequestAttemptId=bad))
