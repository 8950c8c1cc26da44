#!/usr/bin/env python3
"""Functions benchmark: SQS event source mapping latency and throughput into a warm Python
function, and the CPU an idle broker with many mappings uses.

Everything goes through the public Lambda and SQS APIs (CreateFunction with a zip,
CreateEventSourceMapping, SendMessage), so the same command runs against any endpoint that
can run Python functions. The handler appends what it saw to a local file, so the endpoint
must run it on this machine (sluice does; emulators that need Docker cannot here).

  python3 examples/bench/functions_bench.py --endpoint-url http://127.0.0.1:4566 --server-pid PID

Scenarios (all by default):
  latency     paced sends (--rate, --count), body = send time; per-message time until the
              handler has it: p50 / p99 / max. Batch size 10, no batching window.
  throughput  --messages preloaded with the mapping disabled, then enabled: messages/s
              handled and deleted by one warm worker (function concurrency 1), batches of 10.
  idle        --mappings queues each mapped to one function, no traffic: server CPU over
              --idle-seconds (needs --server-pid).
Every loop is bounded in count and time.
"""
import argparse
import base64
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
import zipfile

import boto3
from botocore.config import Config

HANDLER = '''
import json, os, time
def handler(event, context):
    now = time.time()
    records = event.get("Records", [])
    latencies = []
    for record in records:
        try:
            latencies.append(now - json.loads(record["body"])["t"])
        except Exception:
            pass
    with open(os.environ["BENCH_OUT"], "a") as out:
        out.write(json.dumps({"n": len(records), "lat": latencies}) + "\\n")
    return {}
'''


def clients(endpoint):
    config = Config(retries={"max_attempts": 0}, read_timeout=120, max_pool_connections=32)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench", config=config)
    return boto3.client("lambda", **kw), boto3.client("sqs", **kw)


def package():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bench_handler.py", HANDLER)
    return buffer.getvalue()


ROLE = ["arn:aws:iam::000000000000:role/bench"]


def create_function(lam, name, out_path, concurrency):
    lam.create_function(FunctionName=name, Runtime="python3.11", Handler="bench_handler.handler",
                        Role=ROLE[0], Code={"ZipFile": package()},
                        Timeout=30, Environment={"Variables": {"BENCH_OUT": out_path}})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)


def read_results(path):
    count, latencies = 0, []
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                count += entry["n"]
                latencies += entry["lat"]
    return count, latencies


def wait_for(path, expected, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        count, latencies = read_results(path)
        if count >= expected:
            return count, latencies
        time.sleep(0.02)
    return read_results(path)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency(lam, sqs, args, tag, workdir):
    name, out = f"lat-{tag}", os.path.join(workdir, "latency.jsonl")
    create_function(lam, name, out, 1)
    url = sqs.create_queue(QueueName=f"lat-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=10)
    # Warm the worker first (the first invocation starts it).
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"t": time.time()}))
    wait_for(out, 1, 60)
    already, _ = read_results(out)
    interval = 1.0 / args.rate
    sends = []
    start = time.time()
    for i in range(args.count):
        target = start + i * interval
        delay = target - time.time()
        if delay > 0:
            time.sleep(delay)
        sent_at = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"t": sent_at, "i": i}))
        sends.append((time.time() - sent_at) * 1000)
    count, values = wait_for(out, already + args.count, 60)
    ms = [v * 1000 for v in values[already:]]
    if not ms:
        print(f"latency   no message reached the handler within 60 s ({args.count} sent)")
        return {"count": 0}
    print(f"latency   send->handler, {count - already}/{args.count} messages at {args.rate}/s: "
          f"p50 {percentile(ms, 50):.2f} ms  p99 {percentile(ms, 99):.2f} ms  max {max(ms):.2f} ms "
          f"(the SendMessage call itself: p50 {percentile(sends, 50):.2f} ms, p99 {percentile(sends, 99):.2f} ms)")
    return {"count": count - already, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "max_ms": max(ms),
            "send_p50_ms": percentile(sends, 50), "send_p99_ms": percentile(sends, 99)}


def throughput(lam, sqs, args, tag, workdir):
    name, out = f"tput-{tag}", os.path.join(workdir, "throughput.jsonl")
    create_function(lam, name, out, 1)
    url = sqs.create_queue(QueueName=f"tput-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=10, Enabled=False)["UUID"]
    body = json.dumps({"t": 0, "pad": "x" * 200})
    sent = 0
    while sent < args.messages:
        entries = [{"Id": str(i), "MessageBody": body} for i in range(min(10, args.messages - sent))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        sent += len(entries)
    # Warm the single worker before timing: one invocation through the API.
    lam.invoke(FunctionName=name, Payload=b"{}")
    start = time.time()
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    count, _ = wait_for(out, args.messages, 300)
    elapsed = time.time() - start
    deadline = time.time() + 30
    left = None
    while time.time() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        left = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        if left == 0:
            break
        time.sleep(0.05)
    rate = count / elapsed if elapsed > 0 else 0
    print(f"throughput one warm worker, batches of 10: {count}/{args.messages} handled in {elapsed:.2f} s = {rate:,.0f} msgs/s; left in queue: {left}")
    return {"handled": count, "seconds": elapsed, "msgs_per_s": rate, "left": left}


def idle(lam, sqs, args, tag, workdir):
    name, out = f"idle-{tag}", os.path.join(workdir, "idle.jsonl")
    create_function(lam, name, out, 2)
    for i in range(args.mappings):
        url = sqs.create_queue(QueueName=f"idle-{tag}-{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=10)
    time.sleep(3)
    if not args.server_pid:
        print(f"idle      {args.mappings} mappings: pass --server-pid to measure CPU")
        return {}
    before, t0 = cpu_seconds(args.server_pid), time.time()
    time.sleep(args.idle_seconds)
    used, wall = cpu_seconds(args.server_pid) - before, time.time() - t0
    print(f"idle      {args.mappings} mappings, no traffic: {used:.3f} s CPU in {wall:.0f} s = {100 * used / wall:.3f}% of a core")
    return {"mappings": args.mappings, "cpu_percent": 100 * used / wall}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-url", default="http://127.0.0.1:4566")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--scenarios", default="latency,throughput,idle")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--mappings", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object at the end")
    parser.add_argument("--create-role", action="store_true",
                        help="create the execution role through IAM first (peers such as moto check that it exists)")
    args = parser.parse_args()
    lam, sqs = clients(args.endpoint_url)
    if args.create_role:
        iam = boto3.client("iam", endpoint_url=args.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="bench", aws_secret_access_key="bench")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                          "Action": "sts:AssumeRole"}]}
        ROLE[0] = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    tag = uuid.uuid4().hex[:8]
    results = {}
    with tempfile.TemporaryDirectory(prefix="sluice-fn-bench-") as workdir:
        for scenario in args.scenarios.split(","):
            try:
                results[scenario] = {"latency": latency, "throughput": throughput, "idle": idle}[scenario](lam, sqs, args, tag, workdir)
            except Exception as error:  # a peer that cannot run functions fails here
                print(f"{scenario:<9} failed: {type(error).__name__}: {str(error)[:300]}")
                results[scenario] = {"error": str(error)[:300]}
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
