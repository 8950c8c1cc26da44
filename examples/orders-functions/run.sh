#!/usr/bin/env bash
# run.sh -- a queue feeding a local function, end to end: sluice with
# sluice.yaml (topic orders -> queues billing and shipping; billing -> the
# Python function bill-order), five orders published with the aws CLI, and
# where each one ended up.
#
#     bash examples/orders-functions/run.sh            # all in one: start sluice, publish, show, stop
#     bash examples/orders-functions/run.sh serve      # terminal 1: sluice in the foreground
#     bash examples/orders-functions/run.sh publish    # terminal 2: publish and show the outcome
#
# serve runs `swift run sluice serve --config examples/orders-functions/sluice.yaml`
# from the repository root (data in ./.sluice-orders-functions there), or
# `$SLUICE_BIN serve --config ...` when SLUICE_BIN names a built binary.
# The all-in-one run builds with `swift build` unless SLUICE_BIN is set,
# listens on port ${SLUICE_PORT:-4566}, keeps its data in a temporary
# directory and stops the server at the end. publish talks to
# $SLUICE_ENDPOINT (default http://localhost:4566).
#
# Needs the aws CLI (v1 or v2), curl, and a Python that can import
# awslambdaric (python3 -m pip install awslambdaric==4.2.2): sluice starts the
# handler with $SLUICE_PYTHON, else the python3 on its PATH. Exits non-zero
# if the two bad orders did not reach billing-dlq. Takes about half a minute:
# a failed order is received three times, 5 seconds apart, before it moves.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-all}"

# sluice does not check signatures, but the CLI insists on credentials and a
# region: any values do. These are for the local server only.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
unset AWS_PROFILE

step() { printf '\n== %s\n' "$*"; }
die() { echo "run.sh: $*" >&2; exit 1; }

need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
    done
}

need_awslambdaric() {
    local python="${SLUICE_PYTHON:-python3}"
    "$python" -c 'import awslambdaric' 2>/dev/null || die "$python ($(command -v "$python")) cannot import awslambdaric.
Install it for the python sluice will run (\$SLUICE_PYTHON, else python3 on the PATH), e.g.:
    python3 -m venv .venv && .venv/bin/python3 -m pip install awslambdaric==4.2.2
    export SLUICE_PYTHON=\$PWD/.venv/bin/python3"
}

# Processes this script started, stopped on exit.
server_pid=""
events_pid=""
work=""
cleanup() {
    local status=$?
    if [ -n "$events_pid" ]; then
        kill "$events_pid" 2>/dev/null || true
        wait "$events_pid" 2>/dev/null || true
    fi
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -n "$work" ] && [ -f "$work/sluice.log" ]; then
        echo "--- sluice log ---" >&2
        tail -n 20 "$work/sluice.log" >&2
    fi
    if [ -n "$work" ]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# --- serve: sluice in the foreground ------------------------------------------
serve() {
    need_awslambdaric
    cd "$root"
    if [ -n "${SLUICE_BIN:-}" ]; then
        exec "$SLUICE_BIN" serve --config examples/orders-functions/sluice.yaml
    fi
    need_tools swift
    exec swift run sluice serve --config examples/orders-functions/sluice.yaml
}

# --- publish: orders in, outcome out ------------------------------------------
publish() {
    local endpoint="$1"
    need_tools aws curl python3
    [ -n "$work" ] || work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-orders-functions.XXXXXX")"
    curl -sf --max-time 2 -o /dev/null "$endpoint/health" ||
        die "no sluice answers at $endpoint; start it with: bash examples/orders-functions/run.sh serve"

    sns() { aws --endpoint-url "$endpoint" sns "$@"; }
    sqs() { aws --endpoint-url "$endpoint" sqs "$@"; }
    lambda() { aws --endpoint-url "$endpoint" lambda "$@"; }
    queue_url() { sqs get-queue-url --queue-name "$1" --query QueueUrl --output text; }
    # Prints "<visible> <in flight>" for a queue.
    counts() {
        sqs get-queue-attributes --queue-url "$1" --output text \
            --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
            --query 'Attributes.[ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible]'
    }

    local topic billing dlq shipping
    topic="$(sns list-topics --query "Topics[?ends_with(TopicArn, ':orders')].TopicArn | [0]" --output text)"
    billing="$(queue_url billing)"
    dlq="$(queue_url billing-dlq)"
    shipping="$(queue_url shipping)"
    echo "topic: $topic"

    local dlq_before shipping_before _
    read -r dlq_before _ <<<"$(counts "$dlq")"
    read -r shipping_before _ <<<"$(counts "$shipping")"

    # The event bus, filtered to the function, recorded while the orders flow.
    curl -sN "$endpoint/_sluice/events?function=bill-order" >"$work/events.txt" 2>/dev/null &
    events_pid=$!

    step "aws sns publish: five orders, two of them with a negative amount"
    echo "\$ aws --endpoint-url $endpoint sns publish --topic-arn $topic --message '{\"order\":1001,\"amount\":42.50}'"
    local order amount
    for order in "1001 42.50" "1002 19.99" "1003 -5.00" "1004 7.00" "1005 -12.00"; do
        read -r order amount <<<"$order"
        printf '  order %s, amount %6s -> MessageId ' "$order" "$amount"
        sns publish --topic-arn "$topic" --message "{\"order\":$order,\"amount\":$amount}" \
            --query MessageId --output text
    done

    step "bill-order takes billing's messages in batches; failed orders come back every 5 s"
    local deadline=$((SECONDS + 90)) line last="" visible inflight dlq_now
    while :; do
        read -r visible inflight <<<"$(counts "$billing")"
        read -r dlq_now _ <<<"$(counts "$dlq")"
        line="billing: $visible visible, $inflight in flight    billing-dlq: $((dlq_now - dlq_before)) new"
        if [ "$line" != "$last" ]; then
            printf '  %3ds  %s\n' "$((SECONDS + 90 - deadline))" "$line"
            last="$line"
        fi
        if [ "$visible" -eq 0 ] && [ "$inflight" -eq 0 ] && [ $((dlq_now - dlq_before)) -ge 2 ]; then
            break
        fi
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 1
    done

    step "aws sqs receive-message: billing-dlq (orders not billed after 3 receives)"
    sqs receive-message --queue-url "$dlq" --max-number-of-messages 10 --visibility-timeout 10 \
        --attribute-names All --output text \
        --query 'Messages[].[Body, Attributes.ApproximateReceiveCount, Attributes.DeadLetterQueueSourceArn]' |
        sed 's/^/  /'

    step "aws sqs get-queue-attributes: shipping (every order, as the SNS envelope; no function reads it here)"
    local shipping_now
    read -r shipping_now _ <<<"$(counts "$shipping")"
    echo "  $((shipping_now - shipping_before)) new message(s)"

    step "aws lambda list-event-source-mappings --function-name bill-order"
    lambda list-event-source-mappings --function-name bill-order

    step "aws lambda invoke: bill-order called directly with a batch of two (no queue involved)"
    local payload binary_format=() status error log
    payload='{"Records": [
      {"messageId": "test-1", "body": "{\"order\": 2001, \"amount\": 5}", "attributes": {"ApproximateReceiveCount": "1"}},
      {"messageId": "test-2", "body": "{\"order\": 2002, \"amount\": -1}", "attributes": {"ApproximateReceiveCount": "1"}}]}'
    # AWS CLI v2 reads --payload as base64 unless told otherwise; v1 sends it as is.
    if aws --version 2>&1 | grep -q '^aws-cli/2'; then
        binary_format=(--cli-binary-format raw-in-base64-out)
    fi
    read -r status error log <<<"$(lambda invoke --function-name bill-order \
        ${binary_format[@]+"${binary_format[@]}"} --payload "$payload" --log-type Tail \
        --query '[StatusCode, FunctionError, LogResult]' --output text "$work/response.json")"
    [ "$error" != None ] || error="(none: the handler returned; its failures are in the response)"
    echo "  StatusCode $status, FunctionError $error"
    echo "  response: $(cat "$work/response.json")"
    echo "  log (X-Amz-Log-Result, decoded):"
    printf '%s' "$log" | python3 -c 'import base64, sys; sys.stdout.write(base64.b64decode(sys.stdin.read()).decode(errors="replace"))' |
        sed 's/^/    /'

    step "curl $endpoint/_sluice/functions/bill-order/logs?tail=20"
    curl -sS --max-time 5 "$endpoint/_sluice/functions/bill-order/logs?tail=20" | sed 's/^/  /'

    step "curl $endpoint/_sluice/events?function=bill-order (recorded during the run), by kind"
    kill "$events_pid" 2>/dev/null || true
    wait "$events_pid" 2>/dev/null || true
    events_pid=""
    grep '^event:' "$work/events.txt" | sort | uniq -c | sed 's/event: //' || echo "  (no events)"

    step "curl $endpoint/metrics: the function's counters"
    curl -sS --max-time 5 "$endpoint/metrics" |
        grep -E '^lambda_(invocations|errors|throttles)_total\{[^}]*bill-order' | sed 's/^/  /' ||
        echo "  (no lambda_* series for bill-order)"

    step "done"
    if [ $((dlq_now - dlq_before)) -ne 2 ] || [ "$visible" -ne 0 ] || [ "$inflight" -ne 0 ]; then
        die "expected orders 1003 and 1005 in billing-dlq and billing empty; got $((dlq_now - dlq_before)) new in billing-dlq, billing $visible visible, $inflight in flight"
    fi
    echo "orders 1001, 1002 and 1004 were billed; 1003 and 1005 are in billing-dlq"
}

# --- all in one ---------------------------------------------------------------
run_all() {
    local port="${SLUICE_PORT:-4566}" sluice
    local endpoint="http://127.0.0.1:$port"
    need_tools aws curl python3
    need_awslambdaric
    if [ -n "${SLUICE_BIN:-}" ]; then
        sluice="$SLUICE_BIN"
    else
        need_tools swift
        step "swift build --product sluice"
        (cd "$root" && swift build --product sluice)
        sluice="$(cd "$root" && swift build --show-bin-path)/sluice"
    fi
    if curl -s -o /dev/null --max-time 2 "$endpoint/health"; then
        die "something already answers on port $port; stop it, set SLUICE_PORT, or use 'run.sh publish'"
    fi
    work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-orders-functions.XXXXXX")"

    step "sluice serve --config examples/orders-functions/sluice.yaml --port $port"
    "$sluice" serve --config "$here/sluice.yaml" --port "$port" --data-dir "$work/data" \
        >"$work/sluice.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "$endpoint/health" && break
        kill -0 "$server_pid" 2>/dev/null || die "sluice exited"
        sleep 0.1
    done
    curl -sf --max-time 2 -o /dev/null "$endpoint/health" || die "sluice did not answer on $endpoint"
    echo "listening on $endpoint"

    publish "$endpoint"
    echo "stopping sluice"
}

case "$mode" in
    all) run_all ;;
    serve) serve ;;
    publish) publish "${SLUICE_ENDPOINT:-http://localhost:4566}" ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" ;;
    *) die "unknown step '$mode' (expected serve, publish, or nothing for all in one)" ;;
esac
