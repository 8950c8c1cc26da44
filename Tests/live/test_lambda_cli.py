"""`aws lambda ...` (AWS CLI v1) against the functions server: list-functions, invoke,
event source mappings, errors."""

from __future__ import annotations

import base64
import json

from lambda_helpers import (  # noqa: F401  (fixtures)
    function_arn,
    lam,
    lambda_env,
    queue_arn,
    run_aws_lambda,
    uniq,
    wait_queue_empty,
)


def test_cli_list_functions(lam):
    out = run_aws_lambda(lam.endpoint, "list-functions")
    funcs = {f["FunctionName"]: f for f in out["Functions"]}
    assert {"echo", "rec", "rt-py", "web"} <= set(funcs), sorted(funcs)
    assert funcs["rt-py"]["FunctionArn"] == function_arn("rt-py")
    assert funcs["rt-py"]["Runtime"] == "python3.11"
    cfg = run_aws_lambda(lam.endpoint, "get-function-configuration", "--function-name", "echo")
    assert cfg["FunctionName"] == "echo" and cfg["Timeout"] == 5


def test_cli_invoke(lam, tmp_path):
    out_file = tmp_path / "out.json"
    # AWS CLI v1 sends a --payload string as is (v2 would need --cli-binary-format raw-in-base64-out)
    res = run_aws_lambda(lam.endpoint, "invoke", "--function-name", "echo", "--payload", '{"from": "cli"}',
                         "--log-type", "Tail", str(out_file))
    assert res["StatusCode"] == 200, res
    assert "FunctionError" not in res, res
    assert res.get("ExecutedVersion") == "$LATEST", res
    assert json.loads(out_file.read_text())["event"] == {"from": "cli"}
    log = base64.b64decode(res["LogResult"]).decode()
    assert "START RequestId" in log and "REPORT RequestId" in log, log

    res = run_aws_lambda(lam.endpoint, "invoke", "--function-name", "echo", "--payload", '{"exit": 4}',
                         str(out_file))
    assert res["StatusCode"] == 200 and res["FunctionError"] == "Unhandled", res
    assert "errorMessage" in json.loads(out_file.read_text())

    res = run_aws_lambda(lam.endpoint, "invoke", "--function-name", "rec", "--invocation-type", "Event",
                         "--payload", json.dumps({"key": (k := uniq("cli-evt"))}), str(out_file))
    assert res["StatusCode"] == 202, res
    lam.wait_records(k, 1)


def test_cli_invoke_unknown_function(lam, tmp_path):
    p = run_aws_lambda(lam.endpoint, "invoke", "--function-name", uniq("nope"), str(tmp_path / "o.json"),
                       check=False)
    assert p.returncode != 0
    assert "ResourceNotFoundException" in p.stderr, p.stderr


def test_cli_event_source_mapping(lam):
    q = uniq("cliq")
    url = lam.sqs.create_queue(QueueName=q)["QueueUrl"]
    created = run_aws_lambda(lam.endpoint, "create-event-source-mapping", "--function-name", "rec",
                             "--event-source-arn", queue_arn(q), "--batch-size", "3",
                             "--maximum-batching-window-in-seconds", "1")
    esm = created["UUID"]
    try:
        assert created["State"] in ("Creating", "Enabled") and created["BatchSize"] == 3, created
        listed = run_aws_lambda(lam.endpoint, "list-event-source-mappings", "--event-source-arn", queue_arn(q))
        assert [m["UUID"] for m in listed["EventSourceMappings"]] == [esm]
        lam.sqs.send_message(QueueUrl=url, MessageBody="through the cli mapping")
        recs = lam.wait_sqs_records(q, 1)
        assert recs[0]["body"] == "through the cli mapping"
        wait_queue_empty(lam.sqs, url)
        upd = run_aws_lambda(lam.endpoint, "update-event-source-mapping", "--uuid", esm, "--batch-size", "2")
        assert upd["BatchSize"] == 2
        dup = run_aws_lambda(lam.endpoint, "create-event-source-mapping", "--function-name", "rec",
                             "--event-source-arn", queue_arn(q), check=False)
        assert dup.returncode != 0 and "ResourceConflictException" in dup.stderr, dup.stderr
    finally:
        deleted = run_aws_lambda(lam.endpoint, "delete-event-source-mapping", "--uuid", esm)
    assert deleted["State"] == "Deleting"
