"""SNS HTTP(S) subscriptions against a real local endpoint: confirmation flow, notification requests,
raw delivery, retries per DeliveryPolicy, redrive to a DLQ, unsubscribe confirmation and durable pending
deliveries across kill -9 (sns.md sections 4, 5, 8)."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlparse

import requests

from sns_helpers import (  # noqa: F401  (fixtures)
    FAST_RETRY_POLICY,
    UUID_RE,
    HttpReceiver,
    TIMESTAMP_RE,
    confirm_http_subscription,
    expect_sns_error,
    make_sns_client,
    make_sqs_client,
    new_queue,
    receive_all,
    receive_rest,
    receiver,
    sns,
    topic,
    uniq,
    verify_sns_signature,
)


def _subscribe_confirmed(sns, topic, receiver, path="/hook", **attrs) -> str:
    kw = {"Attributes": {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in attrs.items()}} if attrs else {}
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url(path), ReturnSubscriptionArn=True,
                        **kw)["SubscriptionArn"]
    assert confirm_http_subscription(receiver, topic, path=path) == arn
    return arn


# ------------------------------------------------------------ confirmation
def test_subscription_confirmation_request(sns, topic, receiver, endpoint):
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/confirm-me"))[
        "SubscriptionArn"] == "pending confirmation"
    [req] = receiver.wait_type("SubscriptionConfirmation", 1, path="/confirm-me")
    assert req.method == "POST"
    body = req.json()
    assert set(body) == {"Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                         "SignatureVersion", "Signature", "SigningCertURL"}, sorted(body)
    assert body["Type"] == "SubscriptionConfirmation"
    assert re.fullmatch(UUID_RE, body["MessageId"])
    assert body["TopicArn"] == topic
    assert body["Message"] == (f"You have chosen to subscribe to the topic {topic}.\n"
                               "To confirm the subscription, visit the SubscribeURL included in this message.")
    assert TIMESTAMP_RE.match(body["Timestamp"])
    assert body["Token"]
    su = urlparse(body["SubscribeURL"])
    assert f"{su.scheme}://{su.netloc}" == endpoint, "SubscribeURL points at sluice"
    q = parse_qs(su.query)
    assert q["Action"] == ["ConfirmSubscription"] and q["TopicArn"] == [topic] and q["Token"] == [body["Token"]]
    verify_sns_signature(body)
    h = req.headers
    assert h["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert h["x-amz-sns-message-id"] == body["MessageId"]
    assert h["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in h
    assert h.get("content-type", "").lower().startswith("text/plain"), h
    assert h.get("user-agent") == "Amazon Simple Notification Service Agent", h


def test_confirm_by_get_of_subscribe_url(sns, topic, receiver):
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/g"),
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    before = sns.publish(TopicArn=topic, Message="before confirmation")["MessageId"]
    [conf] = receiver.wait_type("SubscriptionConfirmation")
    r = requests.get(conf.json()["SubscribeURL"], timeout=10)  # unsigned, as an endpoint would do
    assert r.status_code == 200, r.text
    assert "ConfirmSubscriptionResponse" in r.text
    assert re.search(r"<ConfirmSubscriptionResult>\s*<SubscriptionArn>" + re.escape(arn), r.text), r.text
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    t = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (t["SubscriptionsConfirmed"], t["SubscriptionsPending"]) == ("1", "0")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [arn]
    after = sns.publish(TopicArn=topic, Message="after confirmation")["MessageId"]
    receiver.wait_type("Notification", where=lambda r: r.json()["MessageId"] == after)
    assert not [r for r in receiver.of_type("Notification") if r.json()["MessageId"] == before], \
        "a pending subscription receives no notifications"


def test_confirm_subscription_api(sns, topic, receiver):
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/api"))
    [conf] = receiver.wait_type("SubscriptionConfirmation")
    token = conf.json()["Token"]
    other = sns.create_topic(Name=uniq("other"))["TopicArn"]
    expect_sns_error(lambda: sns.confirm_subscription(TopicArn=topic, Token="not-the-token"),
                     "InvalidParameter", 400, "Invalid parameter: Token")
    expect_sns_error(lambda: sns.confirm_subscription(TopicArn=other, Token=token),
                     "InvalidParameter", 400, "Invalid parameter: Topic")
    arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"


# ------------------------------------------------------------ notifications
def test_notification_request(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver)
    res = sns.publish(TopicArn=topic, Message="to the web", Subject="Hi",
                      MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    [req] = receiver.wait_type("Notification")
    assert req.method == "POST" and req.path == "/hook"
    h = req.headers
    assert h["x-amz-sns-message-type"] == "Notification"
    assert h["x-amz-sns-message-id"] == res["MessageId"]
    assert h["x-amz-sns-topic-arn"] == topic
    assert h["x-amz-sns-subscription-arn"] == arn
    assert "x-amz-sns-rawdelivery" not in h
    assert h.get("content-type") == "text/plain; charset=UTF-8", h
    assert h.get("user-agent") == "Amazon Simple Notification Service Agent"
    env = req.json()
    assert list(env) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                         "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"], list(env)
    assert env["MessageId"] == res["MessageId"] and env["Message"] == "to the web" and env["Subject"] == "Hi"
    assert env["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    verify_sns_signature(env)
    assert parse_qs(urlparse(env["UnsubscribeURL"]).query)["SubscriptionArn"] == [arn]


def test_raw_http_delivery(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver, path="/raw")
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true")
    res = sns.publish(TopicArn=topic, Message='{"just": "the body"}')
    [req] = receiver.wait_type("Notification", path="/raw")
    assert req.body == b'{"just": "the body"}'
    assert req.headers.get("x-amz-sns-rawdelivery") == "true"
    assert req.headers["x-amz-sns-message-id"] == res["MessageId"]
    assert req.headers["x-amz-sns-subscription-arn"] == arn


def test_message_structure_http_key(sns, topic, receiver):
    _subscribe_confirmed(sns, topic, receiver)
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "d", "sqs": "q", "http": "for http", "https": "for https"}))
    [req] = receiver.wait_type("Notification")
    assert req.json()["Message"] == "for http"


def test_delivery_policy_on_subscription(sns, topic, receiver):
    policy = {"healthyRetryPolicy": FAST_RETRY_POLICY["healthyRetryPolicy"],
              "requestPolicy": {"headerContentType": "application/json"}}
    arn = _subscribe_confirmed(sns, topic, receiver, DeliveryPolicy=policy)
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    dp = json.loads(attrs["DeliveryPolicy"])
    # AWS echoes the subscription policy with the unset sections as null (sns.md section 8, verified)
    assert dp == {"healthyRetryPolicy": FAST_RETRY_POLICY["healthyRetryPolicy"], "sicklyRetryPolicy": None,
                  "throttlePolicy": None, "requestPolicy": {"headerContentType": "application/json"},
                  "guaranteed": False}, dp
    assert "EffectiveDeliveryPolicy" in attrs
    eff = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert eff["healthyRetryPolicy"]["numRetries"] == 2
    sns.publish(TopicArn=topic, Message="typed")
    [req] = receiver.wait_type("Notification")
    assert req.headers.get("content-type") == "application/json"


def test_default_effective_delivery_policy_of_http_subscription(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver)
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert "DeliveryPolicy" not in attrs
    eff = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert eff["healthyRetryPolicy"] == {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
                                         "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0,
                                         "backoffFunction": "linear"}, eff


def test_signature_version_2_on_confirmation_and_notification(sns, receiver):
    topic = sns.create_topic(Name=uniq("sv2"), Attributes={"SignatureVersion": "2"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url("/v2"))
    [conf] = receiver.wait_type("SubscriptionConfirmation", path="/v2")
    assert conf.json()["SignatureVersion"] == "2"
    verify_sns_signature(conf.json())
    confirm_http_subscription(receiver, topic, path="/v2")
    sns.publish(TopicArn=topic, Message="v2 over http")
    [req] = receiver.wait_type("Notification", path="/v2")
    assert req.json()["SignatureVersion"] == "2"
    verify_sns_signature(req.json())


def test_invalid_delivery_policy(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver)
    bad = {"healthyRetryPolicy": {"minDelayTarget": 10, "maxDelayTarget": 5, "numRetries": 1}}
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="DeliveryPolicy",
                                                             AttributeValue=json.dumps(bad)), "InvalidParameter", 400)
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="DeliveryPolicy",
                                                             AttributeValue="{nope"), "InvalidParameter", 400)


# ------------------------------------------------------------------ retries
def test_retries_until_success(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver, DeliveryPolicy=FAST_RETRY_POLICY)
    attempts = {"n": 0}

    def answer(req):
        if req.type != "Notification":
            return 200
        attempts["n"] += 1
        return 500 if attempts["n"] <= 2 else 200
    receiver.responder = answer
    res = sns.publish(TopicArn=topic, Message="eventually")
    reqs = receiver.wait_type("Notification", 3, timeout=15)
    assert [r.headers["x-amz-sns-message-id"] for r in reqs] == [res["MessageId"]] * 3
    gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
    assert all(g >= 0.7 for g in gaps), f"retries follow minDelayTarget=1s: gaps {gaps}"
    time.sleep(1.5)
    assert len(receiver.of_type("Notification")) == 3, "no delivery after the successful attempt"
    assert arn


def test_exhausted_retries_go_to_dead_letter_queue(sns, sqs, topic, receiver):
    dlq_url, dlq_arn = new_queue(sqs)
    arn = _subscribe_confirmed(sns, topic, receiver, DeliveryPolicy=FAST_RETRY_POLICY,
                               RedrivePolicy={"deadLetterTargetArn": dlq_arn})
    receiver.responder = lambda req: 500 if req.type == "Notification" else 200
    res = sns.publish(TopicArn=topic, Message="never accepted", Subject="dead",
                      MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    msgs = receive_all(sqs, dlq_url, 1, timeout=15)
    assert len(msgs) == 1, "after 1 try + 2 retries the message is in the DLQ"
    attempts = receiver.of_type("Notification")
    assert len(attempts) == 3, f"numRetries=2 means 3 attempts, saw {len(attempts)}"
    env = json.loads(msgs[0]["Body"])
    assert env["Type"] == "Notification"
    assert env["MessageId"] == res["MessageId"]
    assert env["Message"] == "never accepted"
    assert env["Subject"] == "dead"
    assert env["TopicArn"] == topic
    assert env["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert "MessageAttributes" not in msgs[0], "the DLQ copy carries no SQS message attributes"
    time.sleep(1.5)
    assert len(receiver.of_type("Notification")) == 3
    assert receive_rest(sqs, dlq_url, wait=0) == []
    assert arn


def test_unreachable_endpoint_goes_to_dead_letter_queue(sns, sqs, topic):
    """Endpoint not listening at all (connection refused)."""
    dlq_url, dlq_arn = new_queue(sqs)
    r = HttpReceiver().start()
    arn = _subscribe_confirmed(sns, topic, r, DeliveryPolicy=FAST_RETRY_POLICY,
                               RedrivePolicy={"deadLetterTargetArn": dlq_arn})
    r.stop()
    res = sns.publish(TopicArn=topic, Message="nobody home")
    msgs = receive_all(sqs, dlq_url, 1, timeout=15)
    assert [json.loads(m["Body"])["MessageId"] for m in msgs] == [res["MessageId"]]
    assert arn


def test_deleted_queue_subscription_goes_to_dead_letter_queue(sns, sqs, topic):
    """AWS: a client-side error (the subscribed queue was deleted) sends the message to the subscription's DLQ."""
    gone_url, gone_arn = new_queue(sqs)
    dlq_url, dlq_arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone_arn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sqs.delete_queue(QueueUrl=gone_url)
    res = sns.publish(TopicArn=topic, Message="queue is gone", Subject="lost")
    msgs = receive_all(sqs, dlq_url, 1, timeout=15)
    assert len(msgs) == 1, "the undeliverable message is in the DLQ"
    env = json.loads(msgs[0]["Body"])
    assert env["Type"] == "Notification" and env["MessageId"] == res["MessageId"]
    assert env["Message"] == "queue is gone" and env["Subject"] == "lost"


def test_topic_delivery_policy_applies_without_subscription_policy(sns, receiver):
    topic = sns.create_topic(Name=uniq("tdp"), Attributes={"DeliveryPolicy": json.dumps({"http": {
        "defaultHealthyRetryPolicy": dict(FAST_RETRY_POLICY["healthyRetryPolicy"], numRetries=1)}})})["TopicArn"]
    _subscribe_confirmed(sns, topic, receiver)
    receiver.responder = lambda req: 500 if req.type == "Notification" else 200
    sns.publish(TopicArn=topic, Message="topic policy")
    receiver.wait_type("Notification", 2, timeout=10)
    time.sleep(2.0)
    assert len(receiver.of_type("Notification")) == 2, "numRetries=1 from the topic policy: 2 attempts"


# -------------------------------------------------------------- unsubscribe
def test_unsubscribe_confirmation(sns, topic, receiver):
    arn = _subscribe_confirmed(sns, topic, receiver)
    sns.unsubscribe(SubscriptionArn=arn)
    [req] = receiver.wait_type("UnsubscribeConfirmation")
    body = req.json()
    assert body["Type"] == "UnsubscribeConfirmation"
    assert body["TopicArn"] == topic
    assert body["Message"] == (f"You have chosen to deactivate subscription {arn}.\n"
                               "To cancel this operation and restore the subscription, visit the SubscribeURL "
                               "included in this message.")
    assert body["Token"] and body["SubscribeURL"]
    verify_sns_signature(body)
    assert req.headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert req.headers["x-amz-sns-topic-arn"] == topic
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=arn), "NotFound", 404)
    sns.publish(TopicArn=topic, Message="after unsubscribe")
    time.sleep(1.0)
    assert receiver.of_type("Notification") == []


# ------------------------------------------------------------------ durability
def test_pending_delivery_survives_kill9(private_server):
    """Endpoint down, server killed with -9 and restarted, endpoint back: the message arrives."""
    srv = private_server()
    sns_c = make_sns_client(srv.endpoint)
    topic = sns_c.create_topic(Name=uniq("durable"))["TopicArn"]
    recv = HttpReceiver().start()
    port = recv.port
    try:
        patient = {"healthyRetryPolicy": dict(FAST_RETRY_POLICY["healthyRetryPolicy"], numRetries=40)}
        arn = _subscribe_confirmed(sns_c, topic, recv, DeliveryPolicy=patient)
        recv.stop()  # endpoint down: connection refused
        res = sns_c.publish(TopicArn=topic, Message="survive the crash")
        time.sleep(1.5)  # at least one failed attempt
        srv.kill9()
        srv.start()
        recv2 = HttpReceiver().start(port=port)
        try:
            [req] = recv2.wait_type("Notification", 1, timeout=25,
                                    where=lambda r: r.json()["MessageId"] == res["MessageId"])[:1]
            assert req.json()["Message"] == "survive the crash"
            assert req.headers["x-amz-sns-subscription-arn"] == arn
            # the certificate (and its key) outlive the restart; the URL's port changed with --port 0
            env = req.json()
            cert_path = urlparse(env["SigningCertURL"]).path
            cert = requests.get(srv.endpoint + cert_path, timeout=10).content
            verify_sns_signature(env, cert)
        finally:
            recv2.stop()
    finally:
        recv.stop()


def test_fan_out_and_fifo_dedup_survive_kill9(private_server):
    """An acknowledged Publish has reached its SQS subscribers durably; the FIFO topic's 5-minute
    deduplication window survives a crash too."""
    srv = private_server()
    sns_c, sqs_c = make_sns_client(srv.endpoint), make_sqs_client(srv.endpoint)
    topic = sns_c.create_topic(Name=uniq("crash"))["TopicArn"]
    fifo = sns_c.create_topic(Name=uniq("crash") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    q_url, q_arn = new_queue(sqs_c, name="crash-q")
    f_url, f_arn = new_queue(sqs_c, name="crash-f")
    sns_c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn, Attributes={"RawMessageDelivery": "true"})
    sns_c.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=f_arn, Attributes={"RawMessageDelivery": "true"})
    ids = [sns_c.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(20)]
    sns_c.publish(TopicArn=fifo, Message="once", MessageGroupId="g", MessageDeduplicationId="crash-dedup")
    srv.kill9()
    srv.start()
    sns_c, sqs_c = make_sns_client(srv.endpoint), make_sqs_client(srv.endpoint)
    q_url = sqs_c.get_queue_url(QueueName="crash-q")["QueueUrl"]
    f_url = sqs_c.get_queue_url(QueueName="crash-f")["QueueUrl"]
    got = receive_all(sqs_c, q_url, 20)
    assert sorted(m["Body"] for m in got) == sorted(f"m{i}" for i in range(20)), f"{len(got)}/{len(ids)} survived"
    sns_c.publish(TopicArn=fifo, Message="once", MessageGroupId="g", MessageDeduplicationId="crash-dedup")
    sns_c.publish(TopicArn=fifo, Message="new", MessageGroupId="g", MessageDeduplicationId="fresh")
    got = receive_all(sqs_c, f_url, 2) + receive_rest(sqs_c, f_url, wait=0)
    assert sorted(m["Body"] for m in got) == ["new", "once"], "the dedup id is remembered across kill -9"
