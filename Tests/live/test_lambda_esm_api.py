"""Event source mapping API (lambda-events.md section 1): Create/Get/List/Update/Delete, states,
validation errors, and the mapping declared in the config file."""

from __future__ import annotations

import datetime
import json
import time

import pytest
import requests

from lambda_helpers import (
    make_queue,  # noqa: F401  (fixtures)
    UUID_RE,
    expect_lambda_error,
    function_arn,
    lam,
    lambda_env,
    mappings,
    queue_arn,
    uniq,
    wait_esm_state,
)


def _queue(lam, fifo: bool = False, **attrs) -> tuple[str, str]:
    return make_queue(lam, "esmq", fifo, **attrs)


def test_mapping_lifecycle(lam):
    client = lam.lam
    qname, _ = _queue(lam)
    arn = queue_arn(qname)
    created = client.create_event_source_mapping(FunctionName="rec", EventSourceArn=arn, BatchSize=5)
    try:
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 202, created["ResponseMetadata"]
        esm = created["UUID"]
        assert UUID_RE.match(esm), esm
        assert created["State"] in ("Creating", "Enabled"), created["State"]
        assert created["EventSourceArn"] == arn
        assert created["FunctionArn"] == function_arn("rec")
        assert created["BatchSize"] == 5
        assert created["MaximumBatchingWindowInSeconds"] == 0
        assert created["EventSourceMappingArn"] == \
            f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{esm}"
        assert isinstance(created["LastModified"], datetime.datetime), created["LastModified"]
        assert created.get("FunctionResponseTypes", []) == []

        got = wait_esm_state(client, esm, "Enabled")
        assert got["UUID"] == esm and got["BatchSize"] == 5 and got["EventSourceArn"] == arn
        assert got["FunctionArn"] == function_arn("rec")

        by_fn = client.list_event_source_mappings(FunctionName="rec")["EventSourceMappings"]
        assert esm in [m["UUID"] for m in by_fn]
        assert all(m["FunctionArn"] == function_arn("rec") for m in by_fn)
        by_arn = client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
        assert [m["UUID"] for m in by_arn] == [esm]
        by_both = client.list_event_source_mappings(EventSourceArn=arn, FunctionName=function_arn("rec"))
        assert [m["UUID"] for m in by_both["EventSourceMappings"]] == [esm]
        assert client.list_event_source_mappings(EventSourceArn=arn, FunctionName="echo")["EventSourceMappings"] == []

        upd = client.update_event_source_mapping(UUID=esm, BatchSize=7, Enabled=False)
        assert upd["ResponseMetadata"]["HTTPStatusCode"] == 202, upd["ResponseMetadata"]
        assert upd["BatchSize"] == 7
        assert upd["State"] in ("Disabling", "Disabled", "Updating"), upd["State"]
        got = wait_esm_state(client, esm, "Disabled")
        assert got["BatchSize"] == 7
        upd = client.update_event_source_mapping(UUID=esm, Enabled=True, MaximumBatchingWindowInSeconds=1,
                                                 FunctionResponseTypes=["ReportBatchItemFailures"])
        assert upd["State"] in ("Enabling", "Enabled", "Updating"), upd["State"]
        got = wait_esm_state(client, esm, "Enabled")
        assert got["BatchSize"] == 7 and got["MaximumBatchingWindowInSeconds"] == 1
        assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    finally:
        deleted = client.delete_event_source_mapping(UUID=created["UUID"])
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202, deleted["ResponseMetadata"]
    assert deleted["State"] == "Deleting" and deleted["UUID"] == created["UUID"]

    deadline = time.monotonic() + 10
    while True:
        try:
            client.get_event_source_mapping(UUID=created["UUID"])
        except client.exceptions.ResourceNotFoundException:
            break
        assert time.monotonic() < deadline, "a deleted mapping must disappear (ResourceNotFoundException)"
        time.sleep(0.1)
    expect_lambda_error(lambda: client.get_event_source_mapping(UUID=created["UUID"]),
                        "ResourceNotFoundException", 404)
    assert client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    expect_lambda_error(lambda: client.delete_event_source_mapping(UUID=created["UUID"]),
                        "ResourceNotFoundException", 404)
    expect_lambda_error(lambda: client.update_event_source_mapping(UUID=created["UUID"], BatchSize=3),
                        "ResourceNotFoundException", 404)


def test_mapping_created_disabled_and_options_echoed(lam, mappings):
    qname, _ = _queue(lam)
    pattern = json.dumps({"body": {"kind": ["a"]}})
    created = mappings.create("rec", queue_arn(qname), wait=False, Enabled=False, BatchSize=100,
                              MaximumBatchingWindowInSeconds=3, ScalingConfig={"MaximumConcurrency": 2},
                              FunctionResponseTypes=["ReportBatchItemFailures"],
                              FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert created["State"] in ("Creating", "Disabled"), created["State"]
    got = wait_esm_state(lam.lam, created["UUID"], "Disabled")
    for resp in (created, got):
        assert resp["BatchSize"] == 100
        assert resp["MaximumBatchingWindowInSeconds"] == 3
        assert resp["ScalingConfig"] == {"MaximumConcurrency": 2}
        assert resp["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        [f] = resp["FilterCriteria"]["Filters"]
        assert json.loads(f["Pattern"]) == {"body": {"kind": ["a"]}}


def test_mapping_default_batch_size_is_10(lam, mappings):
    qname, _ = _queue(lam)
    created = mappings.create("rec", queue_arn(qname), wait=False)
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0


@pytest.mark.parametrize("fifo,kw,what", [
    (False, {"BatchSize": 0}, "BatchSize 0"),
    (False, {"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, "BatchSize 10001"),
    (True, {"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1}, "BatchSize > 10 on a FIFO queue"),
    (False, {"BatchSize": 11}, "BatchSize > 10 without a batching window"),
    (False, {"BatchSize": 50, "MaximumBatchingWindowInSeconds": 0}, "BatchSize > 10 with window 0"),
    (False, {"MaximumBatchingWindowInSeconds": 301}, "window 301"),
    (False, {"ScalingConfig": {"MaximumConcurrency": 1}}, "MaximumConcurrency 1"),
    (False, {"ScalingConfig": {"MaximumConcurrency": 1001}}, "MaximumConcurrency 1001"),
    (False, {"StartingPosition": "LATEST"}, "stream-only StartingPosition"),
])
def test_mapping_validation(lam, fifo, kw, what):
    qname, _ = _queue(lam, fifo=fifo)
    expect_lambda_error(lambda: lam.lam.create_event_source_mapping(
        FunctionName="rec", EventSourceArn=queue_arn(qname), **kw), "InvalidParameterValueException", 400)
    assert lam.lam.list_event_source_mappings(EventSourceArn=queue_arn(qname))["EventSourceMappings"] == [], \
        f"a rejected mapping ({what}) must not exist"


def test_mapping_window_message(lam):
    qname, _ = _queue(lam)
    err = expect_lambda_error(lambda: lam.lam.create_event_source_mapping(
        FunctionName="rec", EventSourceArn=queue_arn(qname), BatchSize=20), "InvalidParameterValueException", 400)
    assert "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10" \
        in err.get("Message", ""), err


def test_mapping_update_validation(lam, mappings):
    qname, _ = _queue(lam, fifo=True)
    esm = mappings.create("rec", queue_arn(qname), wait=False, BatchSize=5)["UUID"]
    expect_lambda_error(lambda: lam.lam.update_event_source_mapping(UUID=esm, BatchSize=0),
                        "InvalidParameterValueException", 400)
    expect_lambda_error(lambda: lam.lam.update_event_source_mapping(
        UUID=esm, BatchSize=11, MaximumBatchingWindowInSeconds=1), "InvalidParameterValueException", 400)
    assert lam.lam.get_event_source_mapping(UUID=esm)["BatchSize"] == 5


def test_mapping_nonexistent_queue(lam):
    arn = queue_arn(uniq("missing"))
    err = expect_lambda_error(lambda: lam.lam.create_event_source_mapping(FunctionName="rec", EventSourceArn=arn),
                              "InvalidParameterValueException", 400)
    assert "does not exist" in err.get("Message", ""), err


def test_mapping_unknown_function(lam):
    qname, _ = _queue(lam)
    expect_lambda_error(lambda: lam.lam.create_event_source_mapping(
        FunctionName=uniq("nofn"), EventSourceArn=queue_arn(qname)), "ResourceNotFoundException", 404)


def test_mapping_duplicate_is_a_conflict(lam, mappings):
    qname, _ = _queue(lam)
    first = mappings.create("rec", queue_arn(qname), wait=False)
    err = expect_lambda_error(lambda: lam.lam.create_event_source_mapping(
        FunctionName=function_arn("rec"), EventSourceArn=queue_arn(qname)), "ResourceConflictException", 409)
    assert first["UUID"] in err.get("Message", ""), f"the message names the existing mapping: {err}"
    # another function on the same queue is fine
    mappings.create("echo", queue_arn(qname), wait=False, Enabled=False)
    assert len(lam.lam.list_event_source_mappings(EventSourceArn=queue_arn(qname))["EventSourceMappings"]) == 2


def test_mapping_error_wire_shape(lam):
    """x-amzn-ErrorType header and {"Type": "User", "message": ...} body on the raw REST API."""
    body = {"FunctionName": "rec", "EventSourceArn": queue_arn(uniq("missing"))}
    r = requests.post(lam.endpoint + "/2015-03-31/event-source-mappings/", json=body, timeout=10)
    assert r.status_code == 400, r.text
    assert r.headers.get("x-amzn-ErrorType", "").split(":")[0] == "InvalidParameterValueException", dict(r.headers)
    j = r.json()
    assert j.get("Type") == "User" and (j.get("message") or j.get("Message")), j
    r = requests.get(lam.endpoint + "/2015-03-31/event-source-mappings/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                     timeout=10)
    assert r.status_code == 404
    assert r.headers.get("x-amzn-ErrorType", "").split(":")[0] == "ResourceNotFoundException"


def test_hostile_numbers_are_rejected_not_fatal(lam):
    """Out-of-range numbers in the JSON body and the query string get 400s; the server keeps serving."""
    qname, _ = _queue(lam)
    for scaling in ({"MaximumConcurrency": 1e20}, {"MaximumConcurrency": 2.5}, {"MaximumConcurrency": "3"}):
        body = {"FunctionName": "rec", "EventSourceArn": queue_arn(qname), "ScalingConfig": scaling}
        r = requests.post(lam.endpoint + "/2015-03-31/event-source-mappings/", json=body, timeout=10)
        assert r.status_code == 400, (scaling, r.text)
        assert r.headers.get("x-amzn-ErrorType", "").startswith("InvalidParameterValueException"), dict(r.headers)
    for path in ("/2015-03-31/functions?Marker=-1", "/2015-03-31/event-source-mappings?Marker=-5",
                 "/2015-03-31/functions?MaxItems=0", "/2015-03-31/functions?Marker=abc"):
        r = requests.get(lam.endpoint + path, timeout=10)
        assert r.status_code == 400, (path, r.text)
    assert lam.lam.list_functions()["Functions"], "the server still answers"


def test_config_declared_mapping(lam):
    """`events: [{queue: lam-cfg-q, batch-size: 5}]` under the function `rec`."""
    arn = queue_arn("lam-cfg-q")
    [m] = lam.lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert m["FunctionArn"] == function_arn("rec")
    assert m["BatchSize"] == 5
    assert m["State"] == "Enabled"
    url = lam.sqs.get_queue_url(QueueName="lam-cfg-q")["QueueUrl"]
    body = uniq("cfg-body")
    mid = lam.sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
    recs = lam.wait_sqs_records("lam-cfg-q", 1)
    assert any(r["messageId"] == mid and r["body"] == body for r in recs), recs


def test_list_mappings_pagination(lam, mappings):
    names = [_queue(lam)[0] for _ in range(3)]
    ids = {mappings.create("echo", queue_arn(n), wait=False, Enabled=False)["UUID"] for n in names}
    seen, marker, pages = [], None, 0
    while True:
        kw = {"FunctionName": "echo", "MaxItems": 1}
        if marker:
            kw["Marker"] = marker
        page = lam.lam.list_event_source_mappings(**kw)
        pages += 1
        assert len(page["EventSourceMappings"]) <= 1
        seen += [m["UUID"] for m in page["EventSourceMappings"]]
        marker = page.get("NextMarker")
        if not marker:
            break
        assert pages < 50, "NextMarker never ends"
    assert ids <= set(seen) and len(seen) == len(set(seen)), (ids, seen)
