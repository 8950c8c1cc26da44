"""Topics declared in the --config file (sluice contract):

    topics:
      - name, attributes, tags,
        subscriptions: [{queue: <queue name> | endpoint: <url>, raw, filter-policy (YAML mapping),
                         filter-policy-scope, delivery-policy, dead-letter-queue: <queue name>, attributes}]

created at start, with the queues declared under ``queues:`` in the same file."""

from __future__ import annotations

import json
import textwrap

import requests

from helpers import ACCOUNT
from sns_helpers import (
    HttpReceiver,
    confirm_http_subscription,
    envelope,
    make_sns_client,
    make_sqs_client,
    queue_arn_for,
    receive_all,
    receive_rest,
    topic_arn_for,
    verify_sns_signature,
)


def _config(port: int) -> str:
    return textwrap.dedent(f"""\
        queues:
          - name: cfg-sns-all
          - name: cfg-sns-big-orders
          - name: cfg-sns-body
          - name: cfg-sns-dlq
          - name: cfg-sns-ordered.fifo
            attributes:
              FifoQueue: true
        topics:
          - name: cfg-events
            attributes:
              DisplayName: Events
              SignatureVersion: 2
            tags:
              team: core
            subscriptions:
              - queue: cfg-sns-all
              - queue: cfg-sns-big-orders
                raw: true
                filter-policy:
                  kind: [order]
                  amount:
                    - numeric: [">", 10]
              - endpoint: http://127.0.0.1:{port}/cfg-hook
                delivery-policy:
                  healthyRetryPolicy:
                    minDelayTarget: 1
                    maxDelayTarget: 1
                    numRetries: 2
                    numNoDelayRetries: 0
                    numMinDelayRetries: 0
                    numMaxDelayRetries: 0
                    backoffFunction: linear
                dead-letter-queue: cfg-sns-dlq
          - name: cfg-body
            subscriptions:
              - queue: cfg-sns-body
                raw: true
                filter-policy-scope: MessageBody
                filter-policy:
                  order:
                    status: [paid]
          - name: cfg-ordered.fifo
            attributes:
              FifoTopic: true
              ContentBasedDeduplication: true
            subscriptions:
              - queue: cfg-sns-ordered.fifo
                attributes:
                  RawMessageDelivery: "true"
        """)


def test_config_file_topics(private_server, tmp_path):
    recv = HttpReceiver().start()
    # confirmations succeed; notifications always fail (-> retries -> DLQ)
    recv.responder = lambda req: 500 if req.type == "Notification" else 200
    try:
        cfg = tmp_path / "sluice.yaml"
        cfg.write_text(_config(recv.port))
        srv = private_server(extra_args=["--config", str(cfg)])
        sns, sqs = make_sns_client(srv.endpoint), make_sqs_client(srv.endpoint)
        events, body_topic, fifo = (topic_arn_for("cfg-events"), topic_arn_for("cfg-body"),
                                    topic_arn_for("cfg-ordered.fifo"))

        topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
        assert sorted(topics) == sorted([events, body_topic, fifo])
        attrs = sns.get_topic_attributes(TopicArn=events)["Attributes"]
        assert attrs["DisplayName"] == "Events"
        assert attrs["SignatureVersion"] == "2"
        assert sns.list_tags_for_resource(ResourceArn=events)["Tags"] == [{"Key": "team", "Value": "core"}]
        fattrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
        assert fattrs["FifoTopic"] == "true" and fattrs["ContentBasedDeduplication"] == "true"

        subs = {s["Endpoint"]: s for s in sns.list_subscriptions_by_topic(TopicArn=events)["Subscriptions"]}
        hook = f"http://127.0.0.1:{recv.port}/cfg-hook"
        assert set(subs) == {queue_arn_for("cfg-sns-all"), queue_arn_for("cfg-sns-big-orders"), hook}
        assert subs[hook]["Protocol"] == "http" and subs[queue_arn_for("cfg-sns-all")]["Protocol"] == "sqs"

        big = sns.get_subscription_attributes(
            SubscriptionArn=subs[queue_arn_for("cfg-sns-big-orders")]["SubscriptionArn"])["Attributes"]
        assert big["RawMessageDelivery"] == "true"
        assert json.loads(big["FilterPolicy"]) == {"kind": ["order"], "amount": [{"numeric": [">", 10]}]}

        # the http subscription: confirm it if sluice asks for confirmation
        hook_arn = subs[hook]["SubscriptionArn"]
        if hook_arn == "PendingConfirmation":  # (the SubscribeURL itself is checked in the next test)
            [conf] = recv.wait_type("SubscriptionConfirmation", 1, path="/cfg-hook")
            hook_arn = sns.confirm_subscription(TopicArn=events, Token=conf.json()["Token"])["SubscriptionArn"]
        hattrs = sns.get_subscription_attributes(SubscriptionArn=hook_arn)["Attributes"]
        assert hattrs["PendingConfirmation"] == "false"
        assert json.loads(hattrs["RedrivePolicy"]) == {"deadLetterTargetArn": queue_arn_for("cfg-sns-dlq")}
        assert json.loads(hattrs["DeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 2

        body_sub = sns.list_subscriptions_by_topic(TopicArn=body_topic)["Subscriptions"][0]["SubscriptionArn"]
        battrs = sns.get_subscription_attributes(SubscriptionArn=body_sub)["Attributes"]
        assert battrs["FilterPolicyScope"] == "MessageBody"
        assert json.loads(battrs["FilterPolicy"]) == {"order": {"status": ["paid"]}}

        # --- deliveries
        url = {n: sqs.get_queue_url(QueueName=n)["QueueUrl"] for n in
               ("cfg-sns-all", "cfg-sns-big-orders", "cfg-sns-body", "cfg-sns-dlq", "cfg-sns-ordered.fifo")}

        def num(v):
            return {"DataType": "Number", "StringValue": v}

        def s(v):
            return {"DataType": "String", "StringValue": v}
        sns.publish(TopicArn=events, Message="small order", MessageAttributes={"kind": s("order"), "amount": num("5")})
        big_id = sns.publish(TopicArn=events, Message="big order",
                             MessageAttributes={"kind": s("order"), "amount": num("50")})["MessageId"]
        all_msgs = receive_all(sqs, url["cfg-sns-all"], 2)
        assert sorted(envelope(m)["Message"] for m in all_msgs) == ["big order", "small order"]
        for m in all_msgs:
            assert envelope(m)["SignatureVersion"] == "2"
            verify_sns_signature(envelope(m))
        assert [m["Body"] for m in receive_all(sqs, url["cfg-sns-big-orders"], 1)] == ["big order"]
        assert receive_rest(sqs, url["cfg-sns-big-orders"], wait=0) == []

        # http endpoint answers 500: 3 attempts per message, then the envelope lands in the DLQ
        dead = receive_all(sqs, url["cfg-sns-dlq"], 2, timeout=15)
        assert sorted(json.loads(m["Body"])["Message"] for m in dead) == ["big order", "small order"]
        assert big_id in [json.loads(m["Body"])["MessageId"] for m in dead]
        assert len([r for r in recv.of_type("Notification", path="/cfg-hook")]) == 6

        sns.publish(TopicArn=body_topic, Message=json.dumps({"order": {"status": "open"}}))
        sns.publish(TopicArn=body_topic, Message=json.dumps({"order": {"status": "paid"}}))
        assert [m["Body"] for m in receive_all(sqs, url["cfg-sns-body"], 1)] == ['{"order": {"status": "paid"}}']

        for i in range(3):
            sns.publish(TopicArn=fifo, Message=f"o{i}", MessageGroupId="g")
        sns.publish(TopicArn=fifo, Message="o0", MessageGroupId="g")  # content-based duplicate
        got = receive_all(sqs, url["cfg-sns-ordered.fifo"], 3) + receive_rest(sqs, url["cfg-sns-ordered.fifo"], 0)
        assert [m["Body"] for m in got] == ["o0", "o1", "o2"]

        # --- restart with the same config: nothing is duplicated, confirmed stays confirmed
        before = sorted(s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"])
        srv.restart()
        sns, sqs = make_sns_client(srv.endpoint), make_sqs_client(srv.endpoint)
        after = sorted(s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"])
        assert after == before, "config topics/subscriptions are created idempotently"
        assert sns.get_subscription_attributes(SubscriptionArn=hook_arn)["Attributes"]["PendingConfirmation"] == "false"
        sns.publish(TopicArn=events, Message="after restart", MessageAttributes={"kind": s("x")})
        url_all = sqs.get_queue_url(QueueName="cfg-sns-all")["QueueUrl"]
        assert [envelope(m)["Message"] for m in receive_all(sqs, url_all, 1)] == ["after restart"]
        assert requests.get(srv.endpoint + "/health", timeout=5).status_code == 200
        assert ACCOUNT in events
    finally:
        recv.stop()


def test_config_http_subscription_urls_point_at_the_server(private_server, tmp_path):
    """A confirmation sent for a config-declared endpoint carries a SubscribeURL / SigningCertURL on the
    port the server actually listens on (here chosen with --port 0)."""
    recv = HttpReceiver().start()
    try:
        cfg = tmp_path / "sluice.yaml"
        cfg.write_text(f"topics:\n  - name: cfg-urls\n    subscriptions:\n"
                       f"      - endpoint: http://127.0.0.1:{recv.port}/urls\n")
        srv = private_server(extra_args=["--config", str(cfg)])
        sns = make_sns_client(srv.endpoint)
        topic = topic_arn_for("cfg-urls")
        [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if sub["SubscriptionArn"] != "PendingConfirmation":
            return  # declared endpoints may be confirmed by the operator's declaration
        [conf] = recv.wait_type("SubscriptionConfirmation", 1, path="/urls")
        body = conf.json()
        for key in ("SubscribeURL", "SigningCertURL"):
            assert body[key].startswith(srv.endpoint + "/"), f"{key} {body[key]!r} is not on {srv.endpoint}"
        verify_sns_signature(body)
        assert confirm_http_subscription(recv, topic, path="/urls").startswith(topic + ":")
    finally:
        recv.stop()


def test_config_unknown_subscription_key_stops_server(tmp_path):
    """config/sluice.yaml: an unknown key stops the server at start with '<file>:<line>: <problem>'."""
    import subprocess

    from conftest import _binary_or_fail
    binary = _binary_or_fail()
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("queues:\n  - name: q\ntopics:\n  - name: t\n    subscriptions:\n"
                   "      - queue: q\n        filter_policy: {a: [b]}\n")
    p = subprocess.run([str(binary), "serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"),
                        "--port", "0"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "bad.yaml:7" in out, f"expected '<file>:7: <problem>', got: {out[-500:]}"
    assert "filter_policy" in out
