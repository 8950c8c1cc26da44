"""Function management API (lambda-events.md section 2 "Other paths"; sluice contract):
CreateFunction with a ZipFile python module run by awslambdaric, UpdateFunctionCode,
UpdateFunctionConfiguration, Get/List, concurrency, DeleteFunction; config-declared functions are
readable and invokable but cannot be deleted."""

from __future__ import annotations

import textwrap
import time

import pytest

from lambda_helpers import (  # noqa: F401  (fixtures)
    code_sha256,
    expect_lambda_error,
    function_arn,
    invoke,
    lam,
    lambda_env,
    make_zip,
    uniq,
)

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def app_zip(version: int) -> bytes:
    return make_zip({"app.py": textwrap.dedent(f"""\
        import os

        def handler(event, context):
            return {{"v": {version}, "event": event, "stage": os.environ.get("STAGE"),
                    "name": context.function_name}}
        """)})


def wait_ready(client, name: str, timeout: float = 15.0) -> dict:
    """Until State is Active (or absent) and LastUpdateStatus is Successful (or absent)."""
    deadline = time.monotonic() + timeout
    while True:
        cfg = client.get_function_configuration(FunctionName=name)
        if cfg.get("State") in (None, "Active") and cfg.get("LastUpdateStatus") in (None, "Successful"):
            return cfg
        assert cfg.get("State") not in ("Failed",) and cfg.get("LastUpdateStatus") != "Failed", cfg
        assert time.monotonic() < deadline, f"function {name} not ready: {cfg}"
        time.sleep(0.1)


@pytest.fixture
def created(lam):
    names = []
    yield names
    for n in names:
        try:
            lam.lam.delete_function(FunctionName=n)
        except Exception:
            pass


def test_zip_function_lifecycle(lam, created):
    client = lam.lam
    name = uniq("zipfn")
    z1 = app_zip(1)
    resp = client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                  Code={"ZipFile": z1}, Timeout=7, MemorySize=256, Description="zip test",
                                  Environment={"Variables": {"STAGE": "one"}})
    created.append(name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201, resp["ResponseMetadata"]
    assert resp["FunctionName"] == name
    assert resp["FunctionArn"] == function_arn(name)
    assert resp["Runtime"] == "python3.11" and resp["Handler"] == "app.handler"
    assert resp["Role"] == ROLE, "Role is accepted and echoed"
    assert resp["Timeout"] == 7 and resp["MemorySize"] == 256 and resp["Description"] == "zip test"
    assert resp["Environment"] == {"Variables": {"STAGE": "one"}}
    assert resp["CodeSize"] == len(z1)
    assert resp["CodeSha256"] == code_sha256(z1)
    assert resp.get("Version", "$LATEST") == "$LATEST"

    wait_ready(client, name)
    got = client.get_function(FunctionName=name)
    assert got["Configuration"]["FunctionArn"] == function_arn(name)
    assert got["Configuration"]["CodeSha256"] == code_sha256(z1)
    assert name in [f["FunctionName"] for f in client.list_functions()["Functions"]]

    inv = invoke(client, name, {"a": 1})
    assert inv.status == 200 and inv.function_error is None, inv
    assert inv.json() == {"v": 1, "event": {"a": 1}, "stage": "one", "name": name}

    # new code
    z2 = app_zip(2)
    upd = client.update_function_code(FunctionName=name, ZipFile=z2)
    assert upd["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert upd["CodeSha256"] == code_sha256(z2) and upd["CodeSize"] == len(z2)
    wait_ready(client, name)
    assert invoke(client, name, {"a": 2}).json()["v"] == 2, "UpdateFunctionCode: the next invocation runs the new code"

    # new configuration
    upd = client.update_function_configuration(FunctionName=name, Environment={"Variables": {"STAGE": "two"}},
                                               Timeout=9)
    assert upd["Timeout"] == 9 and upd["Environment"] == {"Variables": {"STAGE": "two"}}
    wait_ready(client, name)
    assert invoke(client, name, {}).json()["stage"] == "two"
    assert client.get_function_configuration(FunctionName=name)["Timeout"] == 9

    # concurrency
    put = client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    assert put["ReservedConcurrentExecutions"] == 3
    assert client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 3

    # delete
    d = client.delete_function(FunctionName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    created.remove(name)
    expect_lambda_error(lambda: client.get_function(FunctionName=name), "ResourceNotFoundException", 404)
    expect_lambda_error(lambda: client.invoke(FunctionName=name, Payload=b"{}"), "ResourceNotFoundException", 404)
    expect_lambda_error(lambda: client.delete_function(FunctionName=name), "ResourceNotFoundException", 404)
    assert name not in [f["FunctionName"] for f in client.list_functions()["Functions"]]


def test_code_update_lets_running_invocations_finish(lam, created):
    """UpdateFunctionCode while an invocation runs: it finishes on the old code (as on AWS), the next one
    runs the new code."""
    import threading

    def slow_zip(version: int) -> bytes:
        return make_zip({"app.py": textwrap.dedent(f"""\
            import time

            def handler(event, context):
                time.sleep(event.get("sleep", 0))
                return {{"v": {version}}}
            """)})

    client = lam.lam
    name = uniq("upd")
    created.append(name)
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
                           Code={"ZipFile": slow_zip(1)}, Timeout=10)
    wait_ready(client, name)
    assert invoke(client, name, {}).json() == {"v": 1}  # warm
    result = {}

    def slow_call():
        result["inv"] = invoke(client, name, {"sleep": 1.5})

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(0.5)
    client.update_function_code(FunctionName=name, ZipFile=slow_zip(2))
    wait_ready(client, name)
    caller.join(15)
    inv = result["inv"]
    assert inv.function_error is None and inv.json() == {"v": 1}, f"the running invocation was cut short: {inv}"
    after = invoke(client, name, {})
    assert after.function_error is None and after.json() == {"v": 2}, after


def test_deleting_a_function_deletes_its_mappings(lam, created):
    """sluice's documented difference from AWS: DeleteFunction also removes the function's event source mappings."""
    client = lam.lam
    name = uniq("delmap")
    created.append(name)
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
                           Code={"ZipFile": app_zip(1)})
    wait_ready(client, name)
    url = lam.sqs.create_queue(QueueName=uniq("delmapq"))["QueueUrl"]
    arn = lam.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    uuid = client.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=1)["UUID"]
    assert [m["UUID"] for m in client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]] == [uuid]
    client.delete_function(FunctionName=name)
    assert client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    expect_lambda_error(lambda: client.get_event_source_mapping(UUID=uuid), "ResourceNotFoundException", 404)


def test_create_function_errors(lam, created):
    client = lam.lam
    name = uniq("zipdup")
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
                           Code={"ZipFile": app_zip(1)})
    created.append(name)
    expect_lambda_error(lambda: client.create_function(FunctionName=name, Runtime="python3.11",
                                                       Handler="app.handler", Role=ROLE,
                                                       Code={"ZipFile": app_zip(1)}),
                        "ResourceConflictException", 409)
    expect_lambda_error(lambda: client.create_function(FunctionName=uniq("badzip"), Runtime="python3.11",
                                                       Handler="app.handler", Role=ROLE,
                                                       Code={"ZipFile": b"this is not a zip file"}),
                        "InvalidParameterValueException", 400)


def test_zip_function_import_error_is_unhandled(lam, created):
    client = lam.lam
    name = uniq("zipbroken")
    client.create_function(FunctionName=name, Runtime="python3.11", Handler="missing_module.handler", Role=ROLE,
                           Code={"ZipFile": app_zip(1)}, Timeout=5)
    created.append(name)
    wait_ready(client, name)
    inv = invoke(client, name, {})
    assert inv.status == 200 and inv.function_error == "Unhandled", inv
    err = inv.json()
    assert err["errorType"] == "Runtime.ImportModuleError", err
    assert "missing_module" in err["errorMessage"], err


def test_config_functions_are_listed_and_readable(lam):
    client = lam.lam
    funcs = {f["FunctionName"]: f for f in client.list_functions()["Functions"]}
    for n in ("echo", "rec", "rt-py", "hang", "conc", "web"):
        assert n in funcs, f"config function {n} missing from ListFunctions: {sorted(funcs)}"
        assert funcs[n]["FunctionArn"] == function_arn(n)
    assert funcs["rt-py"]["Runtime"] == "python3.11" and funcs["rt-py"]["Handler"] == "app.handler"
    assert funcs["rt-py"]["MemorySize"] == 256 and funcs["rt-py"]["Timeout"] == 5
    assert funcs["hang"]["Timeout"] == 1
    echo = client.get_function(FunctionName="echo")["Configuration"]
    assert echo["FunctionName"] == "echo" and echo["Timeout"] == 5 and echo["MemorySize"] == 128
    assert echo["Description"] == "echoes its event"
    assert echo["Environment"]["Variables"]["GREETING"] == "hello from config"
    assert client.get_function_configuration(FunctionName=function_arn("echo"))["FunctionName"] == "echo"
    err = expect_lambda_error(lambda: client.delete_function(FunctionName="echo"), "ResourceConflictException", 409)
    assert "config" in err.get("Message", ""), err
    assert invoke(client, "echo", {"still": "there"}).json()["event"] == {"still": "there"}
