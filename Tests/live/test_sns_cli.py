"""AWS CLI (`aws sns ...`) scenarios against the shared server."""

from __future__ import annotations

import json

import pytest

from sns_helpers import envelope, new_queue, receive_all, run_aws_sns, topic_arn_for, uniq, verify_sns_signature


@pytest.fixture(scope="module")
def aws_sns(endpoint):
    def _cli(*args, **kw):
        return run_aws_sns(endpoint, *args, **kw)
    return _cli


def test_cli_topic_subscribe_publish(aws_sns, sqs):
    name = uniq("cli")
    arn = aws_sns("create-topic", "--name", name, "--attributes", "DisplayName=CLI", "--tags",
                  "Key=team,Value=cli")["TopicArn"]
    assert arn == topic_arn_for(name)
    assert arn in [t["TopicArn"] for t in _list_all_topics(aws_sns)]
    attrs = aws_sns("get-topic-attributes", "--topic-arn", arn)["Attributes"]
    assert attrs["DisplayName"] == "CLI"

    url, qarn = new_queue(sqs)
    sub = aws_sns("subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint", qarn,
                  "--attributes", json.dumps({"FilterPolicy": json.dumps({"color": ["red"]})}))["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    listed = aws_sns("list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [sub]

    aws_sns("publish", "--topic-arn", arn, "--message", "blue", "--message-attributes",
            json.dumps({"color": {"DataType": "String", "StringValue": "blue"}}))
    out = aws_sns("publish", "--topic-arn", arn, "--message", "red one", "--subject", "From the CLI",
                  "--message-attributes", json.dumps({"color": {"DataType": "String", "StringValue": "red"}}))
    msgs = receive_all(sqs, url, 1)
    env = envelope(msgs[0])
    assert env["MessageId"] == out["MessageId"]
    assert env["Message"] == "red one" and env["Subject"] == "From the CLI"
    verify_sns_signature(env)

    aws_sns("set-subscription-attributes", "--subscription-arn", sub, "--attribute-name", "RawMessageDelivery",
            "--attribute-value", "true")
    assert aws_sns("get-subscription-attributes", "--subscription-arn", sub)["Attributes"]["RawMessageDelivery"] == "true"
    assert aws_sns("unsubscribe", "--subscription-arn", sub) is None
    assert aws_sns("list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"] == []
    aws_sns("tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=test")
    tags = {t["Key"]: t["Value"] for t in aws_sns("list-tags-for-resource", "--resource-arn", arn)["Tags"]}
    assert tags == {"team": "cli", "env": "test"}
    aws_sns("untag-resource", "--resource-arn", arn, "--tag-keys", "env")
    assert aws_sns("delete-topic", "--topic-arn", arn) is None


def _list_all_topics(aws_sns):
    return aws_sns("list-topics")["Topics"]  # the CLI follows NextToken itself


def test_cli_fifo_publish_batch(aws_sns, sqs):
    arn = aws_sns("create-topic", "--name", uniq("clififo") + ".fifo", "--attributes",
                  "FifoTopic=true,ContentBasedDeduplication=true")["TopicArn"]
    url, qarn = new_queue(sqs, fifo=True)
    aws_sns("subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint", qarn,
            "--attributes", "RawMessageDelivery=true")
    entries = [{"Id": f"e{i}", "Message": f"m{i}", "MessageGroupId": "g"} for i in range(3)]
    out = aws_sns("publish-batch", "--topic-arn", arn, "--publish-batch-request-entries", json.dumps(entries))
    assert sorted(e["Id"] for e in out["Successful"]) == ["e0", "e1", "e2"]
    assert all(e["SequenceNumber"] for e in out["Successful"])
    assert [m["Body"] for m in receive_all(sqs, url, 3)] == ["m0", "m1", "m2"]


def test_cli_errors(aws_sns):
    p = aws_sns("get-topic-attributes", "--topic-arn", topic_arn_for(uniq("nope")), check=False)
    assert p.returncode != 0
    assert "NotFound" in p.stderr and "Topic does not exist" in p.stderr
    p = aws_sns("create-platform-application", "--name", "a", "--platform", "GCM", "--attributes",
                "PlatformCredential=x", check=False)
    assert p.returncode != 0
    assert "InvalidAction" in p.stderr and "sluice does not support" in p.stderr
