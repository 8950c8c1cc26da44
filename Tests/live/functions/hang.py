"""Command-executor handler that never answers: it writes its pid to
``event["pidfile"]`` and sleeps for an hour (the function's timeout must end it)."""

import json
import os
import sys
import time

event = json.loads(sys.stdin.read() or "{}")
if isinstance(event, dict) and event.get("pidfile"):
    with open(event["pidfile"] + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(event["pidfile"] + ".tmp", event["pidfile"])
print("hang: going to sleep", file=sys.stderr, flush=True)
time.sleep(3600)
