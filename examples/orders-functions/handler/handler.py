"""bill-order: charges the orders that arrive in the SQS queue "billing".

A plain AWS Lambda handler: sluice runs it the way Lambda runs Python, through
the Runtime Interface Client (`python3 -m awslambdaric handler.handler`, with
this directory as working directory and on PYTHONPATH), so the same file
deploys to AWS Lambda unchanged. Locally it needs
`python3 -m pip install awslambdaric==4.2.2` for the Python sluice runs:
$SLUICE_PYTHON, else the python3 on sluice's PATH.

The event is a batch of SQS records, {"Records": [...]}. The event source
mapping in ../sluice.yaml sets report-batch-item-failures, so the handler
answers with the messageIds of the orders it could not bill:

    {"batchItemFailures": [{"itemIdentifier": "<messageId>"}, ...]}

sluice deletes the other messages of the batch. The listed ones stay in the
queue, come back after billing's VisibilityTimeout, and after their third
receive move to billing-dlq (billing's RedrivePolicy). Raising an exception
instead would fail the whole batch: every message in it would come back.
"""

import json
import os

# From the function's environment: in sluice.yaml under environment:, on AWS
# the function configuration's Environment.Variables.
CURRENCY = os.environ.get("CURRENCY", "EUR")


def handler(event, context):
    records = event.get("Records", [])
    failures = []
    for record in records:
        receives = record.get("attributes", {}).get("ApproximateReceiveCount", "?")
        try:
            order = parse_order(record["body"])
            charge(order)
        except Exception as error:  # one bad order must not fail the others
            print(f"not billed: message {record['messageId']} (receive {receives}): {error}")
            failures.append({"itemIdentifier": record["messageId"]})
    print(f"batch of {len(records)}: {len(records) - len(failures)} billed, {len(failures)} failed")
    return {"batchItemFailures": failures}


def parse_order(body):
    """The order in a record's body: raw JSON, or the Message of an SNS envelope."""
    message = json.loads(body)
    if isinstance(message, dict) and message.get("Type") == "Notification":
        message = json.loads(message["Message"])  # a subscription without raw delivery
    if not isinstance(message, dict) or "order" not in message:
        raise ValueError("not an order")
    return message


def charge(order):
    amount = order.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise ValueError(f"order {order['order']}: no amount")
    if amount < 0:
        raise ValueError(f"order {order['order']}: negative amount {amount:.2f}")
    print(f"billed order {order['order']}: {amount:.2f} {CURRENCY}")
