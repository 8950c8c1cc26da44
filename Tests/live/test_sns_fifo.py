"""SNS FIFO topics: publish rules, sequence numbers, topic-level deduplication, FIFO topic -> FIFO queue
ordering and pass-through of MessageGroupId / MessageDeduplicationId (sns.md sections 5, 6, 9)."""

from __future__ import annotations

import json
import re

import pytest

from sns_helpers import (  # noqa: F401  (fixtures)
    envelope,
    expect_sns_error,
    new_queue,
    receive_all,
    receive_rest,
    sns,
    subscribe_queue,
    uniq,
    verify_sns_signature,
)


def _fifo_topic(sns, **attrs) -> str:
    a = {"FifoTopic": "true"}
    a.update({k: str(v) for k, v in attrs.items()})
    return sns.create_topic(Name=uniq("ft") + ".fifo", Attributes=a)["TopicArn"]


def test_fifo_publish_requirements(sns):
    topic = _fifo_topic(sns)
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageDeduplicationId="d"),
                     "InvalidParameter", 400,
                     "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageGroupId="g"),
                     "InvalidParameter", 400,
                     "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                     "MessageDeduplicationId provided explicitly")
    res = sns.publish(TopicArn=topic, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    assert res["MessageId"]
    assert re.fullmatch(r"\d+", res["SequenceNumber"]), res


def test_sequence_numbers_increase(sns):
    topic = _fifo_topic(sns, ContentBasedDeduplication="true")
    seqs = [int(sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")["SequenceNumber"])
            for i in range(5)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5, seqs


def test_fifo_topic_to_fifo_queue(sns, sqs):
    topic = _fifo_topic(sns)
    url, qarn = new_queue(sqs, fifo=True)
    sub = subscribe_queue(sns, topic, qarn)
    published = []
    for i in range(10):
        g = "ga" if i % 2 == 0 else "gb"
        r = sns.publish(TopicArn=topic, Message=f"{g}-{i}", MessageGroupId=g, MessageDeduplicationId=f"dd-{i}",
                        Subject="fifo")
        published.append((g, f"{g}-{i}", f"dd-{i}", r))
    got = receive_all(sqs, url, 10, timeout=15)
    assert len(got) == 10, f"expected 10 deliveries, got {len(got)}"
    by_group: dict[str, list[str]] = {}
    for m in got:
        env = envelope(m)
        assert m["Attributes"]["MessageGroupId"] in ("ga", "gb")
        by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(env["Message"])
        pub = next(p for p in published if p[1] == env["Message"])
        assert m["Attributes"]["MessageDeduplicationId"] == pub[2], "dedup id is passed to SQS"
        assert env["MessageId"] == pub[3]["MessageId"]
        assert env["SequenceNumber"] == pub[3]["SequenceNumber"]
        keys = list(env)
        assert "SigningCertURL" not in keys, "FIFO topics: no SigningCertURL in the envelope"
        core = [k for k in keys if k not in ("SignatureVersion", "Signature")]
        assert core == ["Type", "MessageId", "SequenceNumber", "TopicArn", "Subject", "Message", "Timestamp",
                        "UnsubscribeURL"], keys
        assert sub in env["UnsubscribeURL"] or sub.replace(":", "%3A") in env["UnsubscribeURL"]
    assert by_group["ga"] == [f"ga-{i}" for i in range(0, 10, 2)], "order within a group is kept"
    assert by_group["gb"] == [f"gb-{i}" for i in range(1, 10, 2)]


def test_fifo_raw_delivery_keeps_group(sns, sqs):
    topic = _fifo_topic(sns, ContentBasedDeduplication="true")
    url, qarn = new_queue(sqs, fifo=True)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    for i in range(3):
        sns.publish(TopicArn=topic, Message=f"raw-{i}", MessageGroupId="only",
                    MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}})
    got = receive_all(sqs, url, 3)
    assert [m["Body"] for m in got] == ["raw-0", "raw-1", "raw-2"]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"only"}
    assert all(m["Attributes"].get("MessageDeduplicationId") for m in got)
    assert [m["MessageAttributes"]["i"]["StringValue"] for m in got] == ["0", "1", "2"]


def test_topic_level_deduplication(sns, sqs):
    """A standard queue subscribed to a FIFO topic has no dedup of its own: it sees the topic's dedup."""
    topic = _fifo_topic(sns)
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    a = sns.publish(TopicArn=topic, Message="first", MessageGroupId="g", MessageDeduplicationId="same")
    b = sns.publish(TopicArn=topic, Message="second", MessageGroupId="g", MessageDeduplicationId="same")
    assert a["MessageId"] and b["MessageId"]
    c = sns.publish(TopicArn=topic, Message="third", MessageGroupId="g", MessageDeduplicationId="other")
    got = receive_all(sqs, url, 2) + receive_rest(sqs, url)
    assert sorted(m["Body"] for m in got) == ["first", "third"], "the duplicate within 5 minutes is dropped"
    assert c["MessageId"]


def test_content_based_deduplication(sns, sqs):
    topic = _fifo_topic(sns, ContentBasedDeduplication="true")
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g1")
    sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g1")
    sns.publish(TopicArn=topic, Message="other body", MessageGroupId="g1")
    sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g2", MessageDeduplicationId="explicit")
    got = receive_all(sqs, url, 3) + receive_rest(sqs, url)
    assert sorted(m["Body"] for m in got) == ["other body", "same body", "same body"]


@pytest.mark.parametrize("scope,expected", [("Topic", ["a"]), ("MessageGroup", ["a", "b"])])
def test_fifo_throughput_scope_sets_dedup_scope(sns, sqs, scope, expected):
    topic = _fifo_topic(sns, FifoThroughputScope=scope)
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["FifoThroughputScope"] == scope
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="a", MessageGroupId="g1", MessageDeduplicationId="dup")
    sns.publish(TopicArn=topic, Message="b", MessageGroupId="g2", MessageDeduplicationId="dup")
    got = receive_all(sqs, url, len(expected)) + receive_rest(sqs, url)
    assert sorted(m["Body"] for m in got) == expected


def test_fifo_publish_batch(sns, sqs):
    topic = _fifo_topic(sns)
    url, qarn = new_queue(sqs, fifo=True)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": f"e{i}", "Message": f"b{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
        for i in range(4)])
    assert res["Failed"] == []
    seqs = [int(e["SequenceNumber"]) for e in sorted(res["Successful"], key=lambda e: e["Id"])]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert [m["Body"] for m in receive_all(sqs, url, 4)] == ["b0", "b1", "b2", "b3"]


def test_fifo_publish_batch_entry_without_group(sns):
    topic = _fifo_topic(sns, ContentBasedDeduplication="true")
    try:
        res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "m", "MessageGroupId": "g"}, {"Id": "nogroup", "Message": "m2"}])
    except Exception as e:  # AWS may reject the whole request
        assert "MessageGroupId" in str(e)
        return
    assert [e["Id"] for e in res["Successful"]] == ["ok"]
    [f] = res["Failed"]
    assert f["Id"] == "nogroup" and f["Code"] == "InvalidParameter" and f["SenderFault"] is True


def test_standard_topic_accepts_message_group_id(sns, sqs):
    topic = sns.create_topic(Name=uniq("stdgrp"))["TopicArn"]
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn)
    res = sns.publish(TopicArn=topic, Message="grouped", MessageGroupId="g")
    assert "SequenceNumber" not in res
    env = envelope(receive_all(sqs, url, 1)[0])
    assert env["Message"] == "grouped"
    assert "SequenceNumber" not in env
    assert "SigningCertURL" in env
    verify_sns_signature(env)


def test_fifo_json_message_stays_a_string(sns, sqs):
    topic = _fifo_topic(sns, ContentBasedDeduplication="true")
    url, qarn = new_queue(sqs, fifo=True)
    subscribe_queue(sns, topic, qarn)
    sns.publish(TopicArn=topic, Message=json.dumps({"k": 1}), MessageGroupId="g")
    env = envelope(receive_all(sqs, url, 1)[0])
    assert env["Message"] == '{"k": 1}'
    assert env["Type"] == "Notification"
