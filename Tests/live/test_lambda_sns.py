"""SNS -> Lambda (sns.md section 5 "Lambda event") and asynchronous invocation retries
(lambda-events.md section 2; sluice: `retries` per function, `server.async-retry-delay`,
subscription `dead-letter-queue`)."""

from __future__ import annotations

import json
import time
import urllib.parse

from lambda_helpers import (  # noqa: F401  (fixtures)
    SSEStream,
    function_arn,
    invoke,
    lam,
    lambda_env,
    queue_arn,
    topic_arn,
    uniq,
)
from sns_helpers import TIMESTAMP_RE, verify_sns_signature

RECORD_KEYS = {"EventSource", "EventVersion", "EventSubscriptionArn", "Sns"}
SNS_KEYS = {"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
            "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes"}


def _check_record(rec: dict, sub_arn: str, topic: str, message: str, message_id: str):
    assert set(rec) == RECORD_KEYS, f"record keys {sorted(rec)}"
    assert rec["EventSource"] == "aws:sns"
    assert rec["EventVersion"] == "1.0"
    assert rec["EventSubscriptionArn"] == sub_arn
    sns = rec["Sns"]
    assert SNS_KEYS - {"Subject"} <= set(sns), f"Sns keys {sorted(sns)}"
    assert "SigningCertURL" not in sns and "UnsubscribeURL" not in sns, "Lambda spells them ...Url"
    assert sns["Type"] == "Notification"
    assert sns["MessageId"] == message_id
    assert sns["TopicArn"] == topic
    assert sns["Message"] == message
    assert TIMESTAMP_RE.match(sns["Timestamp"]), sns["Timestamp"]
    assert sns["SignatureVersion"] == "1"
    unsub = urllib.parse.urlsplit(sns["UnsubscribeUrl"])
    assert urllib.parse.parse_qs(unsub.query) == {"Action": ["Unsubscribe"], "SubscriptionArn": [sub_arn]}, \
        sns["UnsubscribeUrl"]
    # the signature is the SNS one: verify it with the served certificate
    signed = {k: v for k, v in sns.items() if k not in ("SigningCertUrl", "UnsubscribeUrl") and v is not None}
    signed["SigningCertURL"] = sns["SigningCertUrl"]
    verify_sns_signature(signed)


def test_subscribe_lambda_via_api(lam):
    sns = lam.sns
    name = uniq("ltopic")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn("rec"),
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(topic + ":"), f"lambda subscriptions need no confirmation: {sub}"
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Protocol"] == "lambda" and attrs["Endpoint"] == function_arn("rec")
    assert attrs["PendingConfirmation"] == "false"

    mid = sns.publish(TopicArn=topic, Message="hello lambda", Subject="greeting",
                      MessageAttributes={"k": {"DataType": "String", "StringValue": "v"},
                                         "n": {"DataType": "Number", "StringValue": "1.5"}})["MessageId"]
    [inv] = lam.wait_records(name, 1, what="the SNS invocation")
    assert inv["function"] == "rec"
    [rec] = inv["event"]["Records"]
    _check_record(rec, sub, topic, "hello lambda", mid)
    assert rec["Sns"]["Subject"] == "greeting"
    assert rec["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"},
                                               "n": {"Type": "Number", "Value": "1.5"}}

    mid2 = sns.publish(TopicArn=topic, Message="no subject, no attributes")["MessageId"]
    invs = lam.wait_records(name, 2)
    [rec2] = invs[1]["event"]["Records"]
    _check_record(rec2, sub, topic, "no subject, no attributes", mid2)
    assert rec2["Sns"]["MessageAttributes"] == {}, "MessageAttributes is always present ({} when none)"
    assert rec2["Sns"].get("Subject") is None

    # one record per invocation, even for a batch publish
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "batch-1"}, {"Id": "2", "Message": "batch-2"}])
    invs = lam.wait_records(name, 4)
    assert all(len(i["event"]["Records"]) == 1 for i in invs)
    assert sorted(i["event"]["Records"][0]["Sns"]["Message"] for i in invs[2:]) == ["batch-1", "batch-2"]

    sns.unsubscribe(SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message="after unsubscribe")
    # the control: a fresh subscription on another topic proves deliveries still flow meanwhile
    other = uniq("ltopic")
    other_arn = sns.create_topic(Name=other)["TopicArn"]
    sns.subscribe(TopicArn=other_arn, Protocol="lambda", Endpoint=function_arn("rec"))
    sns.publish(TopicArn=other_arn, Message="control")
    lam.wait_records(other, 1)
    assert len(lam.records(name)) == 4, "no delivery after Unsubscribe"


def test_subscription_declared_in_config(lam):
    sns = lam.sns
    topic = topic_arn("lam-cfg-topic")
    [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sub["Protocol"] == "lambda" and sub["Endpoint"] == function_arn("rec")
    text = uniq("cfg-sns")
    mid = sns.publish(TopicArn=topic, Message=text)["MessageId"]
    invs = lam.wait_records("lam-cfg-topic", lambda invs: any(
        i["event"]["Records"][0]["Sns"]["MessageId"] == mid for i in invs))
    [inv] = [i for i in invs if i["event"]["Records"][0]["Sns"]["MessageId"] == mid]
    _check_record(inv["event"]["Records"][0], sub["SubscriptionArn"], topic, text, mid)


def _dlq_message_text(body: str) -> str | None:
    """The published Message inside a DLQ body (the SNS JSON envelope, or the Lambda event)."""
    try:
        j = json.loads(body)
    except ValueError:
        return body
    if isinstance(j, dict) and "Message" in j:
        return j["Message"]
    if isinstance(j, dict) and j.get("Records"):
        return j["Records"][0].get("Sns", {}).get("Message")
    return body


def test_failing_function_three_attempts_then_subscription_dlq(lam):
    """Function errors on an SNS delivery: 1 attempt + 2 retries (async-retry-delay 1 s, then 2 s),
    then the subscription's RedrivePolicy queue gets the message."""
    sns, sqs = lam.sns, lam.sqs
    topic = topic_arn("lam-fail-topic")
    [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    sattrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert json.loads(sattrs["RedrivePolicy"]) == {"deadLetterTargetArn": queue_arn("lam-sns-dlq")}
    dlq = sqs.get_queue_url(QueueName="lam-sns-dlq")["QueueUrl"]
    text = uniq("undeliverable")
    before = len(lam.records("lam-fail-topic"))
    stream = SSEStream(lam.endpoint, "/_sluice/events?kind=message.dead-lettered")
    try:
        mid = sns.publish(TopicArn=topic, Message=text)["MessageId"]
        t0 = time.monotonic()
        dead = []
        while not dead:
            assert time.monotonic() - t0 < 15, \
                f"nothing in the DLQ after 15 s; attempts so far: {len(lam.records('lam-fail-topic')) - before}"
            msgs = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       MessageAttributeNames=["All"]).get("Messages", [])
            dead += [m for m in msgs if _dlq_message_text(m["Body"]) == text]
        # (SNS hands the notification to Lambda asynchronously, so for SNS it was delivered; what
        #  failed is the function, whose attempts end in the dead-letter queue)
        assert stream.wait(lambda e: e["data"].get("queue") == "lam-sns-dlq" or
                           e["data"].get("topic") == "lam-fail-topic", timeout=3), \
            f"no message.dead-lettered event: {[e['raw'] for e in stream.events]}"
    finally:
        stream.close()
    attempts = [i for i in lam.records("lam-fail-topic")
                if i["event"]["Records"][0]["Sns"]["MessageId"] == mid]
    assert len(attempts) == 3, f"1 attempt + 2 retries before the DLQ, got {len(attempts)}"
    gaps = [b["t"] - a["t"] for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6, f"retries wait async-retry-delay (1 s) then twice that: {gaps}"
    assert all(i["function"] == "failer" for i in attempts)


def test_async_invoke_retries_follow_the_function_setting(lam):
    """Invoke with InvocationType Event on failing functions: `retries` 2 (default) -> 3 attempts,
    `retries: 0` -> 1 attempt."""
    k2, k0 = uniq("retry2"), uniq("retry0")
    assert invoke(lam.lam, "failer0", {"key": k0}, InvocationType="Event").status == 202
    assert invoke(lam.lam, "failer", {"key": k2}, InvocationType="Event").status == 202
    invs = lam.wait_records(k2, 3, timeout=15, what="3 attempts")
    gaps = [b["t"] - a["t"] for a, b in zip(invs, invs[1:])]
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6, gaps
    assert len(lam.records(k0)) == 1, "retries: 0 -> exactly one attempt"
    assert invs[0]["function"] == "failer"
