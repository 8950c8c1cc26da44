"""Plain HTTP publish (curl-style): POST /topics/<name or URL-encoded ARN> with the message as the body.

sluice contract: headers X-SNS-Subject, X-SNS-Message-Group-Id, X-SNS-Message-Deduplication-Id,
X-SNS-Message-Structure, X-SNS-Message-Attributes (JSON object: name -> string or
{"DataType", "StringValue"|"BinaryValue"}); 200 {"MessageId"[, "SequenceNumber"]}; errors
{"__type": "<SNS code>", "message": ...} with the SNS status (sns.md section 2)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import requests

from sns_helpers import (  # noqa: F401  (fixtures)
    UUID_RE,
    envelope,
    new_queue,
    receive_all,
    receive_rest,
    sns,
    subscribe_queue,
    topic_arn_for,
    uniq,
    verify_sns_signature,
)


def _topic_with_queue(sns, sqs, raw=False, fifo=False, **sub_attrs):
    name = uniq("plain") + (".fifo" if fifo else "")
    attrs = {"FifoTopic": "true"} if fifo else {}
    topic = sns.create_topic(Name=name, Attributes=attrs)["TopicArn"]
    url, qarn = new_queue(sqs, fifo=fifo)
    if raw:
        sub_attrs["RawMessageDelivery"] = "true"
    subscribe_queue(sns, topic, qarn, **sub_attrs)
    return name, topic, url


def _json_error(r: requests.Response, type_: str, status: int, message: str | None = None):
    assert r.status_code == status, f"expected {status}, got {r.status_code} {r.text[:300]}"
    assert "json" in r.headers.get("Content-Type", ""), r.headers
    body = r.json()
    assert body.get("__type") == type_, body
    assert isinstance(body.get("message"), str) and body["message"], body
    if message is not None:
        assert body["message"] == message, body
    return body


def test_publish_by_name(endpoint, sns, sqs):
    name, topic, url = _topic_with_queue(sns, sqs)
    r = requests.post(f"{endpoint}/topics/{name}", data="hello from curl", timeout=10)
    assert r.status_code == 200, r.text
    assert "json" in r.headers.get("Content-Type", "")
    body = r.json()
    assert set(body) == {"MessageId"}
    assert re.fullmatch(UUID_RE, body["MessageId"])
    [m] = receive_all(sqs, url, 1)
    env = envelope(m)
    assert env["MessageId"] == body["MessageId"]
    assert env["Message"] == "hello from curl"
    assert env["TopicArn"] == topic
    assert "Subject" not in env and "MessageAttributes" not in env
    verify_sns_signature(env)


def test_publish_by_encoded_arn(endpoint, sns, sqs):
    _, topic, url = _topic_with_queue(sns, sqs)
    r = requests.post(f"{endpoint}/topics/{quote(topic, safe='')}", data="by arn", timeout=10)
    assert r.status_code == 200, r.text
    assert envelope(receive_all(sqs, url, 1)[0])["Message"] == "by arn"


def test_publish_binary_safe_utf8_body(endpoint, sns, sqs):
    name, _, url = _topic_with_queue(sns, sqs, raw=True)
    text = "ünïcödé ✓ \"quotes\" \n newline"
    r = requests.post(f"{endpoint}/topics/{name}", data=text.encode("utf-8"),
                      headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=10)
    assert r.status_code == 200, r.text
    assert receive_all(sqs, url, 1)[0]["Body"] == text


def test_publish_headers(endpoint, sns, sqs):
    name, _, url = _topic_with_queue(sns, sqs)
    attrs = {"plain": "text", "n": {"DataType": "Number", "StringValue": "5"},
             "b": {"DataType": "Binary", "BinaryValue": "AQI="},
             "arr": {"DataType": "String.Array", "StringValue": '["x"]'}}
    r = requests.post(f"{endpoint}/topics/{name}", data="with headers", timeout=10, headers={
        "X-SNS-Subject": "Subject line", "X-SNS-Message-Attributes": json.dumps(attrs)})
    assert r.status_code == 200, r.text
    env = envelope(receive_all(sqs, url, 1)[0])
    assert env["Subject"] == "Subject line"
    assert env["Message"] == "with headers"
    assert env["MessageAttributes"] == {"plain": {"Type": "String", "Value": "text"},
                                        "n": {"Type": "Number", "Value": "5"},
                                        "b": {"Type": "Binary", "Value": "AQI="},
                                        "arr": {"Type": "String.Array", "Value": '["x"]'}}


def test_publish_attributes_drive_filter_policy(endpoint, sns, sqs):
    name, _, url = _topic_with_queue(sns, sqs, raw=True, FilterPolicy={"kind": ["wanted"]})
    for kind in ("unwanted", "wanted"):
        r = requests.post(f"{endpoint}/topics/{name}", data=kind, timeout=10,
                          headers={"X-SNS-Message-Attributes": json.dumps({"kind": kind})})
        assert r.status_code == 200, r.text
    got = receive_all(sqs, url, 1) + receive_rest(sqs, url, wait=0)
    assert [m["Body"] for m in got] == ["wanted"]
    assert got[0]["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "wanted"}}


def test_publish_message_structure(endpoint, sns, sqs):
    name, _, url = _topic_with_queue(sns, sqs, raw=True)
    r = requests.post(f"{endpoint}/topics/{name}", data=json.dumps({"default": "d", "sqs": "for sqs"}),
                      headers={"X-SNS-Message-Structure": "json"}, timeout=10)
    assert r.status_code == 200, r.text
    assert receive_all(sqs, url, 1)[0]["Body"] == "for sqs"
    r = requests.post(f"{endpoint}/topics/{name}", data='{"sqs": "no default"}',
                      headers={"X-SNS-Message-Structure": "json"}, timeout=10)
    _json_error(r, "InvalidParameter", 400, "Invalid parameter: Message Structure - No default entry in JSON message body")


def test_publish_fifo(endpoint, sns, sqs):
    name, _, url = _topic_with_queue(sns, sqs, raw=True, fifo=True)
    seqs = []
    for i in range(3):
        r = requests.post(f"{endpoint}/topics/{name}", data=f"f{i}", timeout=10, headers={
            "X-SNS-Message-Group-Id": "grp", "X-SNS-Message-Deduplication-Id": f"dedup-{i}"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"MessageId", "SequenceNumber"}
        seqs.append(int(body["SequenceNumber"]))
    assert seqs == sorted(seqs)
    # duplicate dedup id inside the window: accepted, not delivered again
    r = requests.post(f"{endpoint}/topics/{name}", data="dup", timeout=10, headers={
        "X-SNS-Message-Group-Id": "grp", "X-SNS-Message-Deduplication-Id": "dedup-0"})
    assert r.status_code == 200, r.text
    got = receive_all(sqs, url, 3) + receive_rest(sqs, url, wait=0)
    assert [m["Body"] for m in got] == ["f0", "f1", "f2"]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"grp"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in got] == ["dedup-0", "dedup-1", "dedup-2"]


def test_publish_errors(endpoint, sns, sqs):
    _json_error(requests.post(f"{endpoint}/topics/{uniq('nope')}", data="x", timeout=10), "NotFound", 404)
    _json_error(requests.post(f"{endpoint}/topics/{quote(topic_arn_for(uniq('nope')), safe='')}", data="x",
                              timeout=10), "NotFound", 404)
    name, _, url = _topic_with_queue(sns, sqs)
    _json_error(requests.post(f"{endpoint}/topics/{name}", data=b"", timeout=10), "InvalidParameter", 400,
                "Invalid parameter: Empty message")
    _json_error(requests.post(f"{endpoint}/topics/{name}", data="x" * 262145, timeout=10), "InvalidParameter", 400,
                "Invalid parameter: Message too long")
    _json_error(requests.post(f"{endpoint}/topics/{name}", data="x", headers={"X-SNS-Subject": ""}, timeout=10),
                "InvalidParameter", 400, "Invalid parameter: Subject")
    r = requests.post(f"{endpoint}/topics/{name}", data="x", headers={"X-SNS-Message-Attributes": "{not json"},
                      timeout=10)
    body = _json_error(r, r.json().get("__type"), 400)
    assert body["__type"] in ("InvalidParameter", "ParameterValueInvalid"), body
    r = requests.post(f"{endpoint}/topics/{name}", data="x", timeout=10, headers={
        "X-SNS-Message-Attributes": json.dumps({"attr1": {"DataType": "String", "StringValue": ""}})})
    _json_error(r, "ParameterValueInvalid", 400,
                "The message attribute 'attr1' must contain non-empty message attribute value for message "
                "attribute type 'String'.")
    _json_error(requests.post(f"{endpoint}/topics/{name}", data="x", timeout=10,
                              headers={"X-SNS-Message-Deduplication-Id": "d"}), "InvalidParameter", 400,
                "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type")
    fname, _, _ = _topic_with_queue(sns, sqs, fifo=True)
    _json_error(requests.post(f"{endpoint}/topics/{fname}", data="x", timeout=10), "InvalidParameter", 400,
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    _json_error(requests.post(f"{endpoint}/topics/{fname}", data="x", headers={"X-SNS-Message-Group-Id": "g"},
                              timeout=10), "InvalidParameter", 400,
                "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly")
    assert receive_rest(sqs, url, wait=0) == [], "failed publishes deliver nothing"
