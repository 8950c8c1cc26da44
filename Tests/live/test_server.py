"""Server contract: /health, reset endpoints, command-line flags, Host-derived queue URLs."""

from __future__ import annotations

import json
import subprocess

import requests

from helpers import ACCOUNT, JSON_CT, expect_error, JsonApi, make_boto_client, uniq


def test_health(endpoint):
    r = requests.get(endpoint + "/health", timeout=5)
    assert r.status_code == 200


def test_reset_endpoints_empty_all_state(private_server):
    srv = private_server(enable_reset=True)
    c = make_boto_client(srv.endpoint)
    for path in ("/_sluice/reset", "/moto-api/reset"):
        name = uniq("reset")
        url = c.create_queue(QueueName=name)["QueueUrl"]
        c.send_message(QueueUrl=url, MessageBody="gone soon")
        r = requests.post(srv.endpoint + path, timeout=10)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:200]}"
        assert "QueueUrls" not in c.list_queues(), f"{path} did not remove queues"
        expect_error(JsonApi(c), "QueueDoesNotExist", lambda: c.get_queue_url(QueueName=name))
        # the same name is usable again right away and starts empty
        url = c.create_queue(QueueName=name)["QueueUrl"]
        assert "Messages" not in c.receive_message(QueueUrl=url)
        requests.post(srv.endpoint + path, timeout=10)


def test_reset_disabled_without_flag_and_account_region_flags(private_server):
    srv = private_server(enable_reset=False, extra_args=["--account-id", "123456789012", "--region", "eu-west-1"])
    c = make_boto_client(srv.endpoint)
    name = uniq("flags")
    url = c.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{srv.endpoint}/123456789012/{name}"
    arn = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == f"arn:aws:sqs:eu-west-1:123456789012:{name}"
    for path in ("/_sluice/reset", "/moto-api/reset"):
        r = requests.post(srv.endpoint + path, timeout=10)
        assert r.status_code == 404, f"{path} must be 404 without --enable-reset, got {r.status_code}"
    assert c.get_queue_url(QueueName=name)["QueueUrl"] == url, "state must survive a refused reset"


def test_queue_url_uses_host_header(endpoint):
    name = uniq("host")
    r = requests.post(endpoint + "/", data=json.dumps({"QueueName": name}),
                      headers={"X-Amz-Target": "AmazonSQS.CreateQueue", "Content-Type": JSON_CT,
                               "Host": "sqs.example.test:4566"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["QueueUrl"] == f"http://sqs.example.test:4566/{ACCOUNT}/{name}"
    r = requests.post(endpoint + "/", data=json.dumps({"QueueName": name}),
                      headers={"X-Amz-Target": "AmazonSQS.GetQueueUrl", "Content-Type": JSON_CT,
                               "Host": "other-host:1234"}, timeout=10)
    assert r.json()["QueueUrl"] == f"http://other-host:1234/{ACCOUNT}/{name}"


def test_config_file_queues(private_server, tmp_path):
    """--config: queues declared in the YAML exist at start (config/sluice.yaml documents the keys)."""
    cfg = tmp_path / "sluice.yaml"
    cfg.write_text(
        "server:\n"
        "  region: us-east-1\n"
        "queues:\n"
        "  - name: cfg-orders\n"
        "    attributes:\n"
        "      VisibilityTimeout: 60\n"
        "      ReceiveMessageWaitTimeSeconds: 2\n"
        "    redrive:\n"
        "      dead-letter-queue: cfg-orders-dlq\n"
        "      max-receive-count: 5\n"
        "    tags:\n"
        "      team: billing\n"
        "  - name: cfg-orders-dlq\n"
        "  - name: cfg-payments.fifo\n"
        "    attributes:\n"
        "      FifoQueue: true\n"
        "      ContentBasedDeduplication: true\n"
    )
    srv = private_server(extra_args=["--config", str(cfg)])
    c = make_boto_client(srv.endpoint)
    url = c.get_queue_url(QueueName="cfg-orders")["QueueUrl"]
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "60"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "2"
    rp = json.loads(attrs["RedrivePolicy"])
    assert rp["deadLetterTargetArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:cfg-orders-dlq"
    assert int(rp["maxReceiveCount"]) == 5
    assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "billing"}
    furl = c.get_queue_url(QueueName="cfg-payments.fifo")["QueueUrl"]
    fattrs = c.get_queue_attributes(QueueUrl=furl, AttributeNames=["FifoQueue", "ContentBasedDeduplication"])
    assert fattrs["Attributes"] == {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    # declared queues are created idempotently: messages survive a restart with the same config
    c.send_message(QueueUrl=url, MessageBody="kept")
    srv.restart()
    c = make_boto_client(srv.endpoint)
    url = c.get_queue_url(QueueName="cfg-orders")["QueueUrl"]
    msgs = c.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["kept"]


def test_bad_config_stops_server_with_location(tmp_path):
    from conftest import _binary_or_fail
    binary = _binary_or_fail()
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("server:\n  port: 0\n  no-such-key: 1\n")
    p = subprocess.run([str(binary), "serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"),
                        "--port", "0"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert f"{cfg}:3" in out or "bad.yaml:3" in out, f"expected '<file>:<line>: <problem>', got: {out[-500:]}"
