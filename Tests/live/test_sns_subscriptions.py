"""SNS subscriptions: Subscribe / Unsubscribe / List*, subscription attributes and their validation
(sns.md section 4)."""

from __future__ import annotations

import json
import re

import pytest

from helpers import ACCOUNT
from sns_helpers import (  # noqa: F401  (fixtures)
    UUID_RE,
    expect_sns_error,
    new_queue,
    receiver,
    sns,
    subscribe_queue,
    topic,
    topic_arn_for,
    uniq,
)

SQS_SUB_KEYS = {"ConfirmationWasAuthenticated", "Endpoint", "Owner", "PendingConfirmation", "Protocol",
                "RawMessageDelivery", "SubscriptionArn", "SubscriptionPrincipal", "TopicArn"}


def _topic_counts(sns, arn):
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    return a["SubscriptionsConfirmed"], a["SubscriptionsPending"]


def test_subscribe_sqs(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    assert re.fullmatch(re.escape(topic) + ":" + UUID_RE, sub), sub
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert set(attrs) == SQS_SUB_KEYS, f"unexpected attribute set {sorted(attrs)}"
    assert attrs["Endpoint"] == qarn
    assert attrs["Owner"] == ACCOUNT
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["Protocol"] == "sqs"
    assert attrs["RawMessageDelivery"] == "false"
    assert attrs["SubscriptionArn"] == sub
    assert attrs["TopicArn"] == topic
    assert attrs["ConfirmationWasAuthenticated"] in ("true", "false")
    assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:user/.+", attrs["SubscriptionPrincipal"]), attrs
    assert _topic_counts(sns, topic) == ("1", "0")


def test_subscribe_is_idempotent(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    a = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    b = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    assert a == b
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1
    assert _topic_counts(sns, topic) == ("1", "0")

    _, q2 = new_queue(sqs)
    c = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2,
                      Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2,
                         Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"] == c
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2,
                                           Attributes={"RawMessageDelivery": "false"}),
                     "InvalidParameter", 400,
                     "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")


def test_subscribe_with_attributes(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    _, dlq = new_queue(sqs)
    policy = {"color": ["red"]}
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy),
        "FilterPolicyScope": "MessageBody", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})[
        "SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == policy
    assert attrs["FilterPolicyScope"] == "MessageBody"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq}


def test_set_subscription_attributes_roundtrip(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    _, dlq = new_queue(sqs)
    sub = subscribe_queue(sns, topic, qarn)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"size": [{"numeric": [">", 3]}]}))
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == {"size": [{"numeric": [">", 3]}]}
    assert attrs["FilterPolicyScope"] == "MessageAttributes", "the default scope shows once a policy is set"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq}
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                    AttributeValue="MessageBody")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="false")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody"
    assert attrs["RawMessageDelivery"] == "false"


@pytest.mark.parametrize("name,value,message", [
    ("RawMessageDelivery", "test-ValUe",
     "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false."),
    ("FilterPolicyScope", "RandomValue",
     "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. "
     "Please use either MessageBody or MessageAttributes"),
    ("NoSuchAttribute", "x", "Invalid parameter: AttributeName"),
    ("RedrivePolicy", json.dumps({"deadLetterTargetArn": "not-an-arn"}),
     "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"),
], ids=["raw", "scope", "unknown-name", "redrive-arn"])
def test_set_subscription_attributes_invalid(sns, sqs, topic, name, value, message):
    _, qarn = new_queue(sqs)
    sub = subscribe_queue(sns, topic, qarn)
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=name,
                                                             AttributeValue=value),
                     "InvalidParameter", 400, message)
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "false"
    assert "FilterPolicyScope" not in attrs or attrs["FilterPolicyScope"] == "MessageAttributes"
    assert "RedrivePolicy" not in attrs


def test_subscribe_invalid_attributes(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                                           Attributes={"RawMessageDelivery": "wrongvalue"}),
                     "InvalidParameter", 400,
                     "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. "
                     "Must be true or false.")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                                           Attributes={"FilterPolicyScope": "RandomValue"}),
                     "InvalidParameter", 400, contains="FilterPolicyScope: Invalid value [RandomValue]. "
                                                       "Please use either MessageBody or MessageAttributes")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                                           Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": "x"})}),
                     "InvalidParameter", 400, contains="RedrivePolicy: deadLetterTargetArn is an invalid arn")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [], \
        "a rejected Subscribe creates nothing"


def test_subscribe_endpoint_and_protocol_errors(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=url),
                     "InvalidParameter", 400, "Invalid parameter: SQS endpoint ARN")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="test-protocol", Endpoint=qarn),
                     "InvalidParameter", 400,
                     "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic_arn_for(uniq("missing")), Protocol="sqs",
                                           Endpoint=qarn), "NotFound", 404)
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="not a url"),
                     "InvalidParameter", 400)
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="https://x.example/"),
                     "InvalidParameter", 400)  # https endpoint for the http protocol


@pytest.mark.parametrize("protocol,ep", [
    ("email", "someone@example.com"),
    ("email-json", "someone@example.com"),
    ("sms", "+15555550100"),
])
def test_unsupported_protocols(sns, topic, protocol, ep):
    # lambda is supported: see test_lambda_sns.py.
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=ep),
                     "InvalidParameter", 400)


def test_fifo_queue_cannot_subscribe_to_standard_topic(sns, sqs, topic):
    _, fq = new_queue(sqs, fifo=True)
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fq), "InvalidParameter", 400,
                     "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed "
                     "to standard SNS topics")
    # a standard queue may subscribe to a FIFO topic
    ft = sns.create_topic(Name=uniq("ft") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    _, sq = new_queue(sqs)
    assert sns.subscribe(TopicArn=ft, Protocol="sqs", Endpoint=sq)["SubscriptionArn"].startswith(ft + ":")
    assert sns.subscribe(TopicArn=ft, Protocol="sqs", Endpoint=fq)["SubscriptionArn"].startswith(ft + ":")


def test_fifo_subscription_needs_fifo_dlq(sns, sqs):
    ft = sns.create_topic(Name=uniq("ftd") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    _, fq = new_queue(sqs, fifo=True)
    _, std_dlq = new_queue(sqs)
    _, fifo_dlq = new_queue(sqs, fifo=True)
    sub = subscribe_queue(sns, ft, fq)
    expect_sns_error(lambda: sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=json.dumps({"deadLetterTargetArn": std_dlq})),
        "InvalidParameter", 400,
        contains="must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": fifo_dlq}))


def test_list_subscriptions(sns, sqs, topic):
    _, q1 = new_queue(sqs)
    _, q2 = new_queue(sqs)
    s1 = subscribe_queue(sns, topic, q1)
    s2 = subscribe_queue(sns, topic, q2)
    other = sns.create_topic(Name=uniq("other"))["TopicArn"]
    s3 = subscribe_queue(sns, other, q1)
    by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(by_topic, key=lambda s: s["SubscriptionArn"]) == sorted([
        {"SubscriptionArn": s1, "Owner": ACCOUNT, "Protocol": "sqs", "Endpoint": q1, "TopicArn": topic},
        {"SubscriptionArn": s2, "Owner": ACCOUNT, "Protocol": "sqs", "Endpoint": q2, "TopicArn": topic},
    ], key=lambda s: s["SubscriptionArn"])
    everything, token = [], None
    while True:
        page = sns.list_subscriptions(**({"NextToken": token} if token else {}))
        assert len(page["Subscriptions"]) <= 100
        everything += page["Subscriptions"]
        token = page.get("NextToken")
        if not token:
            break
    arns = [s["SubscriptionArn"] for s in everything]
    assert {s1, s2, s3} <= set(arns)
    assert len(arns) == len(set(arns))


def test_list_subscriptions_by_topic_pages_of_100(sns, topic, receiver):
    """101 pending http subscriptions: pages of 100, pending ones listed as 'PendingConfirmation'."""
    for i in range(101):
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url(f"/p{i}"))[
            "SubscriptionArn"] == "pending confirmation"
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    assert first.get("NextToken")
    second = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert len(second["Subscriptions"]) == 1
    assert not second.get("NextToken")
    subs = first["Subscriptions"] + second["Subscriptions"]
    assert sorted(s["Endpoint"] for s in subs) == sorted(receiver.url(f"/p{i}") for i in range(101))
    assert {s["SubscriptionArn"] for s in subs} == {"PendingConfirmation"}
    assert {s["Protocol"] for s in subs} == {"http"}
    assert _topic_counts(sns, topic) == ("0", "101")


def test_unsubscribe(sns, sqs, topic):
    _, qarn = new_queue(sqs)
    sub = subscribe_queue(sns, topic, qarn)
    assert _topic_counts(sns, topic) == ("1", "0")
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert _topic_counts(sns, topic) == ("0", "0")
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=sub), "NotFound", 404,
                     "Subscription does not exist")
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                                             AttributeValue="true"), "NotFound", 404)
    # AWS: unsubscribing an unknown but well-formed ARN succeeds
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=topic + ":00000000-0000-0000-0000-000000000000")
    expect_sns_error(lambda: sns.unsubscribe(SubscriptionArn="foo"), "InvalidParameter", 400)
    # subscribing again creates a new subscription
    again = subscribe_queue(sns, topic, qarn)
    assert again != sub


def test_get_subscription_attributes_errors(sns, topic):
    expect_sns_error(lambda: sns.get_subscription_attributes(
        SubscriptionArn=topic + ":11111111-2222-3333-4444-555555555555"), "NotFound", 404,
        "Subscription does not exist")


def test_subscribe_http_returns_pending_or_arn(sns, topic, receiver):
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/a"))["SubscriptionArn"] == \
        "pending confirmation"
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/b"),
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert re.fullmatch(re.escape(topic) + ":" + UUID_RE, arn), arn
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "true"
    assert attrs["ConfirmationWasAuthenticated"] == "false"
    assert attrs["Protocol"] == "http"
    assert attrs["Endpoint"] == receiver.url("/b")
    assert _topic_counts(sns, topic) == ("0", "2")
