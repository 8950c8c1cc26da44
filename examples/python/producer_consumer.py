#!/usr/bin/env python3
"""producer_consumer.py -- boto3 against a local sluice: a work queue with a
dead-letter queue, a producer thread and a long-polling consumer.

    swift run -c release sluice serve          # in another terminal
    python3 examples/python/producer_consumer.py [--endpoint-url URL] [--count N]

The consumer "fails" on every message whose body says poison: it does not
delete it, so after max-receive-count receives SQS moves it to the DLQ.
Works against any SQS endpoint (moto_server, LocalStack, AWS).
"""
import argparse
import json
import threading
import time
import uuid

import boto3
from botocore.config import Config


def client(endpoint_url, region):
    # sluice parses but does not verify signatures: any credentials will do.
    return boto3.client(
        "sqs", endpoint_url=endpoint_url, region_name=region,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 3}, read_timeout=30))


def create_queues(sqs, prefix):
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=prefix, Attributes={
        "VisibilityTimeout": "1",               # retry a failed message after 1 s
        "ReceiveMessageWaitTimeSeconds": "5",   # long polling by default
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": 2}),
    }, tags={"example": "producer-consumer"})["QueueUrl"]
    return url, dlq_url


def produce(sqs, url, count):
    """Send count jobs (plus one poison message) in batches of 10."""
    jobs = [{"Id": str(i), "MessageBody": json.dumps({"job": i}),
             "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "job"}}}
            for i in range(count)]
    jobs.append({"Id": "poison", "MessageBody": "poison"})
    for i in range(0, len(jobs), 10):
        resp = sqs.send_message_batch(QueueUrl=url, Entries=jobs[i:i + 10])
        for f in resp.get("Failed", []):
            print(f"  send failed: {f}")
    print(f"producer: sent {len(jobs)} messages")


def consume(sqs, url, expected, deadline):
    """Receive, process and delete until `expected` jobs are done (bounded)."""
    done = 0
    while done < expected and time.time() < deadline:
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"])
        processed = []
        for m in resp.get("Messages", []):
            count = m["Attributes"]["ApproximateReceiveCount"]
            if m["Body"] == "poison":
                print(f"consumer: poison message (receive #{count}), not deleting it")
                continue
            processed.append({"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]})
        if processed:
            sqs.delete_message_batch(QueueUrl=url, Entries=processed)
            done += len(processed)
    print(f"consumer: processed and deleted {done} jobs")
    return done


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint-url", default="http://localhost:4566")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--count", type=int, default=25, help="jobs to send (default 25)")
    args = ap.parse_args()

    sqs = client(args.endpoint_url, args.region)
    prefix = f"example-{uuid.uuid4().hex[:6]}"
    url, dlq_url = create_queues(sqs, prefix)
    print(f"queue {url}\n  dlq {dlq_url}")
    try:
        producer = threading.Thread(target=produce, args=(sqs, url, args.count))
        producer.start()
        done = consume(sqs, url, args.count, deadline=time.time() + 60)
        producer.join()

        # The poison message is redelivered after each visibility timeout; on
        # the receive after its 2nd it moves to the DLQ instead.
        moved = []
        deadline = time.time() + 30
        while not moved and time.time() < deadline:
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)   # drives the redrive
            moved = sqs.receive_message(
                QueueUrl=dlq_url, WaitTimeSeconds=1,
                MessageSystemAttributeNames=["All"]).get("Messages", [])
        for m in moved:
            print(f"dlq: {m['Body']!r} after {m['Attributes']['ApproximateReceiveCount']} "
                  f"receives, from {m['Attributes'].get('DeadLetterQueueSourceArn', '?')}")
        ok = done == args.count and len(moved) == 1
        print("OK" if ok else "unexpected result")
        return 0 if ok else 1
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq_url)


if __name__ == "__main__":
    raise SystemExit(main())
