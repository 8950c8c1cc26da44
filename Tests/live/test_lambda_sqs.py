"""SQS event source mappings end to end (lambda-events.md section 1, "Poller semantics" and
"SQS event"): the exact event shape, batching window, ReportBatchItemFailures, failures going to the
queue's dead-letter queue through its RedrivePolicy, FilterCriteria, FIFO order, disabling."""

from __future__ import annotations

import base64
import json
import time

from helpers import md5_of_attributes, md5_of_body
from lambda_helpers import (
    make_queue,  # noqa: F401  (fixtures)
    SSEStream,
    UUID_RE,
    lam,
    lambda_env,
    mappings,
    queue_arn,
    queue_total,
    sqs_records,
    uniq,
    wait_esm_state,
    wait_queue_empty,
)

RECORD_KEYS = {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
               "md5OfMessageAttributes", "eventSource", "eventSourceARN", "awsRegion"}


def _queue(lam, fifo: bool = False, **attrs) -> tuple[str, str]:
    return make_queue(lam, "lsq", fifo, **attrs)


def test_sqs_event_shape(lam, mappings):
    qname, url = _queue(lam, VisibilityTimeout=30)
    mappings.create("rec", queue_arn(qname), BatchSize=10)
    sqs = lam.sqs
    attrs = {
        "Author": {"DataType": "String", "StringValue": "John Grisham"},
        "WeeksOn": {"DataType": "Number", "StringValue": "6"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
    }
    before_ms = int(time.time() * 1000) - 1000
    with_attrs = sqs.send_message(QueueUrl=url, MessageBody="test body ü", MessageAttributes=attrs)
    plain = sqs.send_message(QueueUrl=url, MessageBody='{"json": "body"}')
    records = lam.wait_sqs_records(qname, 2)
    after_ms = int(time.time() * 1000) + 1000
    by_id = {r["messageId"]: r for r in records}
    assert set(by_id) == {with_attrs["MessageId"], plain["MessageId"]}, records
    assert len(records) == 2, f"each message delivered once: {records}"

    for r in records:
        assert set(r) == RECORD_KEYS, f"record keys {sorted(r)} != {sorted(RECORD_KEYS)}"
        assert r["eventSource"] == "aws:sqs"
        assert r["eventSourceARN"] == queue_arn(qname)
        assert r["awsRegion"] == "us-east-1"
        assert isinstance(r["receiptHandle"], str) and r["receiptHandle"]
        assert r["md5OfBody"] == md5_of_body(r["body"])
        a = r["attributes"]
        for k in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"):
            assert isinstance(a.get(k), str) and a[k], f"attributes.{k} must be a non-empty string: {a}"
        assert a["ApproximateReceiveCount"] == "1"
        assert before_ms <= int(a["SentTimestamp"]) <= after_ms, a
        assert int(a["SentTimestamp"]) <= int(a["ApproximateFirstReceiveTimestamp"]) <= after_ms, a
        for fifo_only in ("MessageGroupId", "SequenceNumber", "MessageDeduplicationId"):
            assert fifo_only not in a, f"{fifo_only} only for FIFO queues: {a}"

    r = by_id[with_attrs["MessageId"]]
    assert r["body"] == "test body ü"
    assert r["md5OfMessageAttributes"] == with_attrs["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    ma = r["messageAttributes"]
    assert ma["Author"] == {"stringValue": "John Grisham", "stringListValues": [], "binaryListValues": [],
                            "dataType": "String"}, ma
    assert ma["WeeksOn"] == {"stringValue": "6", "stringListValues": [], "binaryListValues": [],
                             "dataType": "Number"}, ma
    assert ma["Blob"] == {"binaryValue": base64.b64encode(b"\x00\x01\xfe").decode(), "stringListValues": [],
                          "binaryListValues": [], "dataType": "Binary"}, ma

    p = by_id[plain["MessageId"]]
    assert p["body"] == '{"json": "body"}', "the body is passed as the original string"
    assert p["messageAttributes"] == {}
    assert p["md5OfMessageAttributes"] is None

    wait_queue_empty(sqs, url)


def test_batching_window_collects_one_batch(lam, mappings):
    qname, url = _queue(lam)
    mappings.create("rec", queue_arn(qname), BatchSize=10, MaximumBatchingWindowInSeconds=2)
    ids = [lam.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(5)]
    invs = lam.wait_records(qname, lambda invs: len(sqs_records(invs)) >= 5, timeout=10, what="5 records")
    sizes = [len(i["event"]["Records"]) for i in invs]
    assert sizes == [5], f"5 messages sent within the 2 s window arrive as one batch, got batches {sizes}"
    assert [r["messageId"] for r in invs[0]["event"]["Records"]] == ids, "record order = send order"
    wait_queue_empty(lam.sqs, url)


def test_batch_size_caps_a_batch(lam, mappings):
    qname, url = _queue(lam)
    lam.sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(7)])
    mappings.create("rec", queue_arn(qname), BatchSize=3, MaximumBatchingWindowInSeconds=1)
    invs = lam.wait_records(qname, lambda invs: len(sqs_records(invs)) >= 7, timeout=10, what="7 records")
    sizes = [len(i["event"]["Records"]) for i in invs]
    assert max(sizes) <= 3 and sum(sizes) == 7, sizes
    wait_queue_empty(lam.sqs, url)


def test_report_batch_item_failures(lam, mappings):
    # (AWS: the visibility timeout must cover the batching window plus the function's run; 2 s covers
    #  a window of 0 and a ~0.1 s handler, and keeps the redelivery of the reported failures quick)
    qname, url = _queue(lam, VisibilityTimeout=2)
    lam.set_mode(qname, "partial")  # fails records whose body starts with "bad" on their 1st receive
    mappings.create("rec", queue_arn(qname), BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    sent = lam.sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "g1", "MessageBody": "good-1"}, {"Id": "b1", "MessageBody": "bad-1"},
        {"Id": "g2", "MessageBody": "good-2"}, {"Id": "b2", "MessageBody": "bad-2"},
        {"Id": "g3", "MessageBody": "good-3"}])["Successful"]
    ids = {s["Id"]: s["MessageId"] for s in sent}
    bad = {ids["b1"], ids["b2"]}

    def redelivered(invs):
        recs = sqs_records(invs)
        return all(sum(1 for r in recs if r["messageId"] == m) >= 2 for m in bad)

    lam.wait_records(qname, redelivered, timeout=15, what="the reported failures coming back")
    wait_queue_empty(lam.sqs, url, timeout=10)  # nothing visible or in flight: every message was deleted
    recs = sqs_records(lam.records(qname))
    counts = {m: sum(1 for r in recs if r["messageId"] == m) for m in ids.values()}
    for k in ("g1", "g2", "g3"):
        assert counts[ids[k]] == 1, f"{k} succeeded and must not come back: {counts}"
    for k in ("b1", "b2"):
        assert counts[ids[k]] == 2, f"{k} was reported once and must come back exactly once: {counts}"
    again = [r for r in recs if r["messageId"] in bad and r["attributes"]["ApproximateReceiveCount"] == "2"]
    assert len(again) == 2, recs
    assert queue_total(lam.sqs, url) == 0


def test_invalid_batch_item_failures_fail_the_whole_batch(lam, mappings):
    qname, url = _queue(lam, VisibilityTimeout=2)
    lam.set_mode(qname, "malformed")  # {"batchItemFailures": [{"foo": "notvalid"}]} on the first receive
    mappings.create("rec", queue_arn(qname), BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    sent = lam.sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": f"x{i}"} for i in range(3)])["Successful"]
    ids = {s["MessageId"] for s in sent}

    def all_twice(invs):
        recs = sqs_records(invs)
        return all(sum(1 for r in recs if r["messageId"] == m) >= 2 for m in ids)

    lam.wait_records(qname, all_twice, timeout=15, what="every message of the malformed batch coming back")
    wait_queue_empty(lam.sqs, url)
    recs = sqs_records(lam.records(qname))
    for m in ids:
        counts = sorted(r["attributes"]["ApproximateReceiveCount"] for r in recs if r["messageId"] == m)
        assert counts == ["1", "2"], f"{m}: receive counts {counts}"


def test_empty_batch_item_failures_is_success(lam, mappings):
    """ReportBatchItemFailures and a null response (empty stdout): everything succeeded."""
    qname, url = _queue(lam, VisibilityTimeout=30)
    mappings.create("rec", queue_arn(qname), BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    lam.sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"e{i}"} for i in range(3)])
    lam.wait_sqs_records(qname, 3)
    wait_queue_empty(lam.sqs, url)  # deleted (a kept message would still count as in flight for 30 s)
    assert len(sqs_records(lam.records(qname))) == 3


def test_failing_handler_messages_reach_the_dlq(lam, mappings):
    dlq_name, dlq_url = _queue(lam)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": 2})
    qname, url = _queue(lam, VisibilityTimeout=1, RedrivePolicy=redrive)
    lam.set_mode(qname, "fail")
    mappings.create("rec", queue_arn(qname), BatchSize=10, MaximumBatchingWindowInSeconds=1)
    stream = SSEStream(lam.endpoint, "/_sluice/events?kind=message.dead-lettered")
    try:
        sent = lam.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "a", "MessageBody": "doomed-a"}, {"Id": "b", "MessageBody": "doomed-b"}])["Successful"]
        ids = {s["MessageId"] for s in sent}
        deadline = time.monotonic() + 25
        while queue_total(lam.sqs, dlq_url) < 2:
            assert time.monotonic() < deadline, \
                f"messages did not reach the DLQ; handler saw {len(sqs_records(lam.records(qname)))} records"
            time.sleep(0.2)
        deadline = time.monotonic() + 3
        while True:
            ours = [e["data"] for e in stream.events if (e["data"] or {}).get("queue") in (qname, dlq_name)]
            moved = sum(int(d.get("count", 1)) for d in ours)
            if moved >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert moved == 2, f"message.dead-lettered events must account for both messages: " \
                           f"{[e['raw'] for e in stream.events]}"
    finally:
        stream.close()
    dead = lam.sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert {m["MessageId"] for m in dead} == ids
    assert sorted(m["Body"] for m in dead) == ["doomed-a", "doomed-b"]
    wait_queue_empty(lam.sqs, url)
    recs = sqs_records(lam.records(qname))
    for m in ids:
        counts = sorted(int(r["attributes"]["ApproximateReceiveCount"]) for r in recs if r["messageId"] == m)
        assert counts == [1, 2], f"maxReceiveCount 2: the handler sees the message twice, got {counts}"


def test_filter_criteria(lam, mappings):
    qname, url = _queue(lam, VisibilityTimeout=30)
    filters = [{"Pattern": json.dumps({"body": {"kind": ["a"]}})},
               {"Pattern": json.dumps({"messageAttributes": {"color": {"stringValue": ["red"]}}})}]
    mappings.create("rec", queue_arn(qname), BatchSize=10, FilterCriteria={"Filters": filters})
    sqs = lam.sqs
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "b", "n": 1}))
    sqs.send_message(QueueUrl=url, MessageBody="plain text, no kind")
    match_body = sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "a", "n": 2}))["MessageId"]
    match_attr = sqs.send_message(QueueUrl=url, MessageBody="not json",
                                  MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})["MessageId"]
    sqs.send_message(QueueUrl=url, MessageBody="blue",
                     MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}})
    lam.wait_sqs_records(qname, 2)
    wait_queue_empty(sqs, url, timeout=10)  # non-matching messages are deleted, not left behind
    recs = sqs_records(lam.records(qname))
    assert sorted(r["messageId"] for r in recs) == sorted([match_body, match_attr]), \
        [r["body"] for r in recs]


def test_fifo_mapping_keeps_group_order(lam, mappings):
    qname, url = _queue(lam, fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=30)
    lam.set_mode(qname, "ok", sleep=0.1)
    mappings.create("rec", queue_arn(qname), BatchSize=2, ScalingConfig={"MaximumConcurrency": 5})
    sent = {"g1": [], "g2": []}
    for i in range(8):
        for g in ("g1", "g2"):
            body = f"{g}-{i}"
            lam.sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=g)
            sent[g].append(body)
    recs = lam.wait_sqs_records(qname, 16, timeout=20)
    for g in ("g1", "g2"):
        got = [r["body"] for r in recs if r["attributes"].get("MessageGroupId") == g]
        assert got == sent[g], f"group {g} out of order or duplicated: {got}"
    for r in recs:
        a = r["attributes"]
        assert a["SequenceNumber"].isdigit() and a["MessageDeduplicationId"], a
    wait_queue_empty(lam.sqs, url)


def test_fifo_reported_failure_returns_the_rest_of_its_group(lam, mappings):
    """FIFO + ReportBatchItemFailures: a message reported as failed goes back to the queue together with
    the later messages of its group (processing them would break the group's order)."""
    qname, url = _queue(lam, fifo=True, ContentBasedDeduplication="true", VisibilityTimeout=2)
    lam.set_mode(qname, "partial")  # reports bodies starting with "bad" on their first receive
    lam.sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "0", "MessageBody": "ok-0", "MessageGroupId": "g"},
        {"Id": "1", "MessageBody": "bad-1", "MessageGroupId": "g"},
        {"Id": "2", "MessageBody": "ok-2", "MessageGroupId": "g"}])
    mappings.create("rec", queue_arn(qname), BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])

    def done(invs):
        return sum(1 for r in sqs_records(invs) if r["body"] == "ok-2") >= 2
    invs = lam.wait_records(qname, done, timeout=15, what="the group's remainder coming back")
    wait_queue_empty(lam.sqs, url)
    bodies = [r["body"] for r in sqs_records(lam.records(qname))]
    assert bodies == ["ok-0", "bad-1", "ok-2", "bad-1", "ok-2"], \
        f"ok-0 is done; bad-1 and the later ok-2 come back, in order: {bodies} ({len(invs)} invocations)"


def test_disabled_mapping_does_not_poll(lam, mappings):
    qname, url = _queue(lam)
    esm = mappings.create("rec", queue_arn(qname))["UUID"]
    lam.lam.update_event_source_mapping(UUID=esm, Enabled=False)
    wait_esm_state(lam.lam, esm, "Disabled")
    mid = lam.sqs.send_message(QueueUrl=url, MessageBody="while disabled")["MessageId"]
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        assert lam.records(qname) == [], "a Disabled mapping must not invoke the function"
        time.sleep(0.1)
    assert queue_total(lam.sqs, url) == 1
    lam.lam.update_event_source_mapping(UUID=esm, Enabled=True)
    recs = lam.wait_sqs_records(qname, 1)
    assert [r["messageId"] for r in recs] == [mid]
    wait_queue_empty(lam.sqs, url)
