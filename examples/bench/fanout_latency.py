#!/usr/bin/env python3
"""Paced SNS fan-out latency against any SNS+SQS endpoint, with the publisher and each
consumer in its own process, so no client thread waits on another's Python GIL.

Creates a topic with N raw SQS subscriptions, publishes at --rate messages/s (the send
time is in the body), long-polls every queue from its own process, and prints the
per-copy latency p50/p99/max. Loopback by default; every loop is bounded.

  python3 examples/bench/fanout_latency.py --endpoint-url http://127.0.0.1:4566 --rate 20 --count 200
"""
import argparse
import http.client
import json
import multiprocessing as mp
import time
import urllib.parse
import uuid


def connect(endpoint):
    parsed = urllib.parse.urlparse(endpoint)
    return http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=30)


def sqs(conn, action, body):
    conn.request("POST", "/", json.dumps(body), {"X-Amz-Target": "AmazonSQS." + action,
                                                 "Content-Type": "application/x-amz-json-1.0"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{action}: {response.status} {data[:200]!r}")
    return json.loads(data or b"{}")


def sns(conn, params):
    params = dict(params, Version="2010-03-31")
    conn.request("POST", "/", urllib.parse.urlencode(params), {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    data = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"{params['Action']}: {response.status} {data[:200]}")
    return data


def consumer(endpoint, url, expected, deadline, results):
    conn = connect(endpoint)
    latencies = []
    while len(latencies) < expected and time.time() < deadline:
        reply = sqs(conn, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1})
        now = time.time()
        messages = reply.get("Messages", [])
        for message in messages:
            latencies.append(now - float(message["Body"].split(":", 1)[0]))
        if messages:
            sqs(conn, "DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]})
    results.put(latencies)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-url", default="http://127.0.0.1:4566")
    parser.add_argument("--account", default="000000000000")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--subscriptions", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="publishes per second")
    parser.add_argument("--count", type=int, default=200, help="messages to publish (at most 100,000)")
    args = parser.parse_args()
    count = min(args.count, 100_000)

    conn = connect(args.endpoint_url)
    tag = uuid.uuid4().hex[:8]
    topic = sns(conn, {"Action": "CreateTopic", "Name": f"fanout-{tag}"}).split("<TopicArn>")[1].split("</TopicArn>")[0]
    urls = []
    for i in range(args.subscriptions):
        name = f"fanout-{tag}-{i}"
        urls.append(sqs(conn, "CreateQueue", {"QueueName": name})["QueueUrl"])
        sns(conn, {"Action": "Subscribe", "TopicArn": topic, "Protocol": "sqs",
                   "Endpoint": f"arn:aws:sqs:{args.region}:{args.account}:{name}",
                   "Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"})

    results = mp.Queue()
    deadline = time.time() + count / args.rate + 30
    workers = [mp.Process(target=consumer, args=(args.endpoint_url, url, count, deadline, results)) for url in urls]
    for worker in workers:
        worker.start()
    time.sleep(1)
    start = time.time()
    for i in range(count):
        delay = start + i / args.rate - time.time()
        if delay > 0:
            time.sleep(delay)
        sns(conn, {"Action": "Publish", "TopicArn": topic, "Message": f"{time.time()}:{i}"})
    latencies = sorted(x for _ in workers for x in results.get())
    for worker in workers:
        worker.join()
    sns(conn, {"Action": "DeleteTopic", "TopicArn": topic})
    for url in urls:
        sqs(conn, "DeleteQueue", {"QueueUrl": url})
    if not latencies:
        raise SystemExit("no copies arrived")
    expected = count * args.subscriptions
    print(f"copies {len(latencies)}/{expected}  p50 {latencies[len(latencies) // 2] * 1000:.2f} ms  "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms  max {latencies[-1] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
