"""AddPermission / RemovePermission and the resulting Policy attribute (sqs.md section 9)."""

from __future__ import annotations

import json

from helpers import ACCOUNT, REGION, expect_error, queue_attrs, uniq


def policy_of(api, url):
    attrs = queue_attrs(api, url, "Policy")
    return json.loads(attrs["Policy"]) if "Policy" in attrs else None


def test_add_permission_single_account_and_action(api):
    name = uniq("perm")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert policy_of(api, url) is None
    resp = api.add_permission(QueueUrl=url, Label="OnlySend", AWSAccountIds=["111122223333"],
                              Actions=["SendMessage"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert policy_of(api, url) == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [{
            "Sid": "OnlySend",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "SQS:SendMessage",
            "Resource": arn,
        }],
    }


def test_add_permission_lists_and_multiple_statements(api):
    name = uniq("perm")
    url = api.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    api.add_permission(QueueUrl=url, Label="first", AWSAccountIds=["111122223333", "444455556666"],
                       Actions=["ReceiveMessage", "DeleteMessage"])
    api.add_permission(QueueUrl=url, Label="second", AWSAccountIds=["777788889999"], Actions=["*"])
    pol = policy_of(api, url)
    assert pol["Version"] == "2008-10-17"
    assert pol["Id"] == f"{arn}/SQSDefaultPolicy"
    assert [s["Sid"] for s in pol["Statement"]] == ["first", "second"]
    first = pol["Statement"][0]
    assert first["Effect"] == "Allow"
    assert sorted(first["Principal"]["AWS"]) == ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    assert sorted(first["Action"]) == ["SQS:DeleteMessage", "SQS:ReceiveMessage"]
    assert first["Resource"] == arn
    second = pol["Statement"][1]
    assert second["Principal"] == {"AWS": "arn:aws:iam::777788889999:root"}
    assert second["Action"] == "SQS:*"


def test_add_permission_duplicate_label(api):
    url = api.create_queue(QueueName=uniq("perm"))["QueueUrl"]
    api.add_permission(QueueUrl=url, Label="dup", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    expect_error(api, "InvalidParameterValueException",
                 lambda: api.add_permission(QueueUrl=url, Label="dup", AWSAccountIds=["111122223333"],
                                            Actions=["ReceiveMessage"]),
                 message="Value dup for parameter Label is invalid. Reason: Already exists.")
    assert len(policy_of(api, url)["Statement"]) == 1


def test_add_permission_too_many_actions(api):
    url = api.create_queue(QueueName=uniq("perm"))["QueueUrl"]
    actions = ["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
               "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue"]
    expect_error(api, "OverLimit", lambda: api.add_permission(QueueUrl=url, Label="big",
                                                              AWSAccountIds=["111122223333"], Actions=actions))
    assert policy_of(api, url) is None
    api.add_permission(QueueUrl=url, Label="seven", AWSAccountIds=["111122223333"], Actions=actions[:7])
    assert len(policy_of(api, url)["Statement"][0]["Action"]) == 7


def test_add_permission_invalid_label(api):
    url = api.create_queue(QueueName=uniq("perm"))["QueueUrl"]
    for bad in ("has space", "x" * 81, "dot.label"):
        expect_error(api, "InvalidParameterValueException",
                     lambda: api.add_permission(QueueUrl=url, Label=bad, AWSAccountIds=["111122223333"],
                                                Actions=["SendMessage"]))


def test_remove_permission(api):
    url = api.create_queue(QueueName=uniq("perm"))["QueueUrl"]
    api.add_permission(QueueUrl=url, Label="a", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    api.add_permission(QueueUrl=url, Label="b", AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"])
    resp = api.remove_permission(QueueUrl=url, Label="a")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [s["Sid"] for s in policy_of(api, url)["Statement"]] == ["b"]
    api.remove_permission(QueueUrl=url, Label="b")
    assert policy_of(api, url) is None, "Policy is removed with its last statement"
    expect_error(api, "InvalidParameterValueException", lambda: api.remove_permission(QueueUrl=url, Label="a"),
                 message="Value a for parameter Label is invalid. Reason: can't find label.")
