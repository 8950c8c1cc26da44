"""GET /metrics and GET /metrics/cloudwatch (shared/reference/metrics.md).

* Both expositions are valid: ``promtool check metrics`` (Prometheus's own
  linter) finds nothing in /metrics, and only the problems YACE's naming
  necessarily has in /metrics/cloudwatch; a strict parser (metrics_helpers)
  checks HELP/TYPE uniqueness, contiguous families, no duplicate series,
  histogram consistency, and OpenMetrics 1.0 rules when negotiated.
* Values follow CloudWatch's semantics, checked against what the test did
  through boto3: sends (single and batch), receives, deletes (a repeated delete
  counts), empty receives (one per call, after its long poll), FIFO duplicates
  (deduplicated, not sent), DLQ redrive (not a send on the DLQ), SNS publishes,
  deliveries (fan-out copies are sends on each queue), filtered-out by reason,
  failures and subscription-DLQ redrives. Gauges are exact at scrape time.
* A deleted queue or topic stops being exported.
* The example rules and dashboard in examples/prometheus are valid and use
  only families sluice exports.

One module fixture (``traffic``) produces the traffic on the shared server;
tests that need exact server-wide values (request counts, long-poll waiters,
delivery backlog) use a private server. The real-Prometheus test is in
test_prometheus.py.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import ACCOUNT, REGION, make_boto_client, queue_attrs, uniq, wait_for
from metrics_helpers import (
    OPENMETRICS_CT,
    PROM_CT,
    Exposition,
    canonical_number,
    parse_exposition,
    promtool,
    promtool_check_metrics,
    scrape,
    scrape_raw,
)
from sns_helpers import (  # noqa: F401  (fixtures)
    FAST_RETRY_POLICY,
    confirm_http_subscription,
    make_sns_client,
    receiver,
    sns,
    subscribe_queue,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "prometheus"

SQS_COUNTERS = ["number_of_messages_sent", "number_of_messages_received", "number_of_messages_deleted",
                "number_of_empty_receives", "number_of_deduplicated_sent_messages"]
SQS_GAUGES = ["approximate_number_of_messages_visible", "approximate_number_of_messages_not_visible",
              "approximate_number_of_messages_delayed", "approximate_age_of_oldest_message",
              "approximate_number_of_groups_with_inflight_messages"]
SNS_COUNTERS = ["number_of_messages_published", "number_of_notifications_delivered",
                "number_of_notifications_failed", "number_of_notifications_filtered_out",
                "number_of_notifications_filtered_out_message_attributes",
                "number_of_notifications_filtered_out_message_body",
                "number_of_notifications_filtered_out_invalid_attributes",
                "number_of_notifications_filtered_out_invalid_message_body",
                "number_of_notifications_filtered_out_no_message_attributes",
                "number_of_notifications_redriven_to_dlq", "number_of_notifications_failed_to_redrive_to_dlq"]
FILTER_REASONS = ["message_attributes", "message_body", "invalid_attributes", "invalid_message_body",
                  "no_message_attributes"]

# family name -> TYPE in the text 0.0.4 exposition
EXPECTED_FAMILIES: dict[str, str] = {
    **{f"sqs_{c}_total": "counter" for c in SQS_COUNTERS},
    **{f"sqs_{g}": "gauge" for g in SQS_GAUGES},
    "sqs_sent_message_size_bytes": "histogram",
    **{f"sns_{c}_total": "counter" for c in SNS_COUNTERS},
    "sns_publish_size_bytes": "histogram",
    "sluice_requests_total": "counter",
    "sluice_request_duration_seconds": "histogram",
    "sluice_storage_bytes": "gauge",
    "sluice_storage_commits_total": "counter",
    "sluice_storage_committed_operations_total": "counter",
    "sluice_long_poll_waiters": "gauge",
    "sluice_http_delivery_backlog": "gauge",
    "sluice_process_resident_memory_bytes": "gauge",
    "sluice_uptime_seconds": "gauge",
}


def S(v):
    return {"DataType": "String", "StringValue": v}


def sqs_value(expo: Exposition, metric: str, queue: str, default: float | None = 0.0) -> float | None:
    """``sqs_<metric>`` for one queue (counters: pass the name with _total)."""
    return expo.value(f"sqs_{metric}", default, queue_name=queue)


def sns_value(expo: Exposition, metric: str, topic: str, default: float | None = 0.0) -> float | None:
    return expo.value(f"sns_{metric}", default, topic_name=topic)


def counters(expo: Exposition, queue: str) -> dict[str, float]:
    return {c: sqs_value(expo, c + "_total", queue) for c in SQS_COUNTERS}


def gauges(expo: Exposition, queue: str) -> dict[str, float | None]:
    return {g: sqs_value(expo, g, queue, None) for g in SQS_GAUGES}


def sns_counters(expo: Exposition, topic: str) -> dict[str, float]:
    return {c: sns_value(expo, c + "_total", topic) for c in SNS_COUNTERS}


def histogram(expo: Exposition, family: str, **labels) -> dict:
    buckets = {s.labels["le"]: s.value for s in expo.samples(family + "_bucket", **labels)}
    return {"count": expo.value(family + "_count", 0.0, **labels), "sum": expo.value(family + "_sum", 0.0, **labels),
            "buckets": buckets}


def expected_buckets(buckets: dict[str, float], sizes: list[int]) -> dict[str, float]:
    return {le: float(sum(1 for s in sizes if s <= float(le))) for le in buckets}


# --------------------------------------------------------------------------
# the traffic
# --------------------------------------------------------------------------
@dataclass
class Tally:
    """What a queue saw through boto3, in CloudWatch's terms."""
    sent: int = 0
    received: int = 0
    deleted: int = 0
    empty: int = 0
    dedup: int = 0
    sizes: list[int] = field(default_factory=list)

    def counters(self) -> dict[str, float]:
        return {"number_of_messages_sent": float(self.sent), "number_of_messages_received": float(self.received),
                "number_of_messages_deleted": float(self.deleted), "number_of_empty_receives": float(self.empty),
                "number_of_deduplicated_sent_messages": float(self.dedup)}


class Q:
    def __init__(self, sqs, name: str, **attrs):
        self.sqs = sqs
        self.name = name
        self.url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.t = Tally()

    def send(self, body: str, **kw) -> dict:
        r = self.sqs.send_message(QueueUrl=self.url, MessageBody=body, **kw)
        self.t.sent += 1
        self.t.sizes.append(len(body.encode()))
        return r

    def receive(self, **kw) -> list[dict]:
        msgs = self.sqs.receive_message(QueueUrl=self.url, **kw).get("Messages", [])
        if msgs:
            self.t.received += len(msgs)
        else:
            self.t.empty += 1
        return msgs

    def receive_n(self, n: int, **kw) -> list[dict]:
        got: list[dict] = []
        deadline = time.monotonic() + 10
        while len(got) < n and time.monotonic() < deadline:
            got += self.receive(MaxNumberOfMessages=min(10, n - len(got)), WaitTimeSeconds=1, **kw)
        assert len(got) == n, f"{self.name}: received {len(got)} of {n}"
        return got

    def delete(self, handle: str):
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=handle)
        self.t.deleted += 1

    def attrs(self) -> dict[str, int]:
        a = queue_attrs(self.sqs, self.url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                        "ApproximateNumberOfMessagesDelayed")
        return {"approximate_number_of_messages_visible": int(a["ApproximateNumberOfMessages"]),
                "approximate_number_of_messages_not_visible": int(a["ApproximateNumberOfMessagesNotVisible"]),
                "approximate_number_of_messages_delayed": int(a["ApproximateNumberOfMessagesDelayed"])}


@dataclass
class Traffic:
    std: Q
    empty: Q
    fifo: Q
    src: Q
    dlq: Q
    fifo_groups_in_flight: int
    topic: str
    topic_arn: str
    topic_expect: dict[str, float]
    publish_sizes: list[int]
    fan: dict[str, Q]
    fan_sent: dict[str, int]
    failing_topic: str
    failing_publishes: int
    redrive_topic: str
    redrive_publishes: int
    fifo_topic: str
    fifo_topic_queue: Q


@pytest.fixture(scope="module")
def traffic(endpoint, sns) -> Traffic:
    sqs = make_boto_client(endpoint)
    base = uniq("m")

    # a standard queue: 3 sends, a batch of 4, one delayed send
    std = Q(sqs, f"{base}-std")
    for body in ["a" * 10, "b" * 300, "c" * 5000]:
        std.send(body)
    batch = [{"Id": str(i), "MessageBody": "d" * 100} for i in range(4)]
    res = sqs.send_message_batch(QueueUrl=std.url, Entries=batch)
    assert len(res.get("Successful", [])) == 4, res
    std.t.sent += 4
    std.t.sizes += [100] * 4
    std.send("e" * 20, DelaySeconds=900)
    # receive 5 (in flight for 15 min), delete 4 of them: two singly, one of those twice, two in a batch
    got = std.receive_n(5, VisibilityTimeout=900)
    std.delete(got[0]["ReceiptHandle"])
    std.delete(got[1]["ReceiptHandle"])
    std.delete(got[1]["ReceiptHandle"])  # repeated delete of the same message still counts
    res = sqs.delete_message_batch(QueueUrl=std.url, Entries=[
        {"Id": "0", "ReceiptHandle": got[2]["ReceiptHandle"]}, {"Id": "1", "ReceiptHandle": got[3]["ReceiptHandle"]}])
    assert len(res.get("Successful", [])) == 2, res
    std.t.deleted += 2

    # a queue that only sees empty receives: three short polls, one 1 s long poll
    empty = Q(sqs, f"{base}-empty")
    for _ in range(3):
        assert empty.receive(WaitTimeSeconds=0) == []
    assert empty.receive(WaitTimeSeconds=1) == []

    # a FIFO queue: five distinct deduplication ids, three duplicates (two single, one in a batch)
    fifo = Q(sqs, f"{base}-fifo.fifo", FifoQueue="true")
    fifo.send("f1", MessageGroupId="g1", MessageDeduplicationId="d1")
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo.url, MessageBody="f1", MessageGroupId="g1", MessageDeduplicationId="d1")
        fifo.t.dedup += 1
    fifo.send("f2", MessageGroupId="g2", MessageDeduplicationId="d2")
    fifo.send("f3", MessageGroupId="g2", MessageDeduplicationId="d3")
    res = sqs.send_message_batch(QueueUrl=fifo.url, Entries=[
        {"Id": "a", "MessageBody": "f4", "MessageGroupId": "g3", "MessageDeduplicationId": "d4"},
        {"Id": "b", "MessageBody": "f1", "MessageGroupId": "g3", "MessageDeduplicationId": "d1"},
        {"Id": "c", "MessageBody": "f5", "MessageGroupId": "g3", "MessageDeduplicationId": "d5"}])
    assert len(res.get("Successful", [])) == 3, res
    fifo.t.sent += 2
    fifo.t.dedup += 1
    fifo.t.sizes += [2, 2]
    in_flight = fifo.receive(MaxNumberOfMessages=10, VisibilityTimeout=900, AttributeNames=["MessageGroupId"])
    assert in_flight, "FIFO receive returned nothing"
    groups = {m["Attributes"]["MessageGroupId"] for m in in_flight}

    # a dead-letter queue pair (maxReceiveCount 1): two messages move; then one manual send to the DLQ
    dlq = Q(sqs, f"{base}-dlq")
    src = Q(sqs, f"{base}-src", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1}))
    src.send("r1")
    src.send("r2")
    src.receive_n(2, VisibilityTimeout=0)
    deadline = time.monotonic() + 10
    while src.attrs()["approximate_number_of_messages_visible"] and time.monotonic() < deadline:
        assert src.receive(MaxNumberOfMessages=10, WaitTimeSeconds=1) == [], \
            "a message over maxReceiveCount must move, not be returned"
    assert dlq.attrs()["approximate_number_of_messages_visible"] == 2, "both messages are in the DLQ"
    dlq.send("manual")

    # a topic with three queue subscriptions: no policy, attribute policy, body policy
    fan = {"all": Q(sqs, f"{base}-fan-all"), "attr": Q(sqs, f"{base}-fan-attr"), "body": Q(sqs, f"{base}-fan-body")}
    topic = f"{base}-topic"
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    subscribe_queue(sns, topic_arn, fan["all"].arn)
    subscribe_queue(sns, topic_arn, fan["attr"].arn, FilterPolicy={"color": ["red"]})
    subscribe_queue(sns, topic_arn, fan["body"].arn, FilterPolicy={"kind": ["x"]}, FilterPolicyScope="MessageBody")
    publishes = [
        ('{"kind":"x"}', {"color": S("red")}),   # all three
        ('{"kind":"y"}', {"color": S("blue")}),  # attr: MessageAttributes, body: MessageBody
        ("plain text", {}),                      # attr: NoMessageAttributes, body: InvalidMessageBody
    ]
    for message, attrs in publishes:
        sns.publish(TopicArn=topic_arn, Message=message, MessageAttributes=attrs)
    res = sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=[
        {"Id": "1", "Message": '{"kind":"x"}', "MessageAttributes": {"color": S("red")}},  # all three
        {"Id": "2", "Message": '{"kind":"x"}'}])  # all, body; attr: NoMessageAttributes
    assert len(res.get("Successful", [])) == 2, res
    publish_sizes = [len(m.encode()) for m, _ in publishes] + [len('{"kind":"x"}')] * 2
    topic_expect = {
        "number_of_messages_published": 5.0,
        "number_of_notifications_delivered": 10.0,
        "number_of_notifications_failed": 0.0,
        "number_of_notifications_filtered_out": 5.0,
        "number_of_notifications_filtered_out_message_attributes": 1.0,
        "number_of_notifications_filtered_out_message_body": 1.0,
        "number_of_notifications_filtered_out_invalid_attributes": 0.0,
        "number_of_notifications_filtered_out_invalid_message_body": 1.0,
        "number_of_notifications_filtered_out_no_message_attributes": 2.0,
        "number_of_notifications_redriven_to_dlq": 0.0,
        "number_of_notifications_failed_to_redrive_to_dlq": 0.0,
    }
    fan_sent = {"all": 5, "attr": 2, "body": 3}

    # a topic whose only subscription is a deleted queue (no DLQ): every publish fails
    failing_topic = f"{base}-failing"
    failing_arn = sns.create_topic(Name=failing_topic)["TopicArn"]
    gone = Q(sqs, f"{base}-gone1")
    subscribe_queue(sns, failing_arn, gone.arn)
    sqs.delete_queue(QueueUrl=gone.url)
    for i in range(2):
        sns.publish(TopicArn=failing_arn, Message=f"lost {i}")

    # a topic whose subscription to a deleted queue has a DLQ: every publish is redriven there
    redrive_topic = f"{base}-redrive"
    redrive_arn = sns.create_topic(Name=redrive_topic)["TopicArn"]
    gone2 = Q(sqs, f"{base}-gone2")
    sub_dlq = Q(sqs, f"{base}-sub-dlq")
    subscribe_queue(sns, redrive_arn, gone2.arn, RedrivePolicy={"deadLetterTargetArn": sub_dlq.arn})
    sqs.delete_queue(QueueUrl=gone2.url)
    for i in range(3):
        sns.publish(TopicArn=redrive_arn, Message=f"redriven {i}")

    # a FIFO topic feeding a FIFO queue
    fifo_topic = f"{base}-ft.fifo"
    fifo_topic_arn = sns.create_topic(Name=fifo_topic, Attributes={"FifoTopic": "true"})["TopicArn"]
    ftq = Q(sqs, f"{base}-ftq.fifo", FifoQueue="true")
    subscribe_queue(sns, fifo_topic_arn, ftq.arn)
    sns.publish(TopicArn=fifo_topic_arn, Message="ordered", MessageGroupId="g", MessageDeduplicationId="only")

    # deliveries to queues happen in the publish commit; failures and redrives may take a moment
    def settled():
        e = scrape(endpoint)
        return (sns_value(e, "number_of_notifications_failed_total", failing_topic) >= 2
                and sns_value(e, "number_of_notifications_redriven_to_dlq_total", redrive_topic) >= 3
                and sns_value(e, "number_of_notifications_delivered_total", topic) >= 10)
    wait_for(settled, timeout=15, interval=0.2, what="SNS deliveries, failures and redrives to be counted")

    return Traffic(std=std, empty=empty, fifo=fifo, src=src, dlq=dlq, fifo_groups_in_flight=len(groups),
                   topic=topic, topic_arn=topic_arn, topic_expect=topic_expect, publish_sizes=publish_sizes,
                   fan=fan, fan_sent=fan_sent, failing_topic=failing_topic, failing_publishes=2,
                   redrive_topic=redrive_topic, redrive_publishes=3, fifo_topic=fifo_topic, fifo_topic_queue=ftq)


# --------------------------------------------------------------------------
# format
# --------------------------------------------------------------------------
def test_text_format_passes_promtool(endpoint, traffic):
    r = scrape_raw(endpoint, "/metrics")
    assert r.headers["Content-Type"] == PROM_CT
    rc, problems = promtool_check_metrics(r.text)
    assert rc == 0 and problems == [], \
        f"promtool check metrics on /metrics: exit {rc}\n" + "\n".join(problems)


def test_text_format_is_strictly_valid(endpoint, traffic):
    """HELP and TYPE exactly once per family, families contiguous, no duplicate series."""
    r = scrape_raw(endpoint, "/metrics")
    expo = parse_exposition(r.text)
    assert r.text.count("\n# HELP ") + r.text.startswith("# HELP ") == len(expo.families)
    assert r.text.count("# TYPE ") == len(expo.families)
    for name, typ in EXPECTED_FAMILIES.items():
        assert expo.family(name).type == typ, f"{name}: TYPE {expo.family(name).type}, expected {typ}"
    unexpected = {f for f in set(expo.families) - set(EXPECTED_FAMILIES) if not f.startswith("lambda_")}
    assert not unexpected, f"families not in the documented list: {sorted(unexpected)}"
    # every SQS / SNS series carries exactly its resource label, region and account
    for name, fam in expo.families.items():
        for s in fam.samples:
            keys = set(s.labels) - {"le"}
            if name.startswith("sqs_"):
                assert keys == {"queue_name", "region", "account_id"}, f"{s.name}{s.labels}"
            elif name.startswith("sns_"):
                assert keys == {"topic_name", "region", "account_id"}, f"{s.name}{s.labels}"
            if name.startswith(("sqs_", "sns_")):
                assert s.labels["region"] == REGION and s.labels["account_id"] == ACCOUNT, f"{s.name}{s.labels}"


def test_no_accept_and_text_accept_give_text_format(endpoint, traffic):
    for accept in (None, "text/plain", "text/plain;version=0.0.4", "*/*"):
        r = scrape_raw(endpoint, "/metrics", accept)
        assert r.headers["Content-Type"] == PROM_CT, f"Accept {accept!r}: {r.headers['Content-Type']!r}"
        assert "# EOF" not in r.text


def test_openmetrics_negotiation(endpoint, traffic):
    for accept in ("application/openmetrics-text",
                   "application/openmetrics-text; version=1.0.0",
                   "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                   "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"):
        r = scrape_raw(endpoint, "/metrics", accept)
        assert r.headers["Content-Type"].replace(" ", "") == OPENMETRICS_CT.replace(" ", ""), \
            f"Accept {accept!r}: {r.headers['Content-Type']!r}"
        assert r.text.endswith("# EOF\n")
    om = scrape(endpoint, openmetrics=True)
    text = scrape(endpoint)
    # counters are declared without _total in OpenMetrics; their samples keep it
    for name, typ in EXPECTED_FAMILIES.items():
        om_name = name[:-len("_total")] if typ == "counter" else name
        assert om.family(om_name).type == typ
        assert om.family(om_name).help == text.family(name).help
    assert om.names() == text.names(), "the same samples in both formats"
    unit = om.family("sqs_sent_message_size_bytes").unit
    assert unit in (None, "bytes")
    # the same values for the traffic's resources (nothing changed between the scrapes but ages)
    for q in (traffic.std, traffic.fifo, traffic.dlq):
        assert counters(om, q.name) == counters(text, q.name)
        g_om, g_text = gauges(om, q.name), gauges(text, q.name)
        assert abs(g_om.pop("approximate_age_of_oldest_message") - g_text.pop("approximate_age_of_oldest_message")) <= 1
        assert g_om == g_text
    assert sns_counters(om, traffic.topic) == sns_counters(text, traffic.topic)


def test_openmetrics_le_labels_are_canonical(endpoint, traffic):
    """OpenMetrics 1.0: "le" values use the canonical rendering (Go %g, '.0' appended: 1.0, 256.0, 1e+06)."""
    om = scrape(endpoint, openmetrics=True)
    bad = sorted({(s.name, s.labels["le"]) for fam in om.families.values() for s in fam.samples
                  if "le" in s.labels and s.labels["le"] != canonical_number(float(s.labels["le"]))})
    assert not bad, "non-canonical le values (expected e.g. " + \
        ", ".join(f"{le!r}->{canonical_number(float(le))!r}" for _, le in bad[:6]) + f"): {bad[:20]}"


# --------------------------------------------------------------------------
# SQS values
# --------------------------------------------------------------------------
def test_sqs_counters_match_boto3(endpoint, traffic):
    expo = scrape(endpoint)
    for q in (traffic.std, traffic.empty, traffic.fifo):
        assert counters(expo, q.name) == q.t.counters(), q.name
    assert traffic.std.t.counters() == {
        "number_of_messages_sent": 8.0, "number_of_messages_received": 5.0, "number_of_messages_deleted": 5.0,
        "number_of_empty_receives": 0.0, "number_of_deduplicated_sent_messages": 0.0}
    assert traffic.empty.t.counters()["number_of_empty_receives"] == 4.0


def test_sqs_gauges_are_exact(endpoint, traffic):
    expo = scrape(endpoint)
    for q in (traffic.std, traffic.empty, traffic.fifo, traffic.src, traffic.dlq):
        g = gauges(expo, q.name)
        attrs = q.attrs()
        assert {k: g[k] for k in attrs} == {k: float(v) for k, v in attrs.items()}, q.name
    std = gauges(expo, traffic.std.name)
    assert (std["approximate_number_of_messages_visible"], std["approximate_number_of_messages_not_visible"],
            std["approximate_number_of_messages_delayed"]) == (2, 1, 1)
    fifo = gauges(expo, traffic.fifo.name)
    assert fifo["approximate_number_of_groups_with_inflight_messages"] == traffic.fifo_groups_in_flight
    assert std["approximate_number_of_groups_with_inflight_messages"] == 0
    empty = gauges(expo, traffic.empty.name)
    assert empty == {g: 0.0 for g in SQS_GAUGES}, "an empty queue is exported with zeros"


def test_age_of_oldest_message(endpoint, sqs):
    q = Q(sqs, uniq("m-age"))
    assert gauges(scrape(endpoint), q.name)["approximate_age_of_oldest_message"] == 0
    before = time.time()
    q.send("old")
    time.sleep(2.2)
    q.send("new")
    age = gauges(scrape(endpoint), q.name)["approximate_age_of_oldest_message"]
    elapsed = time.time() - before
    assert 2 <= age <= math.ceil(elapsed), f"age {age}s, the oldest message was sent {elapsed:.1f}s ago"
    # in flight messages are still the oldest (not deleted)
    q.receive_n(2, VisibilityTimeout=900)
    assert gauges(scrape(endpoint), q.name)["approximate_age_of_oldest_message"] >= 2
    sqs.purge_queue(QueueUrl=q.url)
    wait_for(lambda: gauges(scrape(endpoint), q.name)["approximate_age_of_oldest_message"] == 0,
             timeout=10, what="age 0 after PurgeQueue")


def test_sent_message_size_histogram(endpoint, traffic):
    expo = scrape(endpoint)
    for q in (traffic.std, traffic.fifo, traffic.dlq):
        h = histogram(expo, "sqs_sent_message_size_bytes", queue_name=q.name)
        assert h["count"] == len(q.t.sizes) == q.t.sent, q.name
        assert h["sum"] == sum(q.t.sizes), f"{q.name}: sum {h['sum']}, body bytes {q.t.sizes}"
        assert h["buckets"] == expected_buckets(h["buckets"], q.t.sizes), q.name


def test_fifo_duplicates_count_as_deduplicated_not_sent(endpoint, traffic):
    c = counters(scrape(endpoint), traffic.fifo.name)
    assert c["number_of_messages_sent"] == 5
    assert c["number_of_deduplicated_sent_messages"] == 3


def test_dlq_redrive_is_not_a_send_on_the_dlq(endpoint, traffic):
    expo = scrape(endpoint)
    assert counters(expo, traffic.dlq.name)["number_of_messages_sent"] == 1, \
        "only the manual SendMessage counts; the two maxReceiveCount moves do not"
    assert gauges(expo, traffic.dlq.name)["approximate_number_of_messages_visible"] == 3
    src = counters(expo, traffic.src.name)
    assert src == traffic.src.t.counters()
    assert src["number_of_messages_sent"] == 2 and src["number_of_messages_received"] == 2
    assert src["number_of_messages_deleted"] == 0, "a move to the DLQ is not a delete"


# --------------------------------------------------------------------------
# SNS values
# --------------------------------------------------------------------------
def test_sns_counters(endpoint, traffic):
    expo = scrape(endpoint)
    assert sns_counters(expo, traffic.topic) == traffic.topic_expect
    h = histogram(expo, "sns_publish_size_bytes", topic_name=traffic.topic)
    assert h["count"] == len(traffic.publish_sizes)
    assert h["sum"] >= sum(traffic.publish_sizes), "PublishSize covers at least the message bodies"


def test_sns_fan_out_copies_are_sends_on_each_queue(endpoint, traffic):
    expo = scrape(endpoint)
    for key, q in traffic.fan.items():
        assert counters(expo, q.name)["number_of_messages_sent"] == traffic.fan_sent[key], key
        assert gauges(expo, q.name)["approximate_number_of_messages_visible"] == traffic.fan_sent[key], key
    ft = sns_counters(expo, traffic.fifo_topic)
    assert ft["number_of_messages_published"] == 1 and ft["number_of_notifications_delivered"] == 1
    assert counters(expo, traffic.fifo_topic_queue.name)["number_of_messages_sent"] == 1


def test_sns_failures_and_dlq_redrives(endpoint, traffic):
    expo = scrape(endpoint)
    failing = sns_counters(expo, traffic.failing_topic)
    assert failing["number_of_messages_published"] == traffic.failing_publishes
    assert failing["number_of_notifications_failed"] == traffic.failing_publishes, \
        "a delivery to a deleted queue without a DLQ is a failed notification"
    assert failing["number_of_notifications_delivered"] == 0
    redrive = sns_counters(expo, traffic.redrive_topic)
    assert redrive["number_of_messages_published"] == traffic.redrive_publishes
    assert redrive["number_of_notifications_redriven_to_dlq"] == traffic.redrive_publishes
    assert redrive["number_of_notifications_failed_to_redrive_to_dlq"] == 0
    assert redrive["number_of_notifications_delivered"] == 0


def test_deleted_queue_and_topic_stop_being_exported(endpoint, sqs, sns):
    q = Q(sqs, uniq("m-gone"))
    q.send("x")
    topic = uniq("m-gone-topic")
    arn = sns.create_topic(Name=topic)["TopicArn"]
    sns.publish(TopicArn=arn, Message="x")
    expo = scrape(endpoint)
    assert expo.samples("sqs_number_of_messages_sent_total", queue_name=q.name)
    assert expo.samples("sqs_approximate_number_of_messages_visible", queue_name=q.name)
    assert expo.samples("sns_number_of_messages_published_total", topic_name=topic)
    yace = scrape(endpoint, "/metrics/cloudwatch")
    assert yace.samples("aws_sqs_number_of_messages_sent_sum", dimension_QueueName=q.name)
    assert yace.samples("aws_sns_number_of_messages_published_sum", dimension_TopicName=topic)

    sqs.delete_queue(QueueUrl=q.url)
    sns.delete_topic(TopicArn=arn)
    for path in ("/metrics", "/metrics/cloudwatch"):
        text = scrape_raw(endpoint, path).text
        assert f'"{q.name}"' not in text, f"deleted queue still exported on {path}"
        assert f'"{topic}"' not in text, f"deleted topic still exported on {path}"
    # a topic re-created with the same name starts from zero (a queue name stays blocked for 60 s)
    arn = sns.create_topic(Name=topic)["TopicArn"]
    sns.publish(TopicArn=arn, Message="y")
    assert sns_counters(scrape(endpoint), topic)["number_of_messages_published"] == 1


# --------------------------------------------------------------------------
# sluice's own families (private server: exact values)
# --------------------------------------------------------------------------
def test_request_counts_and_durations(private_server):
    srv = private_server()
    sqs = make_boto_client(srv.endpoint)
    sns_c = make_sns_client(srv.endpoint)
    before = scrape(srv.endpoint)
    url = sqs.create_queue(QueueName=uniq("m-req"))["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    with pytest.raises(Exception):
        sqs.get_queue_url(QueueName=uniq("m-missing"))
    sns_c.create_topic(Name=uniq("m-req-topic"))
    with pytest.raises(Exception):
        sns_c.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:{uniq('missing')}")
    after = scrape(srv.endpoint)

    def delta(**labels):
        return after.value("sluice_requests_total", 0.0, **labels) - before.value("sluice_requests_total", 0.0, **labels)

    assert delta(service="sqs", action="CreateQueue", outcome="success") == 1
    assert delta(service="sqs", action="SendMessage", outcome="success") == 3
    assert delta(service="sqs", action="GetQueueUrl", outcome="client_error") == 1
    assert delta(service="sns", action="CreateTopic", outcome="success") == 1
    assert delta(service="sns", action="GetTopicAttributes", outcome="client_error") == 1
    total = {svc: sum(s.value for s in after.samples("sluice_requests_total", service=svc)) for svc in ("sqs", "sns")}
    assert total == {"sqs": 5, "sns": 2}, "scrapes and /health are not API requests"
    assert {s.labels["outcome"] for s in after.samples("sluice_requests_total")} <= \
        {"success", "client_error", "server_error"}
    for svc in ("sqs", "sns"):
        # One latency histogram per service and action; together they saw every request.
        count = sum(s.value for s in after.samples("sluice_request_duration_seconds_count", service=svc))
        seconds = sum(s.value for s in after.samples("sluice_request_duration_seconds_sum", service=svc))
        assert count == total[svc]
        assert 0 < seconds < 30 * total[svc]
    h = histogram(after, "sluice_request_duration_seconds", service="sqs", action="SendMessage")
    assert h["count"] == 3


def test_process_and_storage_families(private_server):
    srv = private_server()
    sqs = make_boto_client(srv.endpoint)
    first = scrape(srv.endpoint)
    url = sqs.create_queue(QueueName=uniq("m-proc"))["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1000)
    time.sleep(1.1)
    expo = scrape(srv.endpoint)
    commits = expo.value("sluice_storage_commits_total") - first.value("sluice_storage_commits_total")
    ops = expo.value("sluice_storage_committed_operations_total") - \
        first.value("sluice_storage_committed_operations_total")
    assert 1 <= commits <= ops and ops >= 5, f"6 writes: {commits} commits carrying {ops} operations"
    files = [p for p in Path(srv.data_dir).iterdir() if p.name.startswith("sluice.db")]
    on_disk = sum(p.stat().st_size for p in files if not p.name.endswith("-shm"))
    storage = expo.value("sluice_storage_bytes")
    assert 0 < storage and 0.5 * on_disk <= storage <= 2 * on_disk + 65536, \
        f"sluice_storage_bytes {storage}, files {[(p.name, p.stat().st_size) for p in files]}"
    rss = int(Path(f"/proc/{srv.proc.pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    mem = expo.value("sluice_process_resident_memory_bytes")
    assert 0.5 * rss <= mem <= 2 * rss, f"resident memory {mem}, /proc says {rss}"
    up1 = expo.value("sluice_uptime_seconds")
    assert 1 <= up1 <= 60
    time.sleep(1.1)
    assert scrape(srv.endpoint).value("sluice_uptime_seconds") > up1
    assert expo.value("sluice_long_poll_waiters") == 0
    assert expo.value("sluice_http_delivery_backlog") == 0


def test_long_poll_waiters(private_server):
    srv = private_server()
    sqs = make_boto_client(srv.endpoint)
    url = sqs.create_queue(QueueName=uniq("m-wait"))["QueueUrl"]
    results: list[list] = []

    def poll():
        c = make_boto_client(srv.endpoint)
        results.append(c.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", []))

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(lambda: scrape(srv.endpoint).value("sluice_long_poll_waiters") == 2, timeout=5,
             what="sluice_long_poll_waiters == 2")
    sqs.send_message(QueueUrl=url, MessageBody="wake one")
    wait_for(lambda: len(results) == 1, timeout=5, what="one long poll answered")
    assert scrape(srv.endpoint).value("sluice_long_poll_waiters") == 1
    for t in threads:
        t.join(10)
    expo = scrape(srv.endpoint)
    assert expo.value("sluice_long_poll_waiters") == 0
    c = counters(expo, url.rsplit("/", 1)[1])
    assert c["number_of_messages_received"] == 1 and c["number_of_empty_receives"] == 1, \
        "the long poll that timed out is one empty receive"


def test_http_delivery_backlog(private_server, receiver):
    srv = private_server()
    sns_c = make_sns_client(srv.endpoint)
    arn = sns_c.create_topic(Name=uniq("m-http"))["TopicArn"]
    slow_retry = {"healthyRetryPolicy": dict(FAST_RETRY_POLICY["healthyRetryPolicy"], minDelayTarget=20,
                                             maxDelayTarget=20, numRetries=1)}
    sns_c.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url(),
                    Attributes={"DeliveryPolicy": json.dumps(slow_retry)})
    confirm_http_subscription(receiver, arn)
    receiver.responder = lambda req: 500 if req.type == "Notification" else 200
    sns_c.publish(TopicArn=arn, Message="retry me later")
    receiver.wait_type("Notification", 1, timeout=10)
    time.sleep(0.5)
    assert scrape(srv.endpoint).value("sluice_http_delivery_backlog") == 1, \
        "one notification waits for its retry (20 s)"


def test_http_failed_attempts_each_count(endpoint, sns, receiver):
    """AWS: for HTTP/S endpoints NumberOfNotificationsFailed counts every failed attempt, retries included."""
    topic = uniq("m-http-fail")
    arn = sns.create_topic(Name=topic)["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=receiver.url(),
                  Attributes={"DeliveryPolicy": json.dumps(FAST_RETRY_POLICY)})  # 1 try + 2 retries, 1 s apart
    confirm_http_subscription(receiver, arn)
    receiver.responder = lambda req: 500 if req.type == "Notification" else 200
    sns.publish(TopicArn=arn, Message="never accepted")
    receiver.wait_type("Notification", 3, timeout=15)
    time.sleep(0.5)
    c = sns_counters(scrape(endpoint), topic)
    assert (c["number_of_notifications_failed"], c["number_of_notifications_delivered"]) == (3, 0), \
        f"3 failed attempts, nothing delivered: {c}"


# --------------------------------------------------------------------------
# /metrics/cloudwatch (YACE names)
# --------------------------------------------------------------------------
YACE_ALLOWED_LINT = [
    # YACE's label names are dimension_<CloudWatch dimension>, e.g. dimension_QueueName
    re.compile(r"^aws_(sqs|sns)_[a-z0-9_]+ label names should be written in 'snake_case' not 'camelCase'$"),
    # YACE's statistics suffixes on gauges: _sum, _sample_count
    re.compile(r'^aws_(sqs|sns)_[a-z0-9_]+_(sum|sample_count) non-histogram and non-summary metrics should not '
               r'have "_(sum|count)" suffix$'),
]


def yace_labels(kind: str, name: str) -> dict[str, str]:
    dim = "QueueName" if kind == "sqs" else "TopicName"
    return {"account_id": ACCOUNT, f"dimension_{dim}": name, "name": f"arn:aws:{kind}:{REGION}:{ACCOUNT}:{name}",
            "region": REGION}


def test_cloudwatch_path_passes_promtool(endpoint, traffic):
    r = scrape_raw(endpoint, "/metrics/cloudwatch")
    assert r.headers["Content-Type"] == PROM_CT
    rc, problems = promtool_check_metrics(r.text)
    other = [p for p in problems if not any(rx.match(p) for rx in YACE_ALLOWED_LINT)]
    assert rc in (0, 3) and not other, (
        f"promtool check metrics on /metrics/cloudwatch: exit {rc}; problems beyond YACE's naming:\n"
        + "\n".join(other))
    expo = parse_exposition(r.text)
    assert all(f.type == "gauge" for f in expo.families.values()), "YACE exports every statistic as a gauge"
    # the Accept header does not change this path
    r2 = scrape_raw(endpoint, "/metrics/cloudwatch", "application/openmetrics-text; version=1.0.0")
    assert r2.headers["Content-Type"] == PROM_CT


def test_cloudwatch_names_labels_and_gauges(endpoint, traffic):
    yace = scrape(endpoint, "/metrics/cloudwatch")
    native = scrape(endpoint)
    for q in (traffic.std, traffic.fifo, traffic.dlq):
        labels = yace_labels("sqs", q.name)
        for c in SQS_COUNTERS:
            [s] = yace.samples(f"aws_sqs_{c}_sum", dimension_QueueName=q.name)
            assert s.labels == labels
            assert 0 <= s.value <= counters(native, q.name)[c], f"{s.name}: last minute within the total"
        for g in SQS_GAUGES:
            want = sqs_value(native, g, q.name)
            for stat in ("average", "maximum", "minimum", "sum"):
                [s] = yace.samples(f"aws_sqs_{g}_{stat}", dimension_QueueName=q.name)
                assert s.labels == labels
                if g == "approximate_age_of_oldest_message":
                    assert abs(s.value - want) <= 1
                else:
                    assert s.value == want, f"{s.name}{s.labels}: {s.value}, /metrics says {want}"
        for stat in ("average", "maximum", "minimum", "sum", "sample_count"):
            [s] = yace.samples(f"aws_sqs_sent_message_size_{stat}", dimension_QueueName=q.name)
            assert s.labels == labels
    labels = yace_labels("sns", traffic.topic)
    for c in SNS_COUNTERS:
        [s] = yace.samples(f"aws_sns_{c}_sum", dimension_TopicName=traffic.topic)
        assert s.labels == labels
        assert 0 <= s.value <= traffic.topic_expect[c]
    for stat in ("average", "maximum", "minimum", "sum", "sample_count"):
        [s] = yace.samples(f"aws_sns_publish_size_{stat}", dimension_TopicName=traffic.topic)
        assert s.labels == labels
    for fam in yace.families.values():
        assert fam.name.startswith(("aws_sqs_", "aws_sns_", "aws_lambda_")), fam.name
        assert "CloudWatch metric AWS/" in fam.help, f"{fam.name}: HELP {fam.help!r}"


def _minute() -> int:
    return int(time.time() // 60)


def test_cloudwatch_sums_cover_the_last_completed_minute(endpoint, sqs):
    """Counter-like statistics hold the increase during the last completed wall-clock minute (CloudWatch's 60 s Sum).

    The events happen within one minute M. A scrape during M sees 0; a scrape during M+1 sees all of them. When the
    next minute starts within 10 s, the test waits for it and checks the full values too.
    """
    if 60 - time.time() % 60 < 3:
        time.sleep(60 - time.time() % 60 + 0.2)
    q = Q(sqs, uniq("m-minute"))
    m = _minute()
    for body in ("a" * 10, "b" * 20, "c" * 30):
        q.send(body)
    got = q.receive_n(3, VisibilityTimeout=900)
    q.delete(got[0]["ReceiptHandle"])
    assert q.receive(WaitTimeSeconds=0) == []
    assert _minute() == m, "the events took longer than expected"

    full = q.t.counters()
    assert full["number_of_messages_sent"] == 3 and full["number_of_empty_receives"] >= 1
    size_full = {"sample_count": 3.0, "sum": 60.0, "maximum": 30.0, "minimum": 10.0, "average": 20.0}

    def check():
        now = _minute()
        yace = scrape(endpoint, "/metrics/cloudwatch")
        assert _minute() == now, "scrape crossed a minute boundary"
        on = now == m + 1
        sums = {c: yace.value(f"aws_sqs_{c}_sum", None, dimension_QueueName=q.name) for c in SQS_COUNTERS}
        assert sums == (full if on else {c: 0.0 for c in full}), f"minute offset {now - m}: {sums}"
        sizes = {st: yace.value(f"aws_sqs_sent_message_size_{st}", None, dimension_QueueName=q.name)
                 for st in size_full}
        assert sizes == (size_full if on else {st: 0.0 for st in size_full}), f"minute offset {now - m}: {sizes}"
        return on

    checked_full = check()
    wait = 60 - time.time() % 60
    if not checked_full and _minute() == m and wait <= 10:
        time.sleep(wait + 0.3)
        assert check()


# --------------------------------------------------------------------------
# examples/prometheus
# --------------------------------------------------------------------------
def test_example_prometheus_config_and_rules_are_valid():
    p = promtool("check", "config", "prometheus.yml", cwd=EXAMPLES)
    assert p.returncode == 0, p.stdout + p.stderr
    p = promtool("check", "rules", "alerts.yml", cwd=EXAMPLES)
    assert p.returncode == 0 and "SUCCESS" in p.stdout, p.stdout + p.stderr
    p = promtool("test", "rules", "alerts_test.yml", cwd=EXAMPLES)
    assert p.returncode == 0, p.stdout + p.stderr


METRIC_RE = re.compile(r"\b((?:sqs|sns|sluice|lambda|aws_sqs|aws_sns)_[a-z0-9_]+)\b")


def _exported(name: str, native: Exposition, yace: Exposition) -> bool:
    names = native.names() | set(native.families) | yace.names()
    return name in names


def test_example_rules_and_dashboard_use_exported_families(endpoint, traffic):
    native = scrape(endpoint)
    yace = scrape(endpoint, "/metrics/cloudwatch")
    import yaml  # PyYAML comes with awscli (Tests/requirements.txt)
    rules = yaml.safe_load((EXAMPLES / "alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dash = json.loads((EXAMPLES / "grafana-dashboard.json").read_text())
    panels = [p for p in dash["panels"]] + [p for row in dash["panels"] for p in row.get("panels", [])]
    exprs += [t["expr"] for p in panels for t in p.get("targets", [])]
    exprs += [v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
              for v in dash["templating"]["list"] if v["type"] == "query"]
    used = {m for e in exprs for m in METRIC_RE.findall(e)}
    assert used, "no metric names found"
    missing = sorted(n for n in used if not n.startswith("lambda_") and not _exported(n, native, yace))
    assert not missing, f"examples use metric names sluice does not export: {missing}"


def test_example_grafana_dashboard_is_well_formed():
    dash = json.loads((EXAMPLES / "grafana-dashboard.json").read_text())
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    ds = [v for v in variables.values() if v["type"] == "datasource"]
    assert len(ds) == 1 and ds[0]["query"] == "prometheus", "one Prometheus datasource variable"
    ds_ref = "${" + ds[0]["name"] + "}"
    rows = [p for p in dash["panels"] if p["type"] == "row"]
    assert [r["title"] for r in rows][:3] == ["Queues", "Topics", "Functions"]
    ids = []
    for p in dash["panels"]:
        ids.append(p["id"])
        for sub in p.get("panels", []):
            ids.append(sub["id"])
        if p["type"] not in ("row", "text"):
            assert p["datasource"]["uid"] == ds_ref, p["title"]
            assert p["targets"] and all(t["datasource"]["uid"] == ds_ref for t in p["targets"]), p["title"]
            assert set(p["gridPos"]) == {"h", "w", "x", "y"} and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for v in variables.values():
        if v["type"] == "query":
            assert v["datasource"]["uid"] == ds_ref, v["name"]
