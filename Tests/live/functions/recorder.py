"""Command-executor handler that records every invocation as one JSON line.

The file is ``$RECORD_DIR/<key>.jsonl`` where ``key`` is
* the queue name for an SQS event (from ``Records[0].eventSourceARN``),
* the topic name for an SNS event (from ``Records[0].Sns.TopicArn``),
* ``event["key"]`` for a direct invocation (else ``direct``).

Each line: ``{"t": <epoch seconds at start>, "pid": ..., "function": ..., "event": <event>}``.

Behaviour ("mode") comes from ``$FORCE_MODE`` or from the file
``$RECORD_DIR/<key>.mode`` (JSON ``{"mode": ..., "sleep": seconds}``):

* ``ok`` (default)  empty stdout (null response)
* ``fail``          exit 1 (function error)
* ``partial``       ReportBatchItemFailures: report the SQS records whose body starts
                    with ``bad`` while their ApproximateReceiveCount is < 2
* ``malformed``     while any record has ApproximateReceiveCount 1, answer an invalid
                    batchItemFailures structure; later answer ``{"batchItemFailures": []}``
"""

import json
import os
import sys
import time

start = time.time()
raw = sys.stdin.read()
event = json.loads(raw) if raw.strip() else None
ev = event if isinstance(event, dict) else {}
records = ev.get("Records") if isinstance(ev.get("Records"), list) else []

key = "direct"
if records and isinstance(records[0], dict) and records[0].get("eventSourceARN"):
    key = records[0]["eventSourceARN"].split(":")[-1]
elif records and isinstance(records[0], dict) and isinstance(records[0].get("Sns"), dict):
    key = str(records[0]["Sns"].get("TopicArn", "")).split(":")[-1] or "sns"
elif ev.get("key"):
    key = str(ev["key"])

rec_dir = os.environ["RECORD_DIR"]
settings = {}
mode_file = os.path.join(rec_dir, key + ".mode")
if os.path.exists(mode_file):
    with open(mode_file) as f:
        settings = json.load(f)
mode = os.environ.get("FORCE_MODE") or settings.get("mode", "ok")

line = json.dumps({"t": start, "pid": os.getpid(), "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
                   "mode": mode, "event": event}) + "\n"
fd = os.open(os.path.join(rec_dir, key + ".jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
try:
    os.write(fd, line.encode())
finally:
    os.close(fd)

if settings.get("sleep"):
    time.sleep(float(settings["sleep"]))


def count(r):
    return int(r.get("attributes", {}).get("ApproximateReceiveCount", "1"))


if mode == "fail":
    print(f"recorder: failing on purpose ({key})", file=sys.stderr)
    sys.exit(1)
elif mode == "partial":
    failed = [r["messageId"] for r in records if str(r.get("body", "")).startswith("bad") and count(r) < 2]
    print(json.dumps({"batchItemFailures": [{"itemIdentifier": i} for i in failed]}))
elif mode == "malformed":
    if any(count(r) < 2 for r in records):
        print(json.dumps({"batchItemFailures": [{"foo": "notvalid"}]}))
    else:
        print(json.dumps({"batchItemFailures": []}))
