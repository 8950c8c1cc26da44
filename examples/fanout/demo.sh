#!/usr/bin/env bash
# demo.sh -- SNS fan-out end to end: start sluice with sluice.yaml (topic
# "orders" -> queues billing, shipping, analytics), publish orders with the
# aws CLI and with plain curl, read every queue with the aws CLI, check that
# each got what its filter lets through, and stop the server.
#
#     bash examples/fanout/demo.sh
#
# It starts its own server on 127.0.0.1:${SLUICE_DEMO_PORT:-4580} with a
# throw-away data directory, so it does not touch a sluice you already run.
# The binary is $SLUICE_BIN, else .build/release/sluice, else
# .build/debug/sluice, else `sluice` on the PATH (build it with
# `swift build -c release`). Needs the aws CLI (v1 or v2) and curl; python3,
# if present, prints envelopes more readably. Exits non-zero if a queue did
# not get what it should. Takes a few seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${SLUICE_DEMO_PORT:-4580}"
endpoint="http://127.0.0.1:$port"

if [ -n "${SLUICE_BIN:-}" ]; then
    sluice="$SLUICE_BIN"
elif [ -x "$root/.build/release/sluice" ]; then
    sluice="$root/.build/release/sluice"
elif [ -x "$root/.build/debug/sluice" ]; then
    sluice="$root/.build/debug/sluice"
elif command -v sluice >/dev/null 2>&1; then
    sluice="$(command -v sluice)"
else
    echo "demo.sh: no sluice binary; run 'swift build -c release' or set SLUICE_BIN" >&2
    exit 1
fi
for tool in aws curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "demo.sh: needs $tool" >&2; exit 1; }
done
have_python=false
command -v python3 >/dev/null 2>&1 && have_python=true

# sluice does not check signatures, but the CLI insists on credentials and a
# region: any values do. These are for the local server only.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
unset AWS_PROFILE

sns() { aws --endpoint-url "$endpoint" sns "$@"; }
sqs() { aws --endpoint-url "$endpoint" sqs "$@"; }
step() { printf '\n== %s\n' "$*"; }

# --- start the server ---------------------------------------------------------
if curl -s -o /dev/null --max-time 2 "$endpoint/health"; then
    echo "demo.sh: something already answers on port $port; set SLUICE_DEMO_PORT" >&2
    exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-fanout.XXXXXX")"
server_pid=""
cleanup() {
    status=$?
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$work/sluice.log" ]; then
        echo "--- sluice log ---" >&2
        tail -n 20 "$work/sluice.log" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step "sluice serve --config examples/fanout/sluice.yaml --port $port"
"$sluice" serve --config "$here/sluice.yaml" --port "$port" --data-dir "$work/data" \
    >"$work/sluice.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "$endpoint/health" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "demo.sh: sluice exited" >&2; exit 1; }
    sleep 0.1
done
curl -sf --max-time 2 "$endpoint/health" >/dev/null
echo "listening on $endpoint"

topic="$(sns list-topics --query "Topics[?ends_with(TopicArn, ':orders')].TopicArn | [0]" --output text)"
echo "topic: $topic"

step "subscriptions of the topic (declared in sluice.yaml)"
for arn in $(sns list-subscriptions-by-topic --topic-arn "$topic" \
        --query 'Subscriptions[].SubscriptionArn' --output text); do
    sns get-subscription-attributes --subscription-arn "$arn" --output text \
        --query "Attributes.[Endpoint, join('=', ['raw', RawMessageDelivery]), FilterPolicyScope || '-', FilterPolicy || 'no filter']"
done

# --- publish ------------------------------------------------------------------
event() { printf '{"event":{"DataType":"String","StringValue":"%s"}}' "$1"; }

step "aws sns publish: order 1001 placed, ships to DE"
sns publish --topic-arn "$topic" --subject "Order 1001" \
    --message '{"order":1001,"total":42.50,"shipping":{"country":"DE","city":"Berlin"}}' \
    --message-attributes "$(event order_placed)"

step "aws sns publish: order 1002 placed, ships to US"
sns publish --topic-arn "$topic" \
    --message '{"order":1002,"total":19.99,"shipping":{"country":"US","city":"Boston"}}' \
    --message-attributes "$(event order_placed)"

step "curl POST /topics/orders: order 1001 cancelled"
curl -sS --max-time 5 -X POST "$endpoint/topics/orders" \
    -H 'X-SNS-Subject: Order 1001 cancelled' \
    -H 'X-SNS-Message-Attributes: {"event": "order_cancelled"}' \
    --data-binary '{"order":1001,"shipping":{"country":"DE","city":"Berlin"}}'
echo

step "curl POST /topics/<topic ARN>: order 1003 placed, ships to FR, with a Number attribute"
curl -sS --max-time 5 -X POST "$endpoint/topics/$(printf %s "$topic" | sed 's/:/%3A/g')" \
    -H 'X-SNS-Message-Attributes: {"event": "order_placed", "total": {"DataType": "Number", "StringValue": "310.00"}}' \
    --data-binary '{"order":1003,"total":310.00,"shipping":{"country":"FR","city":"Lyon"}}'
echo

step "aws sns publish-batch: order 1004 placed (NL), order 1003 paid"
sns publish-batch --topic-arn "$topic" --publish-batch-request-entries '[
  {"Id": "placed-1004", "Message": "{\"order\":1004,\"total\":7.00,\"shipping\":{\"country\":\"NL\"}}",
   "MessageAttributes": {"event": {"DataType": "String", "StringValue": "order_placed"}}},
  {"Id": "paid-1003", "Message": "{\"order\":1003,\"paid\":true}",
   "MessageAttributes": {"event": {"DataType": "String", "StringValue": "order_paid"}}}]' \
    --query 'Successful[].[Id, MessageId]' --output text

step "an undeliverable copy: billing now takes at most 1 KiB; order 1005 is bigger"
sqs set-queue-attributes --queue-url "$endpoint/000000000000/billing" \
    --attributes MaximumMessageSize=1024
note="$(head -c 1200 /dev/zero | tr '\0' x)"
sns publish --topic-arn "$topic" \
    --message "{\"order\":1005,\"note\":\"$note\",\"shipping\":{\"country\":\"US\"}}" \
    --message-attributes "$(event order_placed)" --query MessageId --output text

# --- read every queue -----------------------------------------------------------
# Prints one line per message: the raw body and its attributes, or for an SNS
# envelope its Subject, Message and attributes (Signature etc. left out).
summarize() {
    if $have_python; then
        python3 -c '
import json, sys
for m in json.load(sys.stdin) or []:
    attrs = {k: v.get("StringValue", v.get("BinaryValue")) for k, v in (m.get("MessageAttributes") or {}).items()}
    try:
        env = json.loads(m["Body"])
    except ValueError:
        env = None
    if isinstance(env, dict) and env.get("Type") == "Notification":
        attrs = {k: v["Value"] for k, v in env.get("MessageAttributes", {}).items()}
        subject = " subject=%r" % env["Subject"] if "Subject" in env else ""
        print("  envelope%s message=%s attributes=%s" % (subject, env["Message"][:90], attrs))
    else:
        print("  raw body=%s attributes=%s" % (m["Body"][:90], attrs))
'
    else
        cat
    fi
}

# Receives until the queue is empty (at most 5 rounds); the messages stay in
# flight, not deleted: consumer.py shows receive-and-delete. Sets $count.
read_queue() {
    local name="$1" batch n
    count=0
    step "aws sqs receive-message: $name"
    for _ in 1 2 3 4 5; do
        batch="$(sqs receive-message --queue-url "$endpoint/000000000000/$name" \
            --max-number-of-messages 10 --wait-time-seconds 1 --visibility-timeout 60 \
            --message-attribute-names All --query 'Messages' --output json)"
        n="$(printf '%s' "$batch" | grep -c '"ReceiptHandle"' || true)"
        [ "$n" -eq 0 ] && break
        printf '%s' "$batch" | summarize
        count=$((count + n))
    done
    echo "  -> $count message(s)"
}

failures=0
expect() {
    read_queue "$1"
    if [ "$count" -ne "$2" ]; then
        echo "  !! expected $2" >&2
        failures=$((failures + 1))
    fi
}
expect billing 4                 # 1001, 1002, 1003, 1004 placed (1005 did not fit)
expect shipping 4                # 1001, 1001 cancelled, 1003 (FR), 1004 (NL)
expect analytics 7               # everything
expect orders-undeliverable 1    # billing's copy of 1005

step "done"
if [ "$failures" -ne 0 ]; then
    echo "$failures queue(s) did not get what they should" >&2
    exit 1
fi
echo "every queue got what its subscription lets through; stopping sluice"
