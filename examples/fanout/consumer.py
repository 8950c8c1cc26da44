#!/usr/bin/env python3
"""consumer.py -- a boto3 long-polling consumer for one queue of the fan-out
example: receives, unwraps SNS envelopes, handles, deletes.

    sluice serve --config examples/fanout/sluice.yaml      # in another terminal
    python3 examples/fanout/consumer.py --queue shipping [--verify]

Messages come in two shapes. A subscription with raw delivery (billing) puts
the published body into the queue verbatim, with the SNS message attributes
as SQS message attributes. Any other subscription (shipping, analytics) puts
the SNS envelope: a JSON document with Type, MessageId, TopicArn, Subject,
Message, Timestamp, the signature and MessageAttributes. --verify checks
that signature against sluice's certificate (needs `pip install cryptography`).

A message is deleted only after handle() returns. If handle() raises, the
message becomes visible again after the queue's VisibilityTimeout, and after
max-receive-count receives the queue's redrive policy moves it to its
dead-letter queue (billing-dlq, shipping-dlq).

Stops on Ctrl-C, or after --exit-when-idle seconds without a message.
Works against Amazon SQS too (without --verify, which trusts only sluice's
certificate URL).
"""
import argparse
import base64
import json
import os
import signal
import time
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config

CERT_PATH = "/_sluice/sns/SimpleNotificationService-sluice.pem"

# Fields signed in an SNS notification, in the order they are signed.
SIGNED_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", default=os.environ.get("SLUICE_ENDPOINT", "http://localhost:4566"))
    parser.add_argument("--queue", default="analytics", help="queue name (default: analytics)")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--wait", type=int, default=20, help="long-poll wait per receive, 0-20 s")
    parser.add_argument("--exit-when-idle", type=float, metavar="SECONDS",
                        help="stop after this long without a message (default: run until Ctrl-C)")
    parser.add_argument("--verify", action="store_true", help="verify the signature of SNS envelopes")
    return parser.parse_args()


class SignatureChecker:
    """Verifies SNS envelopes against the certificate sluice serves.

    The certificate is fetched from our own endpoint, never from whatever
    host SigningCertURL names: a message must not choose the key it is
    checked with. (Against AWS, check that the URL is https on
    sns.<region>.amazonaws.com instead.)
    """

    def __init__(self, endpoint_url):
        from cryptography import x509  # imported here: only --verify needs it
        with urllib.request.urlopen(endpoint_url.rstrip("/") + CERT_PATH, timeout=10) as response:
            self.key = x509.load_pem_x509_certificate(response.read()).public_key()

    def check(self, envelope):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        if urllib.parse.urlparse(envelope["SigningCertURL"]).path != CERT_PATH:
            raise ValueError("unexpected SigningCertURL %s" % envelope["SigningCertURL"])
        text = "".join("%s\n%s\n" % (field, envelope[field]) for field in SIGNED_FIELDS if field in envelope)
        digest = hashes.SHA256() if envelope["SignatureVersion"] == "2" else hashes.SHA1()
        # Raises cryptography.exceptions.InvalidSignature on a mismatch.
        self.key.verify(base64.b64decode(envelope["Signature"]), text.encode(), padding.PKCS1v15(), digest)


def unwrap(message):
    """(subject, body, attributes, envelope or None) of an SQS message."""
    try:
        envelope = json.loads(message["Body"])
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification" and "TopicArn" in envelope:
        attributes = {name: a["Value"] for name, a in envelope.get("MessageAttributes", {}).items()}
        return envelope.get("Subject"), envelope["Message"], attributes, envelope
    attributes = {name: a.get("StringValue", a.get("BinaryValue"))
                  for name, a in message.get("MessageAttributes", {}).items()}
    return None, message["Body"], attributes, None


def handle(queue, subject, body, attributes):
    """The work. Raise to leave the message in the queue for another try."""
    order = json.loads(body)
    what = attributes.get("event", "-")
    country = order.get("shipping", {}).get("country", "-")
    print("%s: order %s %s (ships to %s)%s" % (queue, order.get("order"), what, country,
                                              " subject=%r" % subject if subject else ""), flush=True)


def main():
    args = parse_args()
    sqs = boto3.client(
        "sqs", endpoint_url=args.endpoint_url, region_name=args.region,
        # sluice parses but does not verify request signatures: any credentials do.
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(read_timeout=args.wait + 10, retries={"max_attempts": 3}))
    queue_url = sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    checker = SignatureChecker(args.endpoint_url) if args.verify else None

    # Ctrl-C and SIGTERM interrupt even a long poll in progress; a message
    # received but not yet deleted simply comes back after its visibility timeout.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print("consuming %s (Ctrl-C stops)" % queue_url, flush=True)
    idle_since = time.monotonic()
    try:
        while True:
            wait = args.wait
            if args.exit_when_idle is not None:
                left = args.exit_when_idle - (time.monotonic() - idle_since)
                if left <= 0:
                    break
                wait = max(0, min(wait, int(left + 0.999)))
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                MessageAttributeNames=["All"]).get("Messages", [])
            if messages:
                idle_since = time.monotonic()
            done = []
            for message in messages:
                subject, body, attributes, envelope = unwrap(message)
                try:
                    if envelope is not None and checker is not None:
                        checker.check(envelope)
                    handle(args.queue, subject, body, attributes)
                except Exception as error:  # leave it for a retry, then the dead-letter queue
                    print("%s: failed, left in the queue: %r" % (args.queue, error), flush=True)
                    continue
                done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
            if done:
                for entry in sqs.delete_message_batch(QueueUrl=queue_url, Entries=done).get("Failed", []):
                    print("%s: delete failed: %s" % (args.queue, entry.get("Message")), flush=True)
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
