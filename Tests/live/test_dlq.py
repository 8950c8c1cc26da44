"""Dead-letter queues, RedrivePolicy / RedriveAllowPolicy, ListDeadLetterSourceQueues
and message move tasks (DLQ redrive), over JSON and Query (sqs.md section 7)."""

from __future__ import annotations

import json
import time

import pytest

from helpers import (
    ACCOUNT,
    REGION,
    drain,
    expect_client_error,
    expect_error,
    md5_of_attributes,
    queue_arn,
    queue_attrs,
    receive,
    uniq,
)


def make_pair(api, max_receive=1, fifo=False, dlq_attrs=None, src_attrs=None):
    suffix = ".fifo" if fifo else ""
    base = {"FifoQueue": "true"} if fifo else {}
    dlq = api.create_queue(QueueName=uniq("dlq") + suffix, Attributes={**base, **(dlq_attrs or {})})["QueueUrl"]
    dlq_arn = queue_arn(api, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
    src = api.create_queue(QueueName=uniq("src") + suffix,
                           Attributes={**base, **(src_attrs or {}), "RedrivePolicy": policy})["QueueUrl"]
    return src, dlq


def move_to_dlq(api, src, n):
    """Receive every message once (visibility 0) so the next receive dead-letters it (maxReceiveCount 1)."""
    seen = drain(api, src, n, VisibilityTimeout=0, MaxNumberOfMessages=10)
    assert len(seen) == n
    # further receives find receive count >= maxReceiveCount: messages move instead of being returned
    for _ in range(5):
        leftover = receive(api, src, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        assert leftover == [], f"messages over maxReceiveCount must not be returned: {leftover}"
        if queue_attrs(api, src, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0":
            break
    assert queue_attrs(api, src, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "0"}


def test_redrive_policy_attribute_roundtrip(api):
    src, dlq = make_pair(api, max_receive=5)
    rp = json.loads(queue_attrs(api, src, "RedrivePolicy")["RedrivePolicy"])
    assert rp["deadLetterTargetArn"] == queue_arn(api, dlq)
    assert int(rp["maxReceiveCount"]) == 5
    # numbers may arrive as strings
    api.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": queue_arn(api, dlq), "maxReceiveCount": "7"})})
    assert int(json.loads(queue_attrs(api, src, "RedrivePolicy")["RedrivePolicy"])["maxReceiveCount"]) == 7
    # "" clears the policy
    api.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in queue_attrs(api, src, "All")


def test_message_moves_to_dlq_after_max_receive_count(api):
    src, dlq = make_pair(api, max_receive=1)
    attrs = {"k": {"DataType": "String", "StringValue": "v"}, "b": {"DataType": "Binary", "BinaryValue": b"\x01"}}
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sent = api.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=attrs,
                            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}})
    first = receive(api, src, WaitTimeSeconds=1, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
    assert len(first) == 1 and first[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert receive(api, src, MaxNumberOfMessages=10, WaitTimeSeconds=1) == []
    assert queue_attrs(api, src, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

    dead = receive(api, dlq, WaitTimeSeconds=2, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
    assert len(dead) == 1
    m = dead[0]
    assert m["MessageId"] == sent["MessageId"], "a dead-lettered message keeps its MessageId"
    assert m["Body"] == "poison"
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    a = m["Attributes"]
    assert a["DeadLetterQueueSourceArn"] == queue_arn(api, src)
    assert a["ApproximateReceiveCount"] == "2", "receive count is kept (1) and incremented by this receive"
    assert a["SentTimestamp"] == first[0]["Attributes"]["SentTimestamp"]
    assert a["AWSTraceHeader"] == trace


def test_dlq_with_max_receive_count_3(api):
    src, dlq = make_pair(api, max_receive=3)
    mid = api.send_message(QueueUrl=src, MessageBody="thrice")["MessageId"]
    for expected in ("1", "2", "3"):
        got = receive(api, src, WaitTimeSeconds=1, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        assert [m["MessageId"] for m in got] == [mid]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == expected
    assert receive(api, src, WaitTimeSeconds=1) == []
    dead = receive(api, dlq, WaitTimeSeconds=2)
    assert [m["MessageId"] for m in dead] == [mid]


def test_fifo_dlq(api):
    src, dlq = make_pair(api, max_receive=1, fifo=True)
    r = api.send_message(QueueUrl=src, MessageBody="fifo poison", MessageGroupId="g", MessageDeduplicationId="d")
    assert len(receive(api, src, WaitTimeSeconds=1, VisibilityTimeout=0)) == 1
    assert receive(api, src, WaitTimeSeconds=1) == []
    dead = receive(api, dlq, WaitTimeSeconds=2, MessageSystemAttributeNames=["All"])
    assert [m["MessageId"] for m in dead] == [r["MessageId"]]
    assert dead[0]["Attributes"]["MessageGroupId"] == "g"
    assert dead[0]["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn(api, src)


def test_redrive_policy_validation(api):
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{uniq('nonexistent')}"
    expect_error(api, "InvalidParameterValueException", lambda: api.create_queue(
        QueueName=uniq("badrp"),
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 2})}))
    # DLQ of a FIFO queue must be FIFO (and vice versa)
    std_dlq = api.create_queue(QueueName=uniq("stddlq"))["QueueUrl"]
    expect_error(api, "InvalidParameterValueException", lambda: api.create_queue(
        QueueName=uniq("fifosrc") + ".fifo",
        Attributes={"FifoQueue": "true", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": queue_arn(api, std_dlq), "maxReceiveCount": 2})}))
    fifo_dlq = api.create_queue(QueueName=uniq("fifodlq") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    expect_error(api, "InvalidParameterValueException", lambda: api.create_queue(
        QueueName=uniq("stdsrc"),
        Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": queue_arn(api, fifo_dlq), "maxReceiveCount": 2})}))


def test_redrive_allow_policy(api):
    deny = api.create_queue(QueueName=uniq("deny"), Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})["QueueUrl"]
    rap = json.loads(queue_attrs(api, deny, "RedriveAllowPolicy")["RedriveAllowPolicy"])
    assert rap["redrivePermission"] == "denyAll"
    src = api.create_queue(QueueName=uniq("src"))["QueueUrl"]
    expect_error(api, "InvalidParameterValueException", lambda: api.set_queue_attributes(
        QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": queue_arn(api, deny), "maxReceiveCount": 1})}))
    assert "RedrivePolicy" not in queue_attrs(api, src, "All")

    other = api.create_queue(QueueName=uniq("other"))["QueueUrl"]
    by_queue = api.create_queue(QueueName=uniq("byq"), Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn(api, src)]})})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": queue_arn(api, by_queue), "maxReceiveCount": 1})
    api.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": policy})
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": policy}))


def test_list_dead_letter_source_queues(api):
    dlq = api.create_queue(QueueName=uniq("ldlq"))["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": queue_arn(api, dlq), "maxReceiveCount": 3})
    srcs = [api.create_queue(QueueName=uniq(f"lsrc{i}"), Attributes={"RedrivePolicy": policy})["QueueUrl"]
            for i in range(3)]
    api.create_queue(QueueName=uniq("unrelated"))
    resp = api.list_dead_letter_source_queues(QueueUrl=dlq)
    assert sorted(resp["queueUrls"]) == sorted(srcs)
    # pagination
    seen, token, pages = [], None, 0
    while True:
        kw = {"QueueUrl": dlq, "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = api.list_dead_letter_source_queues(**kw)
        seen += page.get("queueUrls", [])
        token = page.get("NextToken")
        pages += 1
        if not token or pages > 5:
            break
    assert pages == 2
    assert sorted(seen) == sorted(srcs)
    # a queue nobody dead-letters into
    lonely = api.create_queue(QueueName=uniq("lonely"))["QueueUrl"]
    assert api.list_dead_letter_source_queues(QueueUrl=lonely).get("queueUrls", []) == []


# --------------------------------------------------------------------------- message move tasks
def _wait_task(api, source_arn, status, timeout=15.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        results = api.list_message_move_tasks(SourceArn=source_arn).get("Results", [])
        if results:
            last = results[0]
            if last["Status"] == status:
                return last
        time.sleep(0.2)
    raise AssertionError(f"move task did not reach {status} within {timeout}s; last={last}")


def test_message_move_task_redrives_back_to_source(api):
    src, dlq = make_pair(api, max_receive=1)
    bodies = [f"redrive-{i}" for i in range(3)]
    for b in bodies:
        api.send_message(QueueUrl=src, MessageBody=b)
    move_to_dlq(api, src, 3)
    assert queue_attrs(api, dlq, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "3"}
    dlq_arn, src_arn = queue_arn(api, dlq), queue_arn(api, src)

    started = int(time.time() * 1000)
    handle = api.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert isinstance(handle, str) and handle
    done = _wait_task(api, dlq_arn, "COMPLETED")
    assert done["SourceArn"] == dlq_arn
    assert done["ApproximateNumberOfMessagesMoved"] == 3
    assert done["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in done, "TaskHandle is only returned for RUNNING tasks"
    assert abs(int(done["StartedTimestamp"]) - started) < 60_000, "StartedTimestamp is epoch milliseconds"

    back = drain(api, src, 3)
    assert sorted(m["Body"] for m in back) == bodies, "messages must really arrive back in the source queue"
    assert queue_attrs(api, dlq, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert src_arn  # destination defaulted to the original source


def test_message_move_task_explicit_destination(api):
    src, dlq = make_pair(api, max_receive=1)
    api.send_message(QueueUrl=src, MessageBody="to elsewhere",
                     MessageAttributes={"a": {"DataType": "Number", "StringValue": "1"}})
    move_to_dlq(api, src, 1)
    dest = api.create_queue(QueueName=uniq("dest"))["QueueUrl"]
    dlq_arn, dest_arn = queue_arn(api, dlq), queue_arn(api, dest)
    api.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn, MaxNumberOfMessagesPerSecond=50)
    done = _wait_task(api, dlq_arn, "COMPLETED")
    assert done["DestinationArn"] == dest_arn
    assert done["MaxNumberOfMessagesPerSecond"] == 50
    assert done["ApproximateNumberOfMessagesMoved"] == 1
    got = drain(api, dest, 1, MessageAttributeNames=["All"])
    assert [m["Body"] for m in got] == ["to elsewhere"]
    assert got[0]["MessageAttributes"] == {"a": {"DataType": "Number", "StringValue": "1"}}
    assert receive(api, src, WaitTimeSeconds=0) == []


def test_message_move_task_cancel(api):
    src, dlq = make_pair(api, max_receive=1)
    n = 12
    api.send_message_batch(QueueUrl=src, Entries=[{"Id": f"e{i}", "MessageBody": f"c{i}"} for i in range(10)])
    api.send_message_batch(QueueUrl=src, Entries=[{"Id": f"e{i}", "MessageBody": f"c{i}"} for i in range(10, n)])
    move_to_dlq(api, src, n)
    dlq_arn = queue_arn(api, dlq)
    handle = api.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    running = api.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert running[0]["Status"] == "RUNNING"
    assert running[0]["TaskHandle"] == handle
    assert running[0]["ApproximateNumberOfMessagesToMove"] == n
    assert running[0]["MaxNumberOfMessagesPerSecond"] == 1
    # only one active task per source
    e = expect_client_error(lambda: api.start_message_move_task(SourceArn=dlq_arn))
    assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    moved = api.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 0 <= moved < n
    status = api.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"]
    assert status in ("CANCELLING", "CANCELLED")
    final = _wait_task(api, dlq_arn, "CANCELLED", timeout=5)
    assert final["ApproximateNumberOfMessagesMoved"] < n
    # cancelling again: the task is not RUNNING any more
    e = expect_client_error(lambda: api.cancel_message_move_task(TaskHandle=handle))
    assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    # messages are conserved: moved ones in the source, the rest still in the DLQ
    a_src = queue_attrs(api, src, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"]
    a_dlq = queue_attrs(api, dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"]
    assert int(a_src) + int(a_dlq) == n


def test_list_message_move_tasks_max_results(api):
    src, dlq = make_pair(api, max_receive=1)
    api.send_message(QueueUrl=src, MessageBody="one")
    move_to_dlq(api, src, 1)
    dlq_arn = queue_arn(api, dlq)
    api.start_message_move_task(SourceArn=dlq_arn)
    _wait_task(api, dlq_arn, "COMPLETED")
    for m in drain(api, src, 1):  # "one" is back in the source; remove it
        api.delete_message(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"])
    api.send_message(QueueUrl=src, MessageBody="two")
    move_to_dlq(api, src, 1)
    api.start_message_move_task(SourceArn=dlq_arn)
    _wait_task(api, dlq_arn, "COMPLETED")
    assert len(api.list_message_move_tasks(SourceArn=dlq_arn)["Results"]) == 1, "MaxResults defaults to 1"
    assert len(api.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]) == 2


def test_move_task_unknown_resources(api):
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{uniq('nothere')}"
    expect_error(api, "ResourceNotFoundException", lambda: api.start_message_move_task(SourceArn=missing))
    expect_error(api, "ResourceNotFoundException", lambda: api.list_message_move_tasks(SourceArn=missing))
    expect_error(api, "ResourceNotFoundException",
                 lambda: api.cancel_message_move_task(TaskHandle="bm90LWEtdGFzay1oYW5kbGU="))


def test_move_task_source_must_be_a_dlq(api):
    plain = api.create_queue(QueueName=uniq("notadlq"))["QueueUrl"]
    e = expect_client_error(lambda: api.start_message_move_task(SourceArn=queue_arn(api, plain)))
    assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500
