"""Durability: kill -9 under load and restart on the same data directory.

Every acknowledged SendMessage must survive exactly once; a delete acknowledged
before the crash must stay deleted; in-flight (received, not deleted) messages
stay invisible until their visibility timeout ends; queue attributes, tags and
FIFO deduplication state survive too.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from helpers import make_boto_client, uniq


def _drain_all(c, url, idle_rounds=2):
    got = []
    empty = 0
    while empty < idle_rounds:
        msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                 VisibilityTimeout=120).get("Messages", [])
        if not msgs:
            empty += 1
            continue
        empty = 0
        got.extend(msgs)
    return got


@pytest.mark.parametrize("durability", ["full", "relaxed"])
def test_kill9_under_load_keeps_every_acknowledged_message(private_server, durability):
    """Both modes survive a kill -9 of the process (config/sluice.yaml: relaxed only
    risks the last commits on power loss / OS crash)."""
    srv = private_server(extra_args=["--durability", durability])
    c = make_boto_client(srv.endpoint, read_timeout=10)
    name = uniq("durable")
    url = c.create_queue(QueueName=name)["QueueUrl"]

    # a delete acknowledged before the crash must stick
    gone_id = c.send_message(QueueUrl=url, MessageBody="deleted-before-kill")["MessageId"]
    m = c.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    assert m["MessageId"] == gone_id
    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    acked: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()
    errors_after_kill = Counter()

    def single_sender(tid):
        cl = make_boto_client(srv.endpoint, read_timeout=10, connect_timeout=2)
        n = 0
        while not stop.is_set():
            body = f"t{tid}-{n}"
            n += 1
            try:
                r = cl.send_message(QueueUrl=url, MessageBody=body)
            except Exception as e:  # noqa: BLE001 - connection errors after the kill
                errors_after_kill[type(e).__name__] += 1
                if stop.is_set() or not srv.alive():
                    return
                continue
            with lock:
                acked[r["MessageId"]] = body

    def batch_sender(tid):
        cl = make_boto_client(srv.endpoint, read_timeout=10, connect_timeout=2)
        n = 0
        while not stop.is_set():
            entries = [{"Id": f"e{i}", "MessageBody": f"b{tid}-{n}-{i}"} for i in range(10)]
            n += 1
            try:
                r = cl.send_message_batch(QueueUrl=url, Entries=entries)
            except Exception as e:  # noqa: BLE001
                errors_after_kill[type(e).__name__] += 1
                if stop.is_set() or not srv.alive():
                    return
                continue
            bodies = {e["Id"]: e["MessageBody"] for e in entries}
            with lock:
                for ok in r.get("Successful", []):
                    acked[ok["MessageId"]] = bodies[ok["Id"]]

    threads = [threading.Thread(target=single_sender, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=batch_sender, args=(100 + i,)) for i in range(2)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 8 and len(acked) < 400:
        time.sleep(0.05)
    srv.kill9()  # mid-load
    stop.set()
    for t in threads:
        t.join(20)
    assert len(acked) >= 50, f"too few acknowledged sends before the kill ({len(acked)}); server too slow?"

    srv.restart()
    c = make_boto_client(srv.endpoint, read_timeout=10)
    url = c.get_queue_url(QueueName=name)["QueueUrl"]
    got = _drain_all(c, url)
    counts = Counter(m["MessageId"] for m in got)
    dupes = {k: v for k, v in counts.items() if v > 1}
    assert not dupes, f"messages delivered more than once while in flight after restart: {list(dupes)[:5]}"
    missing = [mid for mid in acked if mid not in counts]
    assert not missing, (f"{len(missing)} of {len(acked)} acknowledged messages lost after kill -9, "
                         f"e.g. {[acked[x] for x in missing[:5]]}")
    print(f"[{durability}] acknowledged {len(acked)} sends before kill -9; {len(got)} messages after restart; "
          f"client errors {dict(errors_after_kill)}")
    bodies = {m["MessageId"]: m["Body"] for m in got}
    wrong = [mid for mid in acked if bodies[mid] != acked[mid]]
    assert not wrong, f"bodies changed across restart: {wrong[:5]}"
    assert gone_id not in counts, "a message deleted before the kill came back"


def test_restart_preserves_inflight_state_queue_config_and_fifo_dedup(private_server):
    srv = private_server(extra_args=["--durability", "full"])
    c = make_boto_client(srv.endpoint)
    name = uniq("state")
    url = c.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "37", "DelaySeconds": "0"},
                         tags={"keep": "me"})["QueueUrl"]
    fifo = uniq("statef") + ".fifo"
    furl = c.create_queue(QueueName=fifo, Attributes={"FifoQueue": "true"})["QueueUrl"]
    f1 = c.send_message(QueueUrl=furl, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="dd")

    a = c.send_message(QueueUrl=url, MessageBody="in-flight")["MessageId"]
    b_id = None
    got = c.receive_message(QueueUrl=url, WaitTimeSeconds=1, VisibilityTimeout=5)["Messages"]
    assert [m["MessageId"] for m in got] == [a]
    t_recv = time.monotonic()
    b_id = c.send_message(QueueUrl=url, MessageBody="visible")["MessageId"]

    srv.kill9()
    srv.restart()
    c = make_boto_client(srv.endpoint)
    url = c.get_queue_url(QueueName=name)["QueueUrl"]
    furl = c.get_queue_url(QueueName=fifo)["QueueUrl"]

    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"])["Attributes"]
    assert attrs == {"VisibilityTimeout": "37", "DelaySeconds": "0"}
    assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"keep": "me"}

    now_visible = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    VisibilityTimeout=60).get("Messages", [])
    elapsed = time.monotonic() - t_recv
    assert elapsed < 4.5, f"restart took too long ({elapsed:.1f}s) to check in-flight state"
    assert [m["MessageId"] for m in now_visible] == [b_id], \
        "after restart the in-flight message must still be invisible; the other one visible"

    time.sleep(max(0.0, 5.2 - (time.monotonic() - t_recv)))
    back = c.receive_message(QueueUrl=url, WaitTimeSeconds=3, AttributeNames=["ApproximateReceiveCount"]
                             ).get("Messages", [])
    assert [m["MessageId"] for m in back] == [a], "in-flight message must reappear after its timeout"
    assert back[0]["Attributes"]["ApproximateReceiveCount"] == "2", "receive count must survive restart"

    # FIFO deduplication window survives a crash
    f2 = c.send_message(QueueUrl=furl, MessageBody="f again", MessageGroupId="g", MessageDeduplicationId="dd")
    assert f2["MessageId"] == f1["MessageId"]
    msgs = c.receive_message(QueueUrl=furl, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["f"]
    # sequence numbers keep increasing across restarts
    f3 = c.send_message(QueueUrl=furl, MessageBody="f3", MessageGroupId="g", MessageDeduplicationId="d3")
    assert int(f3["SequenceNumber"]) > int(f1["SequenceNumber"])


def test_graceful_restart_keeps_messages(private_server):
    srv = private_server()
    c = make_boto_client(srv.endpoint)
    name = uniq("graceful")
    url = c.create_queue(QueueName=name)["QueueUrl"]
    ids = {c.send_message(QueueUrl=url, MessageBody=f"g{i}")["MessageId"] for i in range(20)}
    rc = srv.terminate()
    assert rc in (0, -15, 143), f"SIGTERM exit code {rc}"
    srv.restart()
    c = make_boto_client(srv.endpoint)
    url = c.get_queue_url(QueueName=name)["QueueUrl"]
    got = _drain_all(c, url, idle_rounds=1)
    assert {m["MessageId"] for m in got} == ids
