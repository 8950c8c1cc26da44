"""SNS Publish / PublishBatch and fan-out to SQS: the JSON envelope, signatures, raw delivery,
MessageStructure=json, validation (sns.md sections 5-6)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from helpers import md5_of_attributes, md5_of_body
from sns_helpers import (  # noqa: F401  (fixtures)
    TIMESTAMP_RE,
    UUID_RE,
    envelope,
    expect_sns_error,
    new_queue,
    receive_all,
    receive_rest,
    sns,
    sns_query,
    subscribe_queue,
    topic,
    topic_arn_for,
    uniq,
    verify_sns_signature,
)

ENVELOPE_KEYS = ["Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature",
                 "SigningCertURL", "UnsubscribeURL"]


@pytest.fixture
def sub_queue(sns, sqs, topic):
    """(topic ARN, queue URL, subscription ARN) with a non-raw sqs subscription."""
    url, qarn = new_queue(sqs)
    sub = subscribe_queue(sns, topic, qarn)
    return topic, url, sub


def _one(sqs, url, timeout=10):
    msgs = receive_all(sqs, url, 1, timeout=timeout)
    assert len(msgs) == 1, f"expected one delivery, got {len(msgs)}"
    return msgs[0]


# ------------------------------------------------------------------ envelope
def test_envelope_to_sqs(sns, sqs, sub_queue, endpoint):
    topic, url, sub = sub_queue
    before = dt.datetime.now(dt.timezone.utc)
    res = sns.publish(TopicArn=topic, Message="hello subscribers")
    assert re.fullmatch(UUID_RE, res["MessageId"]), res
    assert "SequenceNumber" not in res
    m = _one(sqs, url)
    assert m["MD5OfBody"] == md5_of_body(m["Body"])
    assert "MessageAttributes" not in m, "non-raw delivery puts no SQS message attributes on the message"
    env = envelope(m)
    assert list(env) == ENVELOPE_KEYS, f"key order/presence: {list(env)}"
    assert env["Type"] == "Notification"
    assert env["MessageId"] == res["MessageId"]
    assert env["TopicArn"] == topic
    assert env["Message"] == "hello subscribers"
    assert env["SignatureVersion"] == "1"
    assert TIMESTAMP_RE.match(env["Timestamp"]), env["Timestamp"]
    ts = dt.datetime.strptime(env["Timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    assert before - dt.timedelta(seconds=5) <= ts <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)
    assert env["SigningCertURL"].endswith(".pem")
    unsub = urlparse(env["UnsubscribeURL"])
    q = parse_qs(unsub.query)
    assert q["Action"] == ["Unsubscribe"] and q["SubscriptionArn"] == [sub], env["UnsubscribeURL"]
    assert f"{unsub.scheme}://{unsub.netloc}" == endpoint, "UnsubscribeURL points at sluice"


def test_envelope_with_subject_and_attributes(sns, sqs, sub_queue):
    topic, url, _ = sub_queue
    res = sns.publish(TopicArn=topic, Message="with extras", Subject="Greetings", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "text"},
        "n": {"DataType": "Number", "StringValue": "100.12"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"},
        "arr": {"DataType": "String.Array", "StringValue": '["a", 1, true]'},
    })
    env = envelope(_one(sqs, url))
    assert list(env) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                         "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"], list(env)
    assert env["MessageId"] == res["MessageId"]
    assert env["Subject"] == "Greetings"
    assert env["MessageAttributes"] == {
        "s": {"Type": "String", "Value": "text"},
        "n": {"Type": "Number", "Value": "100.12"},
        "b": {"Type": "Binary", "Value": "AgME"},
        "arr": {"Type": "String.Array", "Value": '["a", 1, true]'},
    }


def test_json_special_characters_survive(sns, sqs, sub_queue):
    topic, url, _ = sub_queue
    text = 'quote " backslash \\ newline \n tab \t unicode ✓ 😀 slash / <xml>&amp;'
    sns.publish(TopicArn=topic, Message=text, Subject="ü & <x>")
    env = envelope(_one(sqs, url))
    assert env["Message"] == text
    assert env["Subject"] == "ü & <x>"
    verify_sns_signature(env)


# ---------------------------------------------------------------- signatures
def test_signature_v1_verifies_with_served_certificate(sns, sqs, sub_queue):
    topic, url, _ = sub_queue
    sns.publish(TopicArn=topic, Message="sign me", Subject="signed")
    sns.publish(TopicArn=topic, Message="sign me too")
    msgs = receive_all(sqs, url, 2)
    assert len(msgs) == 2
    for m in msgs:
        env = envelope(m)
        assert env["SignatureVersion"] == "1"
        verify_sns_signature(env)
        tampered = dict(env, Message=env["Message"] + "!")
        with pytest.raises(AssertionError, match="does not verify"):
            verify_sns_signature(tampered)


def test_signature_v2_sha256(sns, sqs):
    topic = sns.create_topic(Name=uniq("sig2"), Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn)
    sns.publish(TopicArn=topic, Message="sha256 please", Subject="v2")
    env = envelope(_one(sqs, url))
    assert env["SignatureVersion"] == "2"
    verify_sns_signature(env)
    # switching back to 1 at runtime
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="1")
    sns.publish(TopicArn=topic, Message="sha1 again")
    env = envelope(_one(sqs, url))
    assert env["SignatureVersion"] == "1"
    verify_sns_signature(env)


def test_signing_certificate_is_a_pem_x509_with_rsa_key(sns, sqs, sub_queue):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    topic, url, _ = sub_queue
    sns.publish(TopicArn=topic, Message="cert")
    env = envelope(_one(sqs, url))
    r = requests.get(env["SigningCertURL"], timeout=10)  # unsigned GET
    assert r.status_code == 200
    cert = x509.load_pem_x509_certificate(r.content)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey)
    assert cert.public_key().key_size >= 2048


# ------------------------------------------------------------ UnsubscribeURL
def test_unsubscribe_url_works_unsigned(sns, sqs, sub_queue):
    topic, url, sub = sub_queue
    sns.publish(TopicArn=topic, Message="first")
    env = envelope(_one(sqs, url))
    r = requests.get(env["UnsubscribeURL"], timeout=10)
    assert r.status_code == 200, r.text
    assert "UnsubscribeResponse" in r.text
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=sub), "NotFound", 404)
    sns.publish(TopicArn=topic, Message="second")
    assert receive_rest(sqs, url) == []


# ------------------------------------------------------------------ fan-out
def test_fan_out_to_several_queues(sns, sqs, topic):
    queues = [new_queue(sqs) for _ in range(3)]
    subs = [subscribe_queue(sns, topic, arn) for _, arn in queues]
    sns.unsubscribe(SubscriptionArn=subs[2])
    res = sns.publish(TopicArn=topic, Message="to many")
    for url, _ in queues[:2]:
        env = envelope(_one(sqs, url))
        assert env["MessageId"] == res["MessageId"]
    assert receive_rest(sqs, queues[2][0]) == [], "an unsubscribed queue gets nothing"
    unsub_urls = set()
    sns.publish(TopicArn=topic, Message="again")
    for url, _ in queues[:2]:
        unsub_urls.add(envelope(_one(sqs, url))["UnsubscribeURL"])
    assert len(unsub_urls) == 2, "each subscription gets its own UnsubscribeURL"


def test_publish_without_subscriptions(sns, topic):
    res = sns.publish(TopicArn=topic, Message="nobody listens")
    assert re.fullmatch(UUID_RE, res["MessageId"])


def test_publish_with_target_arn(sns, sqs, sub_queue):
    topic, url, _ = sub_queue
    res = sns.publish(TargetArn=topic, Message="via TargetArn")
    env = envelope(_one(sqs, url))
    assert env["MessageId"] == res["MessageId"] and env["Message"] == "via TargetArn"


def test_deleted_queue_does_not_break_publish(sns, sqs, topic):
    url_gone, arn_gone = new_queue(sqs)
    url_ok, arn_ok = new_queue(sqs)
    subscribe_queue(sns, topic, arn_gone)
    subscribe_queue(sns, topic, arn_ok)
    sqs.delete_queue(QueueUrl=url_gone)
    res = sns.publish(TopicArn=topic, Message="one queue is gone")
    assert envelope(_one(sqs, url_ok))["MessageId"] == res["MessageId"]


# ------------------------------------------------------------------- raw
def test_raw_delivery_to_sqs(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    attrs = {
        "s": {"DataType": "String", "StringValue": "text"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "arr": {"DataType": "String.Array", "StringValue": '["x","y"]'},
        "custom": {"DataType": "Number.float", "StringValue": "1.5"},
    }
    sns.publish(TopicArn=topic, Message='{"raw": true}', Subject="ignored for raw", MessageAttributes=attrs)
    m = _one(sqs, url)
    assert m["Body"] == '{"raw": true}'
    assert m["MD5OfBody"] == md5_of_body('{"raw": true}')
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attrs)


def test_raw_delivery_without_attributes(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="plain raw")
    m = _one(sqs, url)
    assert m["Body"] == "plain raw"
    assert "MessageAttributes" not in m


def test_raw_and_enveloped_subscribers_side_by_side(sns, sqs, topic):
    raw_url, raw_arn = new_queue(sqs)
    env_url, env_arn = new_queue(sqs)
    raw_sub = subscribe_queue(sns, topic, raw_arn)
    subscribe_queue(sns, topic, env_arn)
    sns.set_subscription_attributes(SubscriptionArn=raw_sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="both")
    assert _one(sqs, raw_url)["Body"] == "both"
    assert envelope(_one(sqs, env_url))["Message"] == "both"


# ---------------------------------------------------------- MessageStructure
def test_message_structure_json(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    raw_url, raw_arn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn)
    subscribe_queue(sns, topic, raw_arn, RawMessageDelivery="true")
    msg = {"default": "for everyone", "sqs": "for queues", "http": "for web", "email": "for mail"}
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps(msg))
    assert envelope(_one(sqs, url))["Message"] == "for queues"
    assert _one(sqs, raw_url)["Body"] == "for queues"
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "only default",
                                                                              "lambda": "x", "unknown": "y"}))
    assert envelope(_one(sqs, url))["Message"] == "only default"
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "non-string sqs",
                                                                              "sqs": {"nested": 1}}))
    assert envelope(_one(sqs, url))["Message"] == "non-string sqs", "non-string protocol values are ignored"


def test_message_structure_errors(sns, topic):
    expect_sns_error(lambda: sns.publish(TopicArn=topic, MessageStructure="json", Message="{not json"),
                     "InvalidParameter", 400, "Invalid parameter: Message Structure - JSON message body failed to parse")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, MessageStructure="json", Message='{"sqs": "x"}'),
                     "InvalidParameter", 400, "Invalid parameter: Message Structure - No default entry in JSON message body")


# ---------------------------------------------------------------- validation
def test_publish_message_size(sns, sqs, sub_queue):
    topic, url, _ = sub_queue
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message=""), "InvalidParameter", 400,
                     "Invalid parameter: Empty message")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="x" * 262145), "InvalidParameter", 400,
                     "Invalid parameter: Message too long")
    big = "é" * 131072  # 262,144 bytes
    sns.publish(TopicArn=topic, Message=big)
    assert envelope(_one(sqs, url))["Message"] == big
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="é" * 131072 + "x"), "InvalidParameter", 400,
                     "Invalid parameter: Message too long")


def test_publish_subject_rules(sns, topic):
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject=""), "InvalidParameter", 400,
                     "Invalid parameter: Subject")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject="s" * 100), "InvalidParameter", 400)
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject="two\nlines"),
                     "InvalidParameter", 400)
    sns.publish(TopicArn=topic, Message="m", Subject="s" * 99)


@pytest.mark.parametrize("attrs,message", [
    ({"attr1": {"DataType": "String", "StringValue": ""}},
     "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type "
     "'String'."),
    ({"attr1": {"DataType": "Foo", "StringValue": "x"}},
     "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is "
     "Binary, Number, and String."),
    ({"attr1": {"DataType": "Number", "BinaryValue": b"\x01"}},
     "The message attribute 'attr1' with type 'Number' must use field 'String'."),
    ({".attr": {"DataType": "String", "StringValue": "x"}},
     "Invalid message attribute name starting with character '.' was found."),
    ({"a..b": {"DataType": "String", "StringValue": "x"}},
     "Message attribute name can not have successive '.' character."),
    ({"a" * 256: {"DataType": "String", "StringValue": "x"}},
     "Length of message attribute name must be less than 256 bytes."),
], ids=["empty-string", "bad-type", "number-binary", "leading-dot", "double-dot", "long-name"])
def test_publish_attribute_errors(sns, topic, attrs, message):
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageAttributes=attrs),
                     "ParameterValueInvalid", 400, message)


def test_publish_topic_errors(sns, topic):
    expect_sns_error(lambda: sns.publish(TopicArn=topic_arn_for(uniq("gone")), Message="m"), "NotFound", 404,
                     "Topic does not exist")
    other_region = topic.replace(":us-east-1:", ":eu-west-3:")
    expect_sns_error(lambda: sns.publish(TopicArn=other_region, Message="m"), "InvalidParameter", 400,
                     contains="Invalid parameter: TopicArn")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageDeduplicationId="d1"),
                     "InvalidParameter", 400,
                     "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                     "parameter that is not valid for this topic type")


def test_publish_query_wire(endpoint, sns, sqs, sub_queue):
    """Publish over raw Query with MessageAttributes.entry.N.Name/Value.* flattening (wire-protocols.md 4)."""
    topic, url, _ = sub_queue
    qr = sns_query(endpoint, "Publish", [
        ("TopicArn", topic), ("Message", "wire"),
        ("MessageAttributes.entry.1.Name", "k"), ("MessageAttributes.entry.1.Value.DataType", "String"),
        ("MessageAttributes.entry.1.Value.StringValue", "v"),
        ("MessageAttributes.entry.2.Name", "bin"), ("MessageAttributes.entry.2.Value.DataType", "Binary"),
        ("MessageAttributes.entry.2.Value.BinaryValue", base64.b64encode(b"\x02\x03\x04").decode()),
    ])
    assert qr.status == 200, qr.text
    assert qr.root.tag == "PublishResponse"
    mid = qr.findtext("PublishResult/MessageId")
    assert mid and qr.findtext("ResponseMetadata/RequestId")
    env = envelope(_one(sqs, url))
    assert env["MessageId"] == mid
    assert env["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"},
                                        "bin": {"Type": "Binary", "Value": "AgME"}}


# -------------------------------------------------------------- PublishBatch
def test_publish_batch(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn)
    entries = [
        {"Id": "plain", "Message": "one"},
        {"Id": "with-subject", "Message": "two", "Subject": "S"},
        {"Id": "attrs_3", "Message": "three", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "structured", "Message": json.dumps({"default": "d", "sqs": "four"}), "MessageStructure": "json"},
    ]
    res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert res["Failed"] == []
    ids = {e["Id"]: e["MessageId"] for e in res["Successful"]}
    assert set(ids) == {"plain", "with-subject", "attrs_3", "structured"}
    envs = {envelope(m)["MessageId"]: envelope(m) for m in receive_all(sqs, url, 4)}
    assert set(envs) == set(ids.values())
    assert envs[ids["plain"]]["Message"] == "one" and "Subject" not in envs[ids["plain"]]
    assert envs[ids["with-subject"]]["Subject"] == "S"
    assert envs[ids["attrs_3"]]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert envs[ids["structured"]]["Message"] == "four"
    for e in envs.values():
        verify_sns_signature(e)


def test_publish_batch_partial_failure(sns, sqs, topic):
    url, qarn = new_queue(sqs)
    subscribe_queue(sns, topic, qarn)
    res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "good", "Message": "fine"},
        {"Id": "empty", "Message": ""},
        {"Id": "badattr", "Message": "x", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
    ])
    assert [e["Id"] for e in res["Successful"]] == ["good"]
    failed = {f["Id"]: f for f in res["Failed"]}
    assert set(failed) == {"empty", "badattr"}
    assert failed["empty"]["Code"] == "InvalidParameter"
    assert failed["empty"]["SenderFault"] is True
    assert failed["empty"]["Message"] == "Invalid parameter: Empty message"
    assert failed["badattr"]["SenderFault"] is True
    assert failed["badattr"]["Code"] == "ParameterValueInvalid"
    msgs = receive_all(sqs, url, 1)
    assert [envelope(m)["Message"] for m in msgs] == ["fine"]
    assert receive_rest(sqs, url, wait=0) == []


@pytest.mark.parametrize("entries,code,message", [
    ([{"Id": f"e{i}", "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest",
     "The batch request contains more entries than permissible."),
    ([{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}], "BatchEntryIdsNotDistinct",
     "Two or more batch entries in the request have the same Id."),
    ([], "EmptyBatchRequest", None),
    ([{"Id": "msg@123#test", "Message": "m"}], "InvalidBatchEntryId",
     "The Id of a batch entry in the batch request contains an impermissible character: msg@123#test"),
    ([{"Id": "x" * 81, "Message": "m"}], "InvalidBatchEntryId", None),
    ([{"Id": f"e{i}", "Message": "x" * 100_000} for i in range(3)], "BatchRequestTooLong",
     "The length of all the messages put together is more than the limit."),
], ids=["too-many", "duplicate-ids", "empty", "bad-id-char", "long-id", "too-long"])
def test_publish_batch_request_errors(sns, topic, entries, code, message):
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries), code, 400,
                     message)


def test_publish_batch_missing_topic(sns):
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic_arn_for(uniq("gone")),
                                               PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}]),
                     "NotFound", 404)


def test_publish_batch_query_wire(endpoint, topic):
    qr = sns_query(endpoint, "PublishBatch", [
        ("TopicArn", topic),
        ("PublishBatchRequestEntries.member.1.Id", "ok"), ("PublishBatchRequestEntries.member.1.Message", "m"),
        ("PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name", "k"),
        ("PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType", "String"),
        ("PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue", "v"),
        ("PublishBatchRequestEntries.member.2.Id", "bad"), ("PublishBatchRequestEntries.member.2.Message", ""),
    ])
    assert qr.status == 200, qr.text
    ok = qr.root.findall("PublishBatchResult/Successful/member")
    bad = qr.root.findall("PublishBatchResult/Failed/member")
    assert [m.findtext("Id") for m in ok] == ["ok"] and ok[0].findtext("MessageId")
    assert [m.findtext("Id") for m in bad] == ["bad"]
    assert bad[0].findtext("Code") == "InvalidParameter"
    assert bad[0].findtext("SenderFault") == "true"
