#!/usr/bin/env bash
# quickstart.sh -- a queue's life with the AWS CLI against a local sluice.
#
# Start the server first (in another terminal):
#     swift run -c release sluice serve
# then:
#     bash examples/quickstart.sh
#
# Works against any SQS endpoint: SLUICE_ENDPOINT=http://127.0.0.1:5010 for a
# moto_server, for example. Needs the aws CLI (pip install awscli) and curl.
set -euo pipefail

endpoint="${SLUICE_ENDPOINT:-http://localhost:4566}"
queue="${QUEUE_NAME:-quickstart-$$}"

# sluice does not check signatures, but the CLI insists on credentials and a
# region: any values do.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""

sqs() { aws --endpoint-url "$endpoint" sqs "$@"; }
show() { printf '\n$ aws sqs %s\n' "$*"; }

show create-queue --queue-name "$queue"
queue_url="$(sqs create-queue --queue-name "$queue" \
    --attributes VisibilityTimeout=30,ReceiveMessageWaitTimeSeconds=0 \
    --query QueueUrl --output text)"
echo "$queue_url"     # http://localhost:4566/000000000000/<queue>

show get-queue-url --queue-name "$queue"
sqs get-queue-url --queue-name "$queue" --query QueueUrl --output text

show send-message
sqs send-message --queue-url "$queue_url" --message-body "hello from the aws CLI" \
    --message-attributes '{"kind":{"DataType":"String","StringValue":"greeting"}}'

show send-message-batch
sqs send-message-batch --queue-url "$queue_url" --entries \
    Id=a,MessageBody=first Id=b,MessageBody=second

show get-queue-attributes
sqs get-queue-attributes --queue-url "$queue_url" \
    --attribute-names ApproximateNumberOfMessages QueueArn

# Receive with long polling, print each message, delete it by receipt handle.
received=0
for _ in 1 2 3 4 5; do
    [ "$received" -ge 3 ] && break
    show receive-message --max-number-of-messages 10 --wait-time-seconds 5
    batch="$(sqs receive-message --queue-url "$queue_url" \
        --max-number-of-messages 10 --wait-time-seconds 5 \
        --message-attribute-names All \
        --query 'Messages[].[ReceiptHandle,Body]' --output text)"
    [ -z "$batch" ] || [ "$batch" = "None" ] && continue
    while IFS=$'\t' read -r handle body; do
        echo "received: $body"
        sqs delete-message --queue-url "$queue_url" --receipt-handle "$handle"
        received=$((received + 1))
    done <<<"$batch"
done
echo "received and deleted $received messages"

# The same port speaks the older Query protocol (form POST, XML answers) used
# by Java SDK v1 and hand-written clients: no SDK needed. sluice needs no
# Authorization header; the dummy one lets other emulators (moto) see that
# the request is for SQS.
printf '\n$ curl -d Action=GetQueueAttributes ... (Query protocol)\n'
curl -sS "$endpoint/" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/$AWS_DEFAULT_REGION/sqs/aws4_request, SignedHeaders=host, Signature=0" \
    --data-urlencode "Action=GetQueueAttributes" \
    --data-urlencode "Version=2012-11-05" \
    --data-urlencode "QueueUrl=$queue_url" \
    --data-urlencode "AttributeName.1=ApproximateNumberOfMessages"
echo

show delete-queue
sqs delete-queue --queue-url "$queue_url"
echo "done"
