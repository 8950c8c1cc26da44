"""Command-executor handler (sluice functions, `executor: command`).

Reads the event JSON from stdin and answers with one JSON object on stdout
describing what it saw: the event, its working directory, selected environment
variables and its pid. The event can ask for other behaviour:

* ``{"log": "text"}``      write ``text`` to stderr (goes to the function log)
* ``{"trailing": "text"}`` print ``text`` on stdout AFTER the response (goes to the log)
* ``{"exit": N, "stderr": "text"}`` write ``text`` to stderr and exit with status N
* ``{"silent": true}``     print nothing (empty stdout = null response)
* ``{"sleep": S}``         sleep S seconds first
"""

import json
import os
import sys
import time

ENV_KEYS = ["GREETING", "RECORD_DIR", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "AWS_ENDPOINT_URL",
            "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_RUNTIME_API"]

raw = sys.stdin.read()
event = json.loads(raw) if raw.strip() else None
ev = event if isinstance(event, dict) else {}

if ev.get("log"):
    print(ev["log"], file=sys.stderr, flush=True)
if ev.get("sleep"):
    time.sleep(float(ev["sleep"]))
if "exit" in ev:
    print(ev.get("stderr", "failing on request"), file=sys.stderr, flush=True)
    sys.exit(int(ev["exit"]))
if ev.get("silent"):
    sys.exit(0)

marker = None
if os.path.exists("marker.txt"):
    with open("marker.txt") as f:
        marker = f.read().strip()



def open_descriptors():
    """fd -> target of every descriptor beyond stdin/stdout/stderr (what the process inherited)."""
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the directory descriptor listdir used, closed by now
        if int(name) > 2:
            fds[name] = target
    return fds


out = {
    "fds": open_descriptors(),
    "event": event,
    "cwd": os.getcwd(),
    "marker": marker,
    "env": {k: os.environ.get(k) for k in ENV_KEYS},
    "pid": os.getpid(),
}
sys.stdout.write(json.dumps(out) + "\n")
sys.stdout.flush()
if ev.get("trailing"):
    sys.stdout.write(str(ev["trailing"]) + "\n")
    sys.stdout.flush()
