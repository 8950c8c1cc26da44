"""AWS CLI (v1, JSON protocol via botocore) scenarios against the shared server."""

from __future__ import annotations

import json

from helpers import ACCOUNT, md5_of_attributes, md5_of_body, uniq


def test_cli_queue_and_message_roundtrip(aws_cli, endpoint):
    name = uniq("cli")
    out = aws_cli("create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=45,DelaySeconds=0")
    url = out["QueueUrl"]
    assert url == f"{endpoint}/{ACCOUNT}/{name}"

    listed = aws_cli("list-queues", "--queue-name-prefix", name)
    assert listed["QueueUrls"] == [url]

    attrs = aws_cli("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"

    msg_attrs = {"color": {"DataType": "String", "StringValue": "blue"},
                 "size": {"DataType": "Number.int", "StringValue": "3"}}
    sent = aws_cli("send-message", "--queue-url", url, "--message-body", "hello from the cli",
                   "--message-attributes", json.dumps(msg_attrs))
    assert sent["MD5OfMessageBody"] == md5_of_body("hello from the cli")
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(msg_attrs)

    got = aws_cli("receive-message", "--queue-url", url, "--wait-time-seconds", "2",
                  "--attribute-names", "All", "--message-attribute-names", "All")
    [m] = got["Messages"]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == "hello from the cli"
    assert m["MD5OfBody"] == md5_of_body("hello from the cli")
    assert m["MessageAttributes"] == msg_attrs
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"

    assert aws_cli("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"]) is None
    after = aws_cli("get-queue-attributes", "--queue-url", url, "--attribute-names",
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")["Attributes"]
    assert after == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_cli_batch_and_empty_receive(aws_cli):
    url = aws_cli("create-queue", "--queue-name", uniq("clibatch"))["QueueUrl"]
    entries = [{"Id": f"e{i}", "MessageBody": f"b{i}"} for i in range(3)]
    res = aws_cli("send-message-batch", "--queue-url", url, "--entries", json.dumps(entries))
    assert sorted(e["Id"] for e in res["Successful"]) == ["e0", "e1", "e2"]
    aws_cli("purge-queue", "--queue-url", url)
    assert aws_cli("receive-message", "--queue-url", url) is None, "empty receive prints nothing"


def test_cli_error_reporting(aws_cli):
    p = aws_cli("get-queue-url", "--queue-name", uniq("nope"), check=False)
    assert p.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in p.stderr
    assert "The specified queue does not exist." in p.stderr
