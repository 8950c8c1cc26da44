"""A plain Lambda Python handler, run by the REAL awslambdaric
(``python3 -m awslambdaric app.handler``) under sluice's runtime executor.

The event can ask for:
* ``{"print": "text"}``  print text (stdout goes to the function log)
* ``{"sleep": S}``       sleep S seconds
* ``{"raise": "ValueError", "message": "text"}`` raise that builtin exception
"""

import builtins
import os
import time

COLD = {"started": time.time()}

ENV_KEYS = ["GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION", "AWS_ENDPOINT_URL", "_HANDLER", "AWS_LAMBDA_RUNTIME_API"]


def handler(event, context):
    ev = event if isinstance(event, dict) else {}
    if ev.get("print"):
        print(ev["print"], flush=True)
    if ev.get("sleep"):
        time.sleep(float(ev["sleep"]))
    if ev.get("raise"):
        exc = getattr(builtins, ev["raise"])
        raise exc(ev.get("message", "raised on request"))
    cc = context.client_context
    return {
        "client_context_custom": getattr(cc, "custom", None) if cc is not None else None,
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "function_version": context.function_version,
        "event": event,
        "pid": os.getpid(),
        "cold_start": COLD["started"],
        "cwd": os.getcwd(),
        "env": {k: os.environ.get(k) for k in ENV_KEYS},
    }
