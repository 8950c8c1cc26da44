"""Queue management over JSON (boto3) and Query: CreateQueue, GetQueueUrl,
ListQueues, DeleteQueue, Get/SetQueueAttributes, tags (sqs.md sections 1, 3, 4, 9)."""

from __future__ import annotations

import time

import pytest

from helpers import (
    ACCOUNT,
    NONEXISTENT_QUEUE_MSG,
    REGION,
    expect_error,
    queue_attrs,
    uniq,
)

STANDARD_ALL = {
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp", "DelaySeconds",
    "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod", "QueueArn",
    "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout",
}
FIFO_EXTRA = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}


def expected_url(api, name: str) -> str:
    return f"{api.endpoint}/{ACCOUNT}/{name}"


# --------------------------------------------------------------------------- CreateQueue
def test_create_queue_returns_url_from_host_header(api):
    name = uniq("create")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    assert url == expected_url(api, name)


def test_create_queue_is_idempotent_with_identical_attributes(api):
    name = uniq("idem")
    attrs = {"DelaySeconds": "5", "VisibilityTimeout": "45"}
    url1 = api.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    url2 = api.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    assert url1 == url2
    # no attributes at all, twice
    name2 = uniq("idem2")
    assert api.create_queue(QueueName=name2)["QueueUrl"] == api.create_queue(QueueName=name2)["QueueUrl"]


def test_create_queue_explicit_default_value_is_identical(api):
    name = uniq("idemdef")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    assert api.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"] == url
    expect_error(api, "QueueNameExists",
                 lambda: api.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "31"}))


def test_create_queue_with_different_attribute_is_queue_name_exists(api):
    name = uniq("exists")
    api.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})
    err = expect_error(api, "QueueNameExists",
                       lambda: api.create_queue(QueueName=name, Attributes={"DelaySeconds": "6"}))
    assert err["Message"].startswith("A queue already exists with the same name and a different value for attribute")
    assert "DelaySeconds" in err["Message"]
    # the existing queue is untouched
    url = api.get_queue_url(QueueName=name)["QueueUrl"]
    assert queue_attrs(api, url, "DelaySeconds") == {"DelaySeconds": "5"}


def test_create_queue_names_are_case_sensitive(api):
    base = uniq("Case")
    u1 = api.create_queue(QueueName=base)["QueueUrl"]
    u2 = api.create_queue(QueueName=base.lower())["QueueUrl"]
    assert u1 != u2
    assert u1.endswith("/" + base) and u2.endswith("/" + base.lower())


@pytest.mark.parametrize("bad", [
    "has space",
    "bang!",
    "dot.name",
    "slash/name",
    "x" * 81,
    "ünïcode",
])
def test_create_queue_rejects_invalid_names(api, bad):
    expect_error(api, "InvalidParameterValueException", lambda: api.create_queue(QueueName=bad))


def test_create_queue_empty_name_rejected(api):
    try:
        api.create_queue(QueueName="")
    except Exception as e:  # noqa: BLE001
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.response["Error"]["Code"] in ("InvalidParameterValue", "MissingParameter"), e.response["Error"]
    else:
        raise AssertionError("CreateQueue with an empty name must fail")


def test_create_queue_accepts_80_char_names(api):
    name = ("n-" + uniq("")[1:] + "_" * 80)[:80]
    assert len(name) == 80
    url = api.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith("/" + name)
    fifo = (uniq("f").replace("-", "_") + "x" * 80)[:75] + ".fifo"
    assert len(fifo) == 80
    url = api.create_queue(QueueName=fifo, Attributes={"FifoQueue": "true"})["QueueUrl"]
    assert url.endswith("/" + fifo)


def test_create_queue_81_char_fifo_name_rejected(api):
    fifo = (uniq("f") + "x" * 80)[:76] + ".fifo"
    assert len(fifo) == 81
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.create_queue(QueueName=fifo, Attributes={"FifoQueue": "true"}))


def test_fifo_name_without_fifo_attribute_rejected(api):
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.create_queue(QueueName=uniq("nofifoattr") + ".fifo"))


def test_fifo_attribute_without_fifo_suffix_rejected(api):
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.create_queue(QueueName=uniq("nosuffix"), Attributes={"FifoQueue": "true"}))


def test_create_standard_queue_with_fifo_only_attributes_rejected(api):
    expect_error(api, "InvalidAttributeName",
                 lambda: api.create_queue(QueueName=uniq("std"), Attributes={"ContentBasedDeduplication": "true"}),
                 message="Unknown Attribute ContentBasedDeduplication.")
    expect_error(api, "InvalidAttributeName",
                 lambda: api.create_queue(QueueName=uniq("std"), Attributes={"DeduplicationScope": "messageGroup"}),
                 message="You can specify the DeduplicationScope only when FifoQueue is set to true.")


def test_create_queue_unknown_attribute_rejected(api):
    expect_error(api, "InvalidAttributeName",
                 lambda: api.create_queue(QueueName=uniq("unk"), Attributes={"NoSuchAttribute": "1"}))


# --------------------------------------------------------------------------- attributes
def test_default_attributes_all_standard(api):
    name = uniq("defaults")
    before = int(time.time())
    url = api.create_queue(QueueName=name)["QueueUrl"]
    after = int(time.time())
    attrs = queue_attrs(api, url, "All")
    assert set(attrs) == STANDARD_ALL, f"unexpected set: extra={set(attrs) - STANDARD_ALL} missing={STANDARD_ALL - set(attrs)}"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["SqsManagedSseEnabled"] == "true"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    for ts in ("CreatedTimestamp", "LastModifiedTimestamp"):
        v = int(attrs[ts])  # epoch SECONDS
        assert before - 2 <= v <= after + 2, f"{ts}={attrs[ts]} is not epoch seconds near now"


def test_default_attributes_all_fifo(api):
    name = uniq("defaults") + ".fifo"
    url = api.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    attrs = queue_attrs(api, url, "All")
    missing = (STANDARD_ALL | FIFO_EXTRA) - set(attrs)
    assert not missing, f"missing FIFO attributes {missing}"
    assert not {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"} & set(attrs)
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_get_queue_attributes_without_names_returns_no_attributes(api):
    url = api.create_queue(QueueName=uniq("noattrs"))["QueueUrl"]
    resp = api.get_queue_attributes(QueueUrl=url)
    assert "Attributes" not in resp


def test_get_queue_attributes_selected_names_only(api):
    url = api.create_queue(QueueName=uniq("sel"), Attributes={"VisibilityTimeout": "17"})["QueueUrl"]
    attrs = queue_attrs(api, url, "VisibilityTimeout", "DelaySeconds")
    assert attrs == {"VisibilityTimeout": "17", "DelaySeconds": "0"}
    # standard queue: FifoQueue is not an attribute that applies
    assert "FifoQueue" not in queue_attrs(api, url, "All")


def test_get_queue_attributes_unknown_name(api):
    url = api.create_queue(QueueName=uniq("unkname"))["QueueUrl"]
    expect_error(api, "InvalidAttributeName",
                 lambda: api.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchAttribute"]))


def test_create_queue_with_attributes_and_set_queue_attributes(api):
    attrs = {
        "DelaySeconds": "3",
        "MaximumMessageSize": "2048",
        "MessageRetentionPeriod": "600",
        "ReceiveMessageWaitTimeSeconds": "2",
        "VisibilityTimeout": "40",
    }
    url = api.create_queue(QueueName=uniq("withattrs"), Attributes=attrs)["QueueUrl"]
    got = queue_attrs(api, url, "All")
    for k, v in attrs.items():
        assert got[k] == v, k
    new = {
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "0",
    }
    assert "Attributes" not in api.set_queue_attributes(QueueUrl=url, Attributes=new)
    got = queue_attrs(api, url, *new)
    assert got == new


BOUNDARIES = [
    # name, valid min, valid max, invalid values
    ("DelaySeconds", "0", "900", ["-1", "901", "abc"]),
    ("MaximumMessageSize", "1024", "1048576", ["1023", "1048577", "abc"]),
    ("MessageRetentionPeriod", "60", "1209600", ["59", "1209601", "x"]),
    ("ReceiveMessageWaitTimeSeconds", "0", "20", ["-1", "21", "1.5"]),
    ("VisibilityTimeout", "0", "43200", ["-1", "43201", "ten"]),
]


@pytest.mark.parametrize("attr,lo,hi,bad", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_attribute_ranges_set_queue_attributes(api, attr, lo, hi, bad):
    url = api.create_queue(QueueName=uniq("range"))["QueueUrl"]
    for ok in (lo, hi):
        api.set_queue_attributes(QueueUrl=url, Attributes={attr: ok})
        assert queue_attrs(api, url, attr) == {attr: ok}
    for value in bad:
        expect_error(api, "InvalidAttributeValue",
                     lambda: api.set_queue_attributes(QueueUrl=url, Attributes={attr: value}))
    assert queue_attrs(api, url, attr) == {attr: hi}, "a rejected value must not be applied"


@pytest.mark.parametrize("attr,lo,hi,bad", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_attribute_ranges_create_queue(api, attr, lo, hi, bad):
    for value in bad[:2]:
        name = uniq("crange")
        expect_error(api, "InvalidAttributeValue",
                     lambda: api.create_queue(QueueName=name, Attributes={attr: value}))
        expect_error(api, "QueueDoesNotExist", lambda: api.get_queue_url(QueueName=name))


def test_set_queue_attributes_unknown_name(api):
    url = api.create_queue(QueueName=uniq("setunk"))["QueueUrl"]
    expect_error(api, "InvalidAttributeName",
                 lambda: api.set_queue_attributes(QueueUrl=url, Attributes={"Bogus": "1"}))


def test_set_queue_attributes_cannot_change_queue_type(api):
    url = api.create_queue(QueueName=uniq("type"))["QueueUrl"]
    try:
        api.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    except Exception as e:  # noqa: BLE001
        err = e.response["Error"]
        assert err["Code"] in ("InvalidAttributeName", "InvalidAttributeValue"), err
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    else:
        raise AssertionError("SetQueueAttributes FifoQueue=true on a standard queue must fail")
    assert "FifoQueue" not in queue_attrs(api, url, "All")


def test_sse_attributes(api):
    url = api.create_queue(QueueName=uniq("sse"))["QueueUrl"]
    assert queue_attrs(api, url, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": "true"}
    api.set_queue_attributes(QueueUrl=url, Attributes={"SqsManagedSseEnabled": "false"})
    assert queue_attrs(api, url, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": "false"}
    api.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    got = queue_attrs(api, url, "All")
    assert got["KmsMasterKeyId"] == "alias/aws/sqs"
    assert got["KmsDataKeyReusePeriodSeconds"] == "300"
    assert got["SqsManagedSseEnabled"] == "false"


def test_sse_kms_and_sqs_managed_are_exclusive(api):
    expect_error(api, "InvalidAttributeName", lambda: api.create_queue(
        QueueName=uniq("sseboth"), Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}),
        message="You can use one type of server-side encryption (SSE) at one time. "
                "You can either enable KMS SSE or SQS SSE.")


def test_kms_data_key_reuse_period_range(api):
    url = api.create_queue(QueueName=uniq("kms"), Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    for ok in ("60", "86400"):
        api.set_queue_attributes(QueueUrl=url, Attributes={"KmsDataKeyReusePeriodSeconds": ok})
        assert queue_attrs(api, url, "KmsDataKeyReusePeriodSeconds") == {"KmsDataKeyReusePeriodSeconds": ok}
    for bad in ("59", "86401"):
        expect_error(api, "InvalidAttributeValue", lambda: api.set_queue_attributes(
            QueueUrl=url, Attributes={"KmsDataKeyReusePeriodSeconds": bad}))


def test_policy_attribute_stored(api):
    import json
    url = api.create_queue(QueueName=uniq("pol"))["QueueUrl"]
    arn = queue_attrs(api, url, "QueueArn")["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "s1", "Effect": "Allow", "Principal": "*",
                                                      "Action": "sqs:SendMessage", "Resource": arn}]}
    api.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    got = queue_attrs(api, url, "Policy")["Policy"]
    assert json.loads(got) == policy


# --------------------------------------------------------------------------- GetQueueUrl
def test_get_queue_url(api):
    name = uniq("geturl")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    assert api.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert api.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=ACCOUNT)["QueueUrl"] == url


def test_get_queue_url_unknown_queue(api):
    expect_error(api, "QueueDoesNotExist", lambda: api.get_queue_url(QueueName=uniq("missing")),
                 message=NONEXISTENT_QUEUE_MSG[api.protocol])


def test_get_queue_url_other_account_is_not_found(api):
    name = uniq("acct")
    api.create_queue(QueueName=name)
    expect_error(api, "QueueDoesNotExist",
                 lambda: api.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="123456789012"))


@pytest.mark.parametrize("op,kw", [
    ("get_queue_attributes", {"AttributeNames": ["All"]}),
    ("set_queue_attributes", {"Attributes": {"DelaySeconds": "1"}}),
    ("send_message", {"MessageBody": "x"}),
    ("receive_message", {}),
    ("purge_queue", {}),
    ("delete_queue", {}),
    ("list_queue_tags", {}),
    ("tag_queue", {"Tags": {"a": "b"}}),
    ("untag_queue", {"TagKeys": ["a"]}),
    ("delete_message", {"ReceiptHandle": "whatever"}),
    ("change_message_visibility", {"ReceiptHandle": "whatever", "VisibilityTimeout": 0}),
    ("send_message_batch", {"Entries": [{"Id": "a", "MessageBody": "x"}]}),
    ("list_dead_letter_source_queues", {}),
    ("add_permission", {"Label": "l", "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage"]}),
    ("remove_permission", {"Label": "l"}),
])
def test_queue_scoped_operations_on_unknown_queue(api, op, kw):
    url = f"{api.endpoint}/{ACCOUNT}/{uniq('nope')}"
    expect_error(api, "QueueDoesNotExist", lambda: getattr(api, op)(QueueUrl=url, **kw),
                 message=NONEXISTENT_QUEUE_MSG[api.protocol])


def test_queue_url_host_is_ignored(api):
    """A QueueUrl is resolved by its last two path segments (clients rewrite hosts)."""
    name = uniq("hostless")
    api.create_queue(QueueName=name)
    other = f"http://some-other-host.example:9999/{ACCOUNT}/{name}"
    api.send_message(QueueUrl=other, MessageBody="via other host")
    assert queue_attrs(api, other, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}


# --------------------------------------------------------------------------- ListQueues
def test_list_queues_prefix_and_pagination(api):
    prefix = uniq("lst")
    names = sorted(f"{prefix}-{i:02d}" for i in range(7))
    for n in names:
        api.create_queue(QueueName=n)
    api.create_queue(QueueName=uniq("other"))
    resp = api.list_queues(QueueNamePrefix=prefix)
    assert sorted(resp["QueueUrls"]) == [expected_url(api, n) for n in names]
    assert "NextToken" not in resp, "NextToken only when MaxResults is set and more remain"

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kw = {"QueueNamePrefix": prefix, "MaxResults": 3}
        if token:
            kw["NextToken"] = token
        page = api.list_queues(**kw)
        pages += 1
        assert len(page.get("QueueUrls", [])) <= 3
        seen += page.get("QueueUrls", [])
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 10, "pagination does not terminate"
    assert pages == 3
    assert sorted(seen) == [expected_url(api, n) for n in names]
    assert len(seen) == len(set(seen)), "duplicates across pages"

    full = api.list_queues(QueueNamePrefix=prefix, MaxResults=7)
    assert len(full["QueueUrls"]) == 7
    assert "NextToken" not in full, "no NextToken when nothing remains"


def test_list_queues_no_match_omits_queue_urls(api):
    resp = api.list_queues(QueueNamePrefix=uniq("nomatch"))
    assert "QueueUrls" not in resp


def test_list_queues_without_prefix_includes_new_queue(api):
    name = uniq("all")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    assert url in api.list_queues()["QueueUrls"]


@pytest.mark.parametrize("bad", [0, 1001])
def test_list_queues_max_results_range(api, bad):
    expect_error(api, "InvalidParameterValueException", lambda: api.list_queues(MaxResults=bad))


# --------------------------------------------------------------------------- DeleteQueue
def test_delete_queue(api):
    name = uniq("del")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    api.send_message(QueueUrl=url, MessageBody="bye")
    resp = api.delete_queue(QueueUrl=url)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    expect_error(api, "QueueDoesNotExist", lambda: api.get_queue_url(QueueName=name))
    expect_error(api, "QueueDoesNotExist", lambda: api.send_message(QueueUrl=url, MessageBody="x"))
    assert url not in api.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    expect_error(api, "QueueDoesNotExist", lambda: api.delete_queue(QueueUrl=url))


def test_recreate_recently_deleted_queue(api):
    name = uniq("recent")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    api.delete_queue(QueueUrl=url)
    expect_error(api, "QueueDeletedRecently", lambda: api.create_queue(QueueName=name))


# --------------------------------------------------------------------------- tags
def test_tags_lifecycle(api):
    url = api.create_queue(QueueName=uniq("tags"), tags={"team": "alpha", "env": "test"})["QueueUrl"]
    assert api.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "alpha", "env": "test"}
    api.tag_queue(QueueUrl=url, Tags={"team": "beta", "cost": "42"})
    assert api.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "beta", "env": "test", "cost": "42"}
    api.untag_queue(QueueUrl=url, TagKeys=["team", "env", "not-there"])
    assert api.list_queue_tags(QueueUrl=url)["Tags"] == {"cost": "42"}
    api.untag_queue(QueueUrl=url, TagKeys=["cost"])
    assert "Tags" not in api.list_queue_tags(QueueUrl=url)


def test_list_queue_tags_untagged_queue_omits_tags(api):
    url = api.create_queue(QueueName=uniq("notags"))["QueueUrl"]
    assert "Tags" not in api.list_queue_tags(QueueUrl=url)
