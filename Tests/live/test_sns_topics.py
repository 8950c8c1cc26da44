"""SNS topics: CreateTopic/DeleteTopic/ListTopics, topic attributes, tags, permissions,
unsupported actions and the raw Query wire format (sns.md sections 1-3, wire-protocols.md 4-5)."""

from __future__ import annotations

import json

import pytest
import requests

from helpers import ACCOUNT, REGION
from sns_helpers import (  # noqa: F401  (fixtures)
    DEFAULT_EFFECTIVE_DELIVERY_POLICY,
    SNS_NS,
    default_topic_policy,
    expect_sns_error,
    new_queue,
    sns,
    sns_query,
    subscribe_queue,
    topic,
    topic_arn_for,
    uniq,
)

STANDARD_TOPIC_KEYS = {"DisplayName", "EffectiveDeliveryPolicy", "Owner", "Policy", "SubscriptionsConfirmed",
                       "SubscriptionsDeleted", "SubscriptionsPending", "TopicArn"}


# ---------------------------------------------------------------- CreateTopic
def test_create_topic_arn_and_idempotency(sns):
    name = uniq("ct")
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn, "CreateTopic is idempotent"

    name2 = uniq("ct")
    arn2 = sns.create_topic(Name=name2, Attributes={"DisplayName": "one"})["TopicArn"]
    assert sns.create_topic(Name=name2, Attributes={"DisplayName": "one"})["TopicArn"] == arn2
    expect_sns_error(lambda: sns.create_topic(Name=name2, Attributes={"DisplayName": "two"}),
                     "InvalidParameter", 400,
                     "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
    assert sns.get_topic_attributes(TopicArn=arn2)["Attributes"]["DisplayName"] == "one"


def test_create_topic_with_tags_and_different_tags(sns):
    name = uniq("ctt")
    arn = sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "core"}])["TopicArn"]
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "core"}]
    assert sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "core"}])["TopicArn"] == arn
    expect_sns_error(lambda: sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "other"}]),
                     "InvalidParameter", 400,
                     "Invalid parameter: Tags Reason: Topic already exists with different tags")


@pytest.mark.parametrize("name", ["", "has space", "a" * 257, "dot.name", "slash/x", "ümlaut"],
                         ids=["empty", "space", "257-chars", "dot", "slash", "non-ascii"])
def test_create_topic_invalid_name(sns, name):
    expect_sns_error(lambda: sns.create_topic(Name=name), "InvalidParameter", 400,
                     "Invalid parameter: Topic Name")


def test_create_topic_name_limits_accepted(sns):
    long_name = ("L" + uniq("x").replace("-", "_")) .ljust(256, "z")
    assert len(long_name) == 256
    assert sns.create_topic(Name=long_name)["TopicArn"].endswith(":" + long_name)
    name = "A-b_9" + uniq("")
    assert sns.create_topic(Name=name)["TopicArn"].endswith(":" + name)


def test_fifo_topic_name_rules(sns):
    base = uniq("ff")
    expect_sns_error(lambda: sns.create_topic(Name=base, Attributes={"FifoTopic": "true"}),
                     "InvalidParameter", 400)
    expect_sns_error(lambda: sns.create_topic(Name=base + ".fifo"), "InvalidParameter", 400)
    arn = sns.create_topic(Name=base + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert arn == topic_arn_for(base + ".fifo")


# ------------------------------------------------------------ topic attributes
def test_get_topic_attributes_defaults(sns):
    name = uniq("ga")
    arn = sns.create_topic(Name=name)["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert set(attrs) == STANDARD_TOPIC_KEYS, f"unexpected attribute set {sorted(attrs)}"
    assert attrs["DisplayName"] == ""
    assert attrs["Owner"] == ACCOUNT
    assert attrs["TopicArn"] == arn
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"], attrs["SubscriptionsDeleted"]) == \
        ("0", "0", "0")
    assert json.loads(attrs["Policy"]) == default_topic_policy(arn)
    assert json.loads(attrs["EffectiveDeliveryPolicy"]) == DEFAULT_EFFECTIVE_DELIVERY_POLICY


def test_get_fifo_topic_attributes_defaults(sns):
    arn = sns.create_topic(Name=uniq("gaf") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert STANDARD_TOPIC_KEYS <= set(attrs)
    assert attrs["FifoTopic"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert set(attrs) - STANDARD_TOPIC_KEYS <= {"FifoTopic", "ContentBasedDeduplication", "FifoThroughputScope",
                                                "ArchivePolicy", "BeginningArchiveTime"}
    if "FifoThroughputScope" in attrs:
        assert attrs["FifoThroughputScope"] == "Topic"


def test_create_topic_with_attributes(sns):
    dp = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 10, "numRetries": 4,
                                                 "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                                 "numMinDelayRetries": 0, "backoffFunction": "linear"}}}
    arn = sns.create_topic(Name=uniq("cta"), Attributes={
        "DisplayName": "Orders", "SignatureVersion": "2", "TracingConfig": "Active",
        "DeliveryPolicy": json.dumps(dp)})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Orders"
    assert attrs["SignatureVersion"] == "2"
    assert attrs["TracingConfig"] == "Active"
    assert json.loads(attrs["DeliveryPolicy"]) == dp
    eff = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert eff["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 4
    assert eff["http"]["defaultHealthyRetryPolicy"]["minDelayTarget"] == 5


def test_set_topic_attributes(sns, topic):
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Shown")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="TracingConfig", AttributeValue="PassThrough")
    policy = {"Version": "2012-10-17", "Id": "custom", "Statement": [{
        "Sid": "only-publish", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish",
        "Resource": topic}]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["DisplayName"] == "Shown"
    assert attrs["SignatureVersion"] == "2"
    assert attrs["TracingConfig"] == "PassThrough"
    assert json.loads(attrs["Policy"]) == policy

    dp = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 7,
                                                 "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                                 "numMinDelayRetries": 0, "backoffFunction": "linear"},
                   "disableSubscriptionOverrides": False}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(dp))
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert json.loads(attrs["DeliveryPolicy"]) == dp
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 7


@pytest.mark.parametrize("name,value", [
    ("SignatureVersion", "3"),
    ("TracingConfig", "Sometimes"),
    ("NoSuchAttribute", "x"),
    ("DeliveryPolicy", "{not json"),
    ("Policy", "{not json"),
])
def test_set_topic_attributes_invalid(sns, topic, name, value):
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName=name, AttributeValue=value),
                     "InvalidParameter", 400)


def test_set_unknown_topic_attribute_message(sns, topic):
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="Bogus", AttributeValue="x"),
                     "InvalidParameter", 400, "Invalid parameter: AttributeName")


def test_fifo_only_attributes(sns, topic):
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="ContentBasedDeduplication",
                                                      AttributeValue="true"), "InvalidParameter", 400)
    farn = sns.create_topic(Name=uniq("fa") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.set_topic_attributes(TopicArn=farn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    sns.set_topic_attributes(TopicArn=farn, AttributeName="FifoThroughputScope", AttributeValue="MessageGroup")
    attrs = sns.get_topic_attributes(TopicArn=farn)["Attributes"]
    assert attrs["ContentBasedDeduplication"] == "true"
    assert attrs["FifoThroughputScope"] == "MessageGroup"
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=farn, AttributeName="FifoThroughputScope",
                                                      AttributeValue="Everything"), "InvalidParameter", 400)


def test_topic_not_found_and_bad_arn(sns):
    missing = topic_arn_for(uniq("missing"))
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn=missing), "NotFound", 404, "Topic does not exist")
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=missing, AttributeName="DisplayName",
                                                      AttributeValue="x"), "NotFound", 404, "Topic does not exist")
    expect_sns_error(lambda: sns.list_subscriptions_by_topic(TopicArn=missing), "NotFound", 404,
                     "Topic does not exist")
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn="foo"), "InvalidParameter", 400,
                     "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")


# ---------------------------------------------------------------- DeleteTopic
def test_delete_topic_is_idempotent_and_removes_subscriptions(sns, sqs):
    name = uniq("dt")
    arn = sns.create_topic(Name=name)["TopicArn"]
    _, qarn = new_queue(sqs)
    sub = subscribe_queue(sns, arn, qarn)
    sns.delete_topic(TopicArn=arn)
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn=arn), "NotFound", 404)
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=sub), "NotFound", 404,
                     "Subscription does not exist")
    subs = _all_subscriptions(sns)
    assert sub not in [s["SubscriptionArn"] for s in subs]
    assert arn not in _all_topics(sns)
    # deleting again (or a topic that never existed) succeeds
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=topic_arn_for(uniq("never")))
    # re-creating gives a fresh topic without subscriptions
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []


def _all_topics(sns) -> list[str]:
    out, token = [], None
    for _ in range(1000):
        kw = {"NextToken": token} if token else {}
        page = sns.list_topics(**kw)
        assert len(page.get("Topics", [])) <= 100
        out += [t["TopicArn"] for t in page.get("Topics", [])]
        token = page.get("NextToken")
        if not token:
            return out
    raise AssertionError("ListTopics never stopped paging")


def _all_subscriptions(sns) -> list[dict]:
    out, token = [], None
    for _ in range(1000):
        kw = {"NextToken": token} if token else {}
        page = sns.list_subscriptions(**kw)
        assert len(page.get("Subscriptions", [])) <= 100
        out += page.get("Subscriptions", [])
        token = page.get("NextToken")
        if not token:
            return out
    raise AssertionError("ListSubscriptions never stopped paging")


# ----------------------------------------------------------------- ListTopics
def test_list_topics_pages_of_100(sns):
    prefix = uniq("lt")
    mine = {sns.create_topic(Name=f"{prefix}-{i:03d}")["TopicArn"] for i in range(105)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100, "more than 100 topics exist: the first page holds exactly 100"
    assert first.get("NextToken"), "a NextToken follows a full page"
    everything = _all_topics(sns)
    assert len(everything) == len(set(everything)), "paging returned a topic twice"
    assert mine <= set(everything)
    for t in first["Topics"]:
        assert set(t) == {"TopicArn"}


# ------------------------------------------------------------------------ tags
def test_tag_untag_list(sns, topic):
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "b", "Value": "3"}, {"Key": "c", "Value": ""}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags == {"a": "1", "b": "3", "c": ""}
    sns.untag_resource(ResourceArn=topic, TagKeys=["a", "nope"])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags == {"b": "3", "c": ""}


def test_tag_errors(sns, topic):
    missing = topic_arn_for(uniq("missing"))
    expect_sns_error(lambda: sns.list_tags_for_resource(ResourceArn=missing), "ResourceNotFound", 404)
    expect_sns_error(lambda: sns.tag_resource(ResourceArn=missing, Tags=[{"Key": "k", "Value": "v"}]),
                     "ResourceNotFound", 404)
    expect_sns_error(lambda: sns.untag_resource(ResourceArn=missing, TagKeys=["k"]), "ResourceNotFound", 404)
    expect_sns_error(lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "k", "Value": "1"},
                                                                      {"Key": "k", "Value": "2"}]),
                     "InvalidParameter", 400, "Invalid parameter: Duplicated keys are not allowed.")
    expect_sns_error(lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": f"k{i}", "Value": "v"}
                                                                      for i in range(51)]),
                     "TagLimitExceeded", 400)


# ----------------------------------------------------------------- permissions
def _statements(sns, arn) -> dict[str, dict]:
    pol = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    return {s.get("Sid"): s for s in pol["Statement"]}


def _as_list(v):
    return v if isinstance(v, list) else [v]


def test_add_remove_permission(sns, topic):
    sns.add_permission(TopicArn=topic, Label="let-them-publish", AWSAccountId=["111122223333", "444455556666"],
                       ActionName=["Publish", "Subscribe"])
    st = _statements(sns, topic)
    assert "__default_statement_ID" in st, "AddPermission keeps the default statement"
    s = st["let-them-publish"]
    assert s["Effect"] == "Allow"
    assert s["Resource"] == topic
    assert sorted(_as_list(s["Principal"]["AWS"])) == ["arn:aws:iam::111122223333:root",
                                                       "arn:aws:iam::444455556666:root"]
    assert sorted(_as_list(s["Action"])) == ["SNS:Publish", "SNS:Subscribe"]

    expect_sns_error(lambda: sns.add_permission(TopicArn=topic, Label="let-them-publish",
                                                AWSAccountId=["111122223333"], ActionName=["Publish"]),
                     "InvalidParameter", 400, contains="Statement already exists")
    expect_sns_error(lambda: sns.add_permission(TopicArn=topic, Label="bad-action", AWSAccountId=["111122223333"],
                                                ActionName=["SendMessage"]),
                     "InvalidParameter", 400, contains="Policy statement action out of service scope!")
    sns.remove_permission(TopicArn=topic, Label="let-them-publish")
    st = _statements(sns, topic)
    assert set(st) == {"__default_statement_ID"}
    missing = topic_arn_for(uniq("missing"))
    expect_sns_error(lambda: sns.add_permission(TopicArn=missing, Label="x", AWSAccountId=["111122223333"],
                                                ActionName=["Publish"]), "NotFound", 404)


# ------------------------------------------------------ unsupported operations
@pytest.mark.parametrize("call", [
    lambda c: c.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "x"}),
    lambda c: c.list_platform_applications(),
    lambda c: c.create_platform_endpoint(PlatformApplicationArn="arn:aws:sns:us-east-1:000000000000:app/GCM/app",
                                         Token="t"),
    lambda c: c.get_sms_attributes(),
    lambda c: c.set_sms_attributes(attributes={"DefaultSMSType": "Promotional"}),
    lambda c: c.check_if_phone_number_is_opted_out(phoneNumber="+15555550100"),
    lambda c: c.list_phone_numbers_opted_out(),
    lambda c: c.get_sms_sandbox_account_status(),
    lambda c: c.list_origination_numbers(),
    lambda c: c.get_data_protection_policy(ResourceArn="arn:aws:sns:us-east-1:000000000000:x"),
], ids=["CreatePlatformApplication", "ListPlatformApplications", "CreatePlatformEndpoint", "GetSMSAttributes",
        "SetSMSAttributes", "CheckIfPhoneNumberIsOptedOut", "ListPhoneNumbersOptedOut",
        "GetSMSSandboxAccountStatus", "ListOriginationNumbers", "GetDataProtectionPolicy"])
def test_unsupported_actions(sns, call):
    expect_sns_error(lambda: call(sns), "InvalidAction", 400, contains="sluice does not support")


def test_unknown_action(endpoint):
    qr = sns_query(endpoint, "NoSuchSnsAction")
    assert qr.status == 400, qr.text
    assert qr.error()["Code"] == "InvalidAction"


# ------------------------------------------------------------------------ wire
def test_query_wire_format(endpoint):
    name = uniq("wire")
    qr = sns_query(endpoint, "CreateTopic", [("Name", name), ("Attributes.entry.1.key", "DisplayName"),
                                             ("Attributes.entry.1.value", "Wired"),
                                             ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v")])
    assert qr.status == 200, qr.text
    assert "xml" in qr.headers.get("Content-Type", "")
    assert qr.ns == SNS_NS
    assert qr.root.tag == "CreateTopicResponse"
    arn = qr.findtext("CreateTopicResult/TopicArn")
    assert arn == topic_arn_for(name)
    assert qr.findtext("ResponseMetadata/RequestId")

    qr = sns_query(endpoint, "GetTopicAttributes", {"TopicArn": arn})
    assert qr.status == 200 and qr.root.tag == "GetTopicAttributesResponse", qr.text
    entries = {e.findtext("key"): e.findtext("value") for e in qr.root.findall("GetTopicAttributesResult/Attributes/entry")}
    assert entries["DisplayName"] == "Wired"
    assert entries["TopicArn"] == arn

    qr = sns_query(endpoint, "ListTagsForResource", {"ResourceArn": arn})
    assert [(m.findtext("Key"), m.findtext("Value"))
            for m in qr.root.findall("ListTagsForResourceResult/Tags/member")] == [("k", "v")]

    qr = sns_query(endpoint, "ListTopics")
    assert qr.root.findall("ListTopicsResult/Topics/member/TopicArn"), qr.text[:500]

    qr = sns_query(endpoint, "GetTopicAttributes", {"TopicArn": topic_arn_for(uniq("gone"))})
    assert qr.status == 404
    assert qr.root.tag == "ErrorResponse", qr.text
    assert qr.error() == {"Type": "Sender", "Code": "NotFound", "Message": "Topic does not exist"}
    assert qr.findtext("RequestId")


def test_unsigned_query_routes_by_version(endpoint):
    """No SigV4 scope: Version=2010-03-31 selects SNS (wire-protocols.md section 5)."""
    name = uniq("unsigned")
    qr = sns_query(endpoint, "CreateTopic", {"Name": name}, sign=False)
    assert qr.status == 200, qr.text
    assert qr.ns == SNS_NS
    assert qr.findtext("CreateTopicResult/TopicArn") == topic_arn_for(name)


def test_shared_action_names_routed_by_scope(endpoint, sns, topic):
    """AddPermission exists in SQS and SNS: the SigV4 scope 'sns' selects SNS."""
    qr = sns_query(endpoint, "AddPermission", [("TopicArn", topic), ("Label", "scoped"),
                                               ("AWSAccountId.member.1", "111122223333"),
                                               ("ActionName.member.1", "Publish")])
    assert qr.status == 200, qr.text
    assert qr.ns == SNS_NS and qr.root.tag == "AddPermissionResponse"
    assert "scoped" in _statements(sns, topic)
    qr = sns_query(endpoint, "RemovePermission", {"TopicArn": topic, "Label": "scoped"})
    assert qr.status == 200, qr.text
    assert "scoped" not in _statements(sns, topic)


def test_sns_and_sqs_share_the_port(endpoint, sns, sqs):
    assert sns.meta.endpoint_url == sqs.meta.endpoint_url == endpoint
    assert requests.get(endpoint + "/health", timeout=5).status_code == 200


def test_empty_result_wrappers(endpoint, topic):
    """Operations whose output shape is empty but has a resultWrapper (TagResource, UntagResource) answer
    ``<XResponse><XResult/><ResponseMetadata/></XResponse>`` -- botocore's query parser looks the
    ``<XResult>`` element up and raises KeyError without it."""
    for action, params in [("TagResource", [("ResourceArn", topic), ("Tags.member.1.Key", "k"),
                                            ("Tags.member.1.Value", "v")]),
                           ("UntagResource", [("ResourceArn", topic), ("TagKeys.member.1", "k")])]:
        qr = sns_query(endpoint, action, params)
        assert qr.status == 200, qr.text
        assert qr.find(f"{action}Result") is not None, f"{action}: missing <{action}Result/>: {qr.text}"
        assert qr.findtext("ResponseMetadata/RequestId")
