"""Command-executor handler for the concurrency test: writes
``$CONC_DIR/<event.key>-<event.i>.json`` = {"start": t0, "end": t1, "pid": ...}
around a sleep of ``event.sleep`` seconds (default 0.5), then answers {"i": i}."""

import json
import os
import sys
import time

event = json.loads(sys.stdin.read())
start = time.time()
time.sleep(float(event.get("sleep", 0.5)))
end = time.time()
path = os.path.join(os.environ["CONC_DIR"], f"{event['key']}-{event['i']}.json")
with open(path + ".tmp", "w") as f:
    json.dump({"start": start, "end": end, "pid": os.getpid()}, f)
os.rename(path + ".tmp", path)
print(json.dumps({"i": event["i"]}))
