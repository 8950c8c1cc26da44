#!/usr/bin/env python3
"""sqs_bench.py -- throughput and latency of any SQS endpoint.

Measures an SQS-compatible server from the outside, through the public SQS
API only, so the same command measures sluice, moto_server, LocalStack,
ElasticMQ or Amazon SQS itself.

Requests in the timed loops are raw SQS JSON 1.0 requests (SigV4-signed like
an SDK would sign them) sent with http.client over persistent connections:
one connection per thread, threads spread over several processes so the
client is not limited by Python's GIL. boto3 is used only to create, check
and delete the queues, because botocore costs far more CPU per call than a
fast server does.

SCENARIOS (--scenarios, comma separated, default all, run in this order)
  send     SendMessage, one message per call, closed loop
  batch    SendMessageBatch with 10 entries per call, closed loop
  drain    queue prefilled (untimed) with --drain-count messages, then
           ReceiveMessage(MaxNumberOfMessages=10) + DeleteMessageBatch until
           the queue is empty or --duration has passed
  latency  paced producers (--latency-rate msgs/s in all, timestamp in the
           body) and long-polling consumers: send->receive latency
  flat     one send + receive + delete cycle per step at queue depths 0, 10k,
           100k, 1M (up to --max-depth), prefilling between depths with batch
           sends from several processes: per-operation latency should stay
           flat as the queue grows

BOUNDS
  Every loop stops at its deadline (--duration per scenario, --prefill-timeout
  per prefill) and at a message count (--max-msgs per scenario, --max-depth
  for prefills). Endpoints that do not resolve to a loopback address are
  refused unless --allow-remote is given: against Amazon SQS this tool sends
  millions of requests, which are billed.

EXAMPLES
  python3 sqs_bench.py --endpoint-url http://127.0.0.1:4566
  python3 sqs_bench.py --endpoint-url http://127.0.0.1:4566 \\
      --scenarios send,batch --concurrency 32 --body-size 1024 --json-out r.json
  python3 sqs_bench.py --endpoint-url http://127.0.0.1:5010 --duration 3 \\
      --max-depth 20000 --drain-count 2000          # moto_server is slow

Output: a table on stdout; everything (arguments, per-scenario figures) as
JSON with --json-out FILE. Exit status 0, or 2 if a check failed (messages
that did not land, errors in the timed loops).
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import ipaddress
import json
import math
import multiprocessing as mp
import os
import platform
import queue as queue_mod
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
SERVICE = "sqs"


# --------------------------------------------------------------------------
# Endpoint, SigV4 signing and the raw JSON-protocol client
# --------------------------------------------------------------------------
class Endpoint:
    """Where requests go and with which credentials (picklable)."""

    def __init__(self, url, region, access_key, secret_key, session_token):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"--endpoint-url must be http(s)://host[:port], got {url!r}")
        self.url = url
        self.scheme = parts.scheme
        self.hostname = parts.hostname
        default_port = 443 if parts.scheme == "https" else 80
        self.port = parts.port or default_port
        self.host_header = (self.hostname if self.port == default_port
                            else f"{self.hostname}:{self.port}")
        if ":" in self.hostname:  # IPv6 literal
            self.host_header = (f"[{self.hostname}]" if self.port == default_port
                                else f"[{self.hostname}]:{self.port}")
        self.path = parts.path or "/"
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token

    def connect(self, timeout):
        cls = (http.client.HTTPSConnection if self.scheme == "https"
               else http.client.HTTPConnection)
        conn = cls(self.hostname, self.port, timeout=timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Signer:
    """AWS Signature Version 4 for JSON-protocol POSTs.

    Signatures depend on the second (X-Amz-Date), so headers of a constant
    body are cached for the rest of that second.
    """

    def __init__(self, ep: Endpoint):
        self.ep = ep
        self._second = None
        self._amz_date = None
        self._day = None
        self._key = None
        self._cache = {}
        signed = ["content-type", "host", "x-amz-date"]
        if ep.session_token:
            signed.append("x-amz-security-token")
        signed.append("x-amz-target")
        self._signed_headers = ";".join(signed)
        self._canonical_uri = urllib.parse.quote(ep.path, safe="/~")

    def _tick(self, now):
        second = int(now)
        if second != self._second:
            self._second = second
            self._amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            self._cache.clear()
            day = self._amz_date[:8]
            if day != self._day:
                self._day = day
                k = _hmac(("AWS4" + self.ep.secret_key).encode(), day)
                k = _hmac(k, self.ep.region)
                k = _hmac(k, SERVICE)
                self._key = _hmac(k, "aws4_request")

    def headers(self, target, body, cache_key=None, now=None):
        self._tick(time.time() if now is None else now)
        if cache_key is not None:
            cached = self._cache.get(cache_key)
            if cached is not None:
                return cached
        amz_date = self._amz_date
        canonical_headers = (f"content-type:{JSON_CONTENT_TYPE}\n"
                             f"host:{self.ep.host_header}\n"
                             f"x-amz-date:{amz_date}\n")
        if self.ep.session_token:
            canonical_headers += f"x-amz-security-token:{self.ep.session_token}\n"
        canonical_headers += f"x-amz-target:{target}\n"
        canonical_request = "\n".join([
            "POST", self._canonical_uri, "", canonical_headers,
            self._signed_headers, hashlib.sha256(body).hexdigest()])
        scope = f"{self._day}/{self.ep.region}/{SERVICE}/aws4_request"
        string_to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, scope,
            hashlib.sha256(canonical_request.encode()).hexdigest()])
        signature = hmac.new(self._key, string_to_sign.encode(),
                             hashlib.sha256).hexdigest()
        headers = {
            "Host": self.ep.host_header,
            "Content-Type": JSON_CONTENT_TYPE,
            "X-Amz-Date": amz_date,
            "X-Amz-Target": target,
            "Authorization": (f"AWS4-HMAC-SHA256 Credential={self.ep.access_key}/{scope}, "
                              f"SignedHeaders={self._signed_headers}, Signature={signature}"),
        }
        if self.ep.session_token:
            headers["X-Amz-Security-Token"] = self.ep.session_token
        if cache_key is not None:
            self._cache[cache_key] = headers
        return headers


class RequestFailed(Exception):
    pass


class RawClient:
    """One persistent connection; never retries (errors are counted)."""

    def __init__(self, ep: Endpoint, timeout):
        self.ep = ep
        self.timeout = timeout
        self.signer = Signer(ep)
        self.conn = None

    def open(self):
        if self.conn is None:
            self.conn = self.ep.connect(self.timeout)

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def call(self, action, body, cache_key=None):
        """POST one request; returns the response body (bytes) of a 200."""
        headers = self.signer.headers("AmazonSQS." + action, body, cache_key)
        try:
            self.open()
            self.conn.request("POST", self.ep.path, body, headers)
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise RequestFailed(f"{action}: {type(e).__name__}: {e}") from None
        if resp.status != 200:
            raise RequestFailed(f"{action}: HTTP {resp.status}: {data[:200]!r}")
        return data


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def body_text(size, tag=""):
    """A message body of exactly `size` bytes (ASCII), starting with tag."""
    filler = "x" * max(0, size - len(tag))
    return (tag + filler)[:max(size, len(tag))]


# --------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------
class Hist:
    """Log-bucketed latency histogram (about 1% resolution), mergeable."""

    K = 100.0

    def __init__(self, counts=None):
        self.counts = dict(counts or {})

    def add(self, seconds):
        us = seconds * 1e6
        b = int(math.log(us) * self.K + 0.5) if us > 1.0 else 0
        self.counts[b] = self.counts.get(b, 0) + 1

    def merge(self, counts):
        for b, n in counts.items():
            self.counts[b] = self.counts.get(b, 0) + n

    @property
    def n(self):
        return sum(self.counts.values())

    def pct_ms(self, p):
        total = self.n
        if total == 0:
            return None
        rank = max(1, math.ceil(total * p / 100.0))
        seen = 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= rank:
                return math.exp(b / self.K) / 1000.0
        return None

    def summary(self):
        return {"n": self.n, "p50_ms": self.pct_ms(50), "p90_ms": self.pct_ms(90),
                "p99_ms": self.pct_ms(99), "max_ms": self.pct_ms(100)}


class Stats:
    """What one thread measured; merged across threads and processes."""

    SUMS = ("calls", "msgs", "errors", "total_msgs", "sent", "received",
            "empty_receives")

    def __init__(self):
        for k in self.SUMS:
            setattr(self, k, 0)
        self.hists = {}
        self.err_samples = []
        self.last_done = 0.0

    def hist(self, name):
        h = self.hists.get(name)
        if h is None:
            h = self.hists[name] = Hist()
        return h

    def error(self, e):
        self.errors += 1
        if len(self.err_samples) < 5:
            self.err_samples.append(str(e)[:300])

    def to_dict(self):
        d = {k: getattr(self, k) for k in self.SUMS}
        d["hists"] = {k: h.counts for k, h in self.hists.items()}
        d["err_samples"] = self.err_samples
        d["last_done"] = self.last_done
        return d

    @classmethod
    def merged(cls, dicts):
        s = cls()
        for d in dicts:
            for k in cls.SUMS:
                setattr(s, k, getattr(s, k) + d[k])
            for name, counts in d["hists"].items():
                s.hist(name).merge(counts)
            s.err_samples.extend(d["err_samples"][:5 - len(s.err_samples)])
            s.last_done = max(s.last_done, d["last_done"])
        return s


# --------------------------------------------------------------------------
# Per-thread loops. `spec` is a dict; `g` the global thread index.
# Every loop ends at spec["end_at"] (wall clock) and at a count.
# --------------------------------------------------------------------------
ERROR_PAUSE = 0.01  # after a failed call, so a dead server is not hammered


def loop_send(c, spec, g, st):
    body = dumps({"QueueUrl": spec["queue_url"],
                  "MessageBody": body_text(spec["body_size"], "s")})
    measure_from, end_at, max_ops = spec["measure_from"], spec["end_at"], spec["max_ops"]
    h = st.hist("call")
    ops = 0
    while ops < max_ops:
        t0 = time.perf_counter()
        if time.time() >= end_at:
            break
        ops += 1
        try:
            c.call("SendMessage", body, "send")
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        dt = time.perf_counter() - t0
        st.total_msgs += 1
        now = time.time()
        if measure_from <= now <= end_at:
            st.calls += 1
            st.msgs += 1
            h.add(dt)


def _batch_body(queue_url, size, tag, n=10):
    text = body_text(size, tag)
    return dumps({"QueueUrl": queue_url, "Entries": [
        {"Id": str(i), "MessageBody": text} for i in range(n)]})


def _batch_ok(data):
    if b'"Failed"' not in data:
        return 10
    failed = json.loads(data).get("Failed") or []
    return 10 - len(failed)


def loop_batch(c, spec, g, st):
    body = _batch_body(spec["queue_url"], spec["body_size"], "b")
    measure_from, end_at, max_ops = spec["measure_from"], spec["end_at"], spec["max_ops"]
    h = st.hist("call")
    ops = 0
    while ops < max_ops:
        t0 = time.perf_counter()
        if time.time() >= end_at:
            break
        ops += 1
        try:
            data = c.call("SendMessageBatch", body, "batch")
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        dt = time.perf_counter() - t0
        ok = _batch_ok(data)
        st.total_msgs += ok
        if ok < 10:
            st.error(f"SendMessageBatch: {10 - ok} entries failed")
        now = time.time()
        if measure_from <= now <= end_at:
            st.calls += 1
            st.msgs += ok
            h.add(dt)


def loop_prefill(c, spec, g, st):
    """Batch sends until this thread's quota (spec["quotas"][g]) is sent."""
    quota = spec["quotas"][g]
    full = _batch_body(spec["queue_url"], spec["body_size"], "p")
    end_at = spec["end_at"]
    while st.total_msgs < quota and time.time() < end_at and st.errors < 1000:
        n = min(10, quota - st.total_msgs)
        body = full if n == 10 else _batch_body(spec["queue_url"], spec["body_size"], "p", n)
        try:
            data = c.call("SendMessageBatch", body, "prefill" if n == 10 else None)
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        ok = _batch_ok(data) - (10 - n)
        st.total_msgs += ok
        st.calls += 1
        progress = spec["progress"]
        with progress.get_lock():
            progress.value += ok
    st.msgs = st.total_msgs
    st.last_done = time.time()


def _receive(c, queue_url, max_n, wait, visibility):
    data = c.call("ReceiveMessage", dumps({
        "QueueUrl": queue_url, "MaxNumberOfMessages": max_n,
        "WaitTimeSeconds": wait, "VisibilityTimeout": visibility}))
    return json.loads(data).get("Messages") or []


def _delete_batch(c, queue_url, msgs):
    data = c.call("DeleteMessageBatch", dumps({
        "QueueUrl": queue_url,
        "Entries": [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(msgs)]}))
    if b'"Failed"' in data:
        return len(msgs) - len(json.loads(data).get("Failed") or [])
    return len(msgs)


def loop_drain(c, spec, g, st):
    url, end_at, max_ops = spec["queue_url"], spec["end_at"], spec["max_ops"]
    hr, hd = st.hist("receive"), st.hist("delete")
    empties = ops = 0
    while ops < max_ops and empties < 2 and time.time() < end_at:
        ops += 1
        t0 = time.perf_counter()
        try:
            msgs = _receive(c, url, 10, 1, 300)
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        t1 = time.perf_counter()
        if not msgs:          # an empty long poll measures the wait, not the server
            empties += 1
            st.empty_receives += 1
            continue
        hr.add(t1 - t0)
        empties = 0
        st.received += len(msgs)
        try:
            n = _delete_batch(c, url, msgs)
        except RequestFailed as e:
            st.error(e)
            continue
        hd.add(time.perf_counter() - t1)
        if n < len(msgs):
            st.error(f"DeleteMessageBatch: {len(msgs) - n} entries failed")
        st.calls += 2
        st.msgs += n
        st.last_done = time.time()   # a call begun before end_at may end after it


def loop_latency(c, spec, g, st):
    if g < spec["producers"]:
        _latency_producer(c, spec, g, st)
    else:
        _latency_consumer(c, spec, g, st)


def _latency_producer(c, spec, g, st):
    url = spec["queue_url"]
    rate = spec["rate"] / spec["producers"]          # msgs/s of this thread
    start = spec["start_at"] + g / spec["rate"]       # stagger producers
    end_at, max_ops = spec["end_at"], spec["max_ops"]
    pad = body_text(max(0, spec["body_size"] - 20))
    h = st.hist("send")
    i = 0
    while i < max_ops:
        due = start + i / rate
        now = time.time()
        if due >= end_at or now >= end_at:
            break
        if due > now:
            time.sleep(due - now)
        ts = time.time()
        body = dumps({"QueueUrl": url, "MessageBody": f"{ts:.6f} {pad}"})
        i += 1
        t0 = time.perf_counter()
        try:
            c.call("SendMessage", body)
        except RequestFailed as e:
            st.error(e)
            continue
        h.add(time.perf_counter() - t0)
        st.sent += 1
        st.total_msgs += 1


def _latency_consumer(c, spec, g, st):
    url, end_at = spec["queue_url"], spec["end_at"]
    hard_end = end_at + spec["grace"]
    measure_from = spec["measure_from"]
    h = st.hist("latency")
    ops = 0
    while ops < spec["max_ops"]:
        now = time.time()
        if now >= hard_end:
            break
        ops += 1
        try:
            msgs = _receive(c, url, 10, spec["wait"], 60)
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        t_recv = time.time()
        if not msgs:
            if t_recv >= end_at:
                break                    # producers done and queue empty
            continue
        for m in msgs:
            try:
                ts = float(m["Body"].split(" ", 1)[0])
            except (KeyError, ValueError):
                st.error("latency: unexpected message body")
                continue
            st.received += 1
            if ts >= measure_from:
                h.add(max(0.0, t_recv - ts))
        try:
            _delete_batch(c, url, msgs)
        except RequestFailed as e:
            st.error(e)


def loop_flat(c, spec, g, st):
    """send 1 -> receive 1 -> delete 1: the depth stays where it is."""
    url, end_at, max_ops = spec["queue_url"], spec["end_at"], spec["max_ops"]
    measure_from = spec["measure_from"]
    send_body = dumps({"QueueUrl": url,
                       "MessageBody": body_text(spec["body_size"], "f")})
    recv_body = dumps({"QueueUrl": url, "MaxNumberOfMessages": 1,
                       "WaitTimeSeconds": 0, "VisibilityTimeout": 300})
    hs, hr, hd = st.hist("send"), st.hist("receive"), st.hist("delete")
    ops = 0
    while ops < max_ops and time.time() < end_at:
        ops += 1
        try:
            t0 = time.perf_counter()
            c.call("SendMessage", send_body, "flat-send")
            t1 = time.perf_counter()
            data = c.call("ReceiveMessage", recv_body, "flat-recv")
            t2 = time.perf_counter()
            msgs = json.loads(data).get("Messages") or []
            if not msgs:
                st.empty_receives += 1
                continue
            c.call("DeleteMessage", dumps({
                "QueueUrl": url, "ReceiptHandle": msgs[0]["ReceiptHandle"]}))
            t3 = time.perf_counter()
        except RequestFailed as e:
            st.error(e)
            time.sleep(ERROR_PAUSE)
            continue
        if time.time() >= measure_from:
            hs.add(t1 - t0)
            hr.add(t2 - t1)
            hd.add(t3 - t2)
            st.calls += 3
            st.msgs += 1


LOOPS = {"send": loop_send, "batch": loop_batch, "prefill": loop_prefill,
         "drain": loop_drain, "latency": loop_latency, "flat": loop_flat}


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------
def _proc_main(spec, thread_ids, ready_q, out_q, go, start_at, progress):
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent stops us
    ep = Endpoint(**spec["endpoint"])
    clients, results = [], []
    try:
        for _ in thread_ids:
            c = RawClient(ep, spec["timeout"])
            c.open()
            clients.append(c)
    except OSError as e:
        ready_q.put(f"connect to {ep.url} failed: {e}")
        return
    ready_q.put("ready")
    if not go.wait(120):
        return
    spec = dict(spec)
    spec["progress"] = progress
    spec["start_at"] = start_at.value
    spec["measure_from"] = spec["start_at"] + spec["warmup"]
    spec["end_at"] = spec["measure_from"] + spec["duration"]
    loop = LOOPS[spec["kind"]]

    def run(c, g):
        st = Stats()
        delay = spec["start_at"] - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            loop(c, spec, g, st)
        except Exception as e:  # noqa: BLE001 - report, never hang the run
            st.error(f"worker crashed: {type(e).__name__}: {e}")
        finally:
            c.close()
        results.append(st.to_dict())

    threads = [threading.Thread(target=run, args=(c, g), daemon=True)
               for c, g in zip(clients, thread_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(spec["duration"] + spec["warmup"] + spec["grace"] + spec["timeout"] + 60)
    out_q.put(results)


def run_workers(args, kind, connections, duration, warmup=0.0, grace=0.0, **extra):
    """Run `kind` on `connections` threads spread over processes; merged Stats."""
    procs = max(1, min(args.processes, connections))
    spec = {"kind": kind, "endpoint": args.endpoint_kwargs, "timeout": args.timeout,
            "body_size": args.body_size, "duration": duration, "warmup": warmup,
            "grace": grace, "max_ops": args.max_msgs, **extra}
    ctx = mp.get_context("spawn")
    ready_q, out_q = ctx.Queue(), ctx.Queue()
    go, start_at, progress = ctx.Event(), ctx.Value("d", 0.0), ctx.Value("q", 0)
    ids = [[g for g in range(connections) if g % procs == p] for p in range(procs)]
    workers = [ctx.Process(target=_proc_main, daemon=True,
                           args=(spec, ids[p], ready_q, out_q, go, start_at, progress))
               for p in range(procs)]
    for w in workers:
        w.start()
    results, reported = [], 0
    try:
        for _ in workers:
            msg = ready_q.get(timeout=60)
            if msg != "ready":
                raise SystemExit(msg)
        start_at.value = time.time() + 0.05
        go.set()
        limit = time.time() + duration + warmup + grace + args.timeout + 90
        while reported < len(workers) and time.time() < limit:
            try:
                results.extend(out_q.get(timeout=min(10.0, max(0.1, limit - time.time()))))
                reported += 1
            except queue_mod.Empty:
                if kind == "prefill":
                    el = time.time() - start_at.value
                    print(f"    {progress.value:,} sent in {el:.0f} s "
                          f"({progress.value / max(el, 1e-9):,.0f} msgs/s)", flush=True)
        if reported < len(workers):
            print(f"  warning: {len(workers) - reported} {kind} worker(s) did not report "
                  "in time", file=sys.stderr)
    except BaseException:
        for w in workers:
            w.terminate()
        raise
    finally:
        for w in workers:
            w.join(5)
            if w.is_alive():
                w.terminate()
    st = Stats.merged(results)
    st.start_at = start_at.value
    return st


# --------------------------------------------------------------------------
# Setup and checks through boto3
# --------------------------------------------------------------------------
def make_sqs(args):
    import boto3
    from botocore.config import Config
    return boto3.session.Session(
        aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key,
        aws_session_token=args.session_token, region_name=args.region,
    ).client("sqs", endpoint_url=args.endpoint_url, config=Config(
        connect_timeout=5, read_timeout=60, retries={"max_attempts": 3}))


def queue_counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def wait_for_depth(sqs, url, expected, timeout=10.0):
    """Poll until ApproximateNumberOfMessages == expected (AWS is approximate)."""
    deadline = time.time() + timeout
    while True:
        visible, _ = queue_counts(sqs, url)
        if visible == expected or time.time() >= deadline:
            return visible
        time.sleep(0.5)


class Server:
    """CPU seconds of a local server process (--server-pid), if given."""

    def __init__(self, pid):
        self.pid = pid
        self.tck = os.sysconf("SC_CLK_TCK") if pid else 1

    def cpu(self):
        if not self.pid:
            return None
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            return (int(rest[11]) + int(rest[12])) / self.tck
        except (OSError, IndexError, ValueError):
            return None


def cpu_pct(c0, c1, seconds):
    if c0 is None or c1 is None or seconds <= 0:
        return None
    return 100.0 * (c1 - c0) / seconds


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.sqs = make_sqs(args)
        self.server = Server(args.server_pid)
        self.run_id = uuid.uuid4().hex[:8]
        self.queues = []
        self.results = {}
        self.problems = []

    def queue(self, scenario, **attrs):
        name = f"{self.args.queue_prefix}-{scenario}-{self.run_id}"
        url = self.sqs.create_queue(QueueName=name, Attributes={
            k: str(v) for k, v in attrs.items()})["QueueUrl"]
        self.queues.append(url)
        return url

    def cleanup(self):
        if self.args.keep_queues:
            for url in self.queues:
                print(f"kept queue {url}")
            return
        for url in self.queues:
            try:
                self.sqs.delete_queue(QueueUrl=url)
            except Exception as e:  # noqa: BLE001
                print(f"  warning: could not delete {url}: {e}", file=sys.stderr)

    def timed(self, kind, connections, **kw):
        c0 = self.server.cpu()
        t0 = time.time()
        st = run_workers(self.args, kind, connections, **kw)
        c1 = self.server.cpu()
        st.server_cpu_pct = cpu_pct(c0, c1, time.time() - t0)
        if st.errors:
            self.problems.append(f"{kind}: {st.errors} errors, e.g. {st.err_samples[:1]}")
        return st

    def prefill(self, url, count, label):
        """Batch-send `count` messages with --concurrency connections."""
        if count <= 0:
            return 0
        a = self.args
        conns = max(1, min(a.concurrency, math.ceil(count / 10)))
        quotas = [count // conns + (1 if g < count % conns else 0) for g in range(conns)]
        t0 = time.time()
        print(f"  prefilling {label}: {count:,} messages ...", flush=True)
        st = run_workers(a, "prefill", conns, duration=a.prefill_timeout,
                         max_ops=count, quotas=quotas, queue_url=url)
        el = time.time() - t0
        print(f"  prefilled {st.total_msgs:,} in {el:.1f} s "
              f"({st.total_msgs / max(el, 1e-9):,.0f} msgs/s, {st.errors} errors)", flush=True)
        if st.errors:
            print(f"  prefill errors, e.g. {st.err_samples[:2]}", flush=True)
        if st.total_msgs < count:
            self.problems.append(f"prefill {label}: only {st.total_msgs:,} of {count:,} "
                                 f"messages within --prefill-timeout")
        return st.total_msgs

    # -- closed-loop sends -------------------------------------------------
    def send_like(self, scenario):
        a = self.args
        url = self.queue(scenario)
        st = self.timed(scenario, a.concurrency, duration=a.duration, warmup=a.warmup,
                        queue_url=url)
        landed = wait_for_depth(self.sqs, url, st.total_msgs)
        if landed != st.total_msgs:
            self.problems.append(f"{scenario}: {st.total_msgs:,} messages accepted but the "
                                 f"queue holds {landed:,}")
        h = st.hist("call").summary()
        self.results[scenario] = {
            "msgs_per_s": st.msgs / a.duration, "calls_per_s": st.calls / a.duration,
            "call_latency": h, "errors": st.errors, "error_samples": st.err_samples,
            "accepted_total": st.total_msgs, "landed": landed,
            "server_cpu_pct": st.server_cpu_pct}

    def scenario_send(self):
        self.send_like("send")

    def scenario_batch(self):
        self.send_like("batch")

    # -- drain -------------------------------------------------------------
    def scenario_drain(self):
        a = self.args
        count = a.drain_count
        if count is None:   # about --duration worth of batch sends, if known
            rate = self.results.get("batch", {}).get("msgs_per_s")
            count = int(rate * a.duration) if rate else 20000
            count = max(2000, min(count, 200000))
        count = min(count, a.max_depth)
        url = self.queue("drain", VisibilityTimeout=300)
        filled = self.prefill(url, count, "drain queue")
        depth = wait_for_depth(self.sqs, url, filled)
        st = self.timed("drain", a.concurrency, duration=a.duration, queue_url=url)
        # from the start to the last delete: the queue may empty before --duration
        elapsed = max(1e-9, st.last_done - st.start_at) if st.msgs else a.duration
        visible, inflight = queue_counts(self.sqs, url)
        self.results["drain"] = {
            "msgs_per_s": st.msgs / elapsed,
            "calls_per_s": st.calls / elapsed,
            "prefilled": filled, "depth_before": depth, "deleted": st.msgs,
            "seconds": elapsed, "left_visible": visible, "left_in_flight": inflight,
            "receive_latency": st.hist("receive").summary(),
            "delete_latency": st.hist("delete").summary(),
            "errors": st.errors, "error_samples": st.err_samples,
            "server_cpu_pct": st.server_cpu_pct}

    # -- send -> receive latency -------------------------------------------
    def scenario_latency(self):
        a = self.args
        url = self.queue("latency", VisibilityTimeout=60)
        producers = max(1, math.ceil(a.latency_rate / 500))   # <= 500 msgs/s per thread
        conns = producers + a.latency_consumers
        st = self.timed("latency", conns, duration=a.duration, warmup=a.warmup,
                        grace=5.0, queue_url=url, producers=producers,
                        rate=float(a.latency_rate), wait=2)
        lat = st.hist("latency").summary()
        if st.received < st.sent:
            self.problems.append(f"latency: {st.sent:,} sent but {st.received:,} received")
        self.results["latency"] = {
            "rate_target": a.latency_rate, "sent": st.sent, "received": st.received,
            "msgs_per_s": st.sent / (a.duration + a.warmup),
            "latency": lat, "send_call_latency": st.hist("send").summary(),
            "errors": st.errors, "error_samples": st.err_samples,
            "server_cpu_pct": st.server_cpu_pct}

    # -- flat: per-op cost against queue depth ------------------------------
    def scenario_flat(self):
        a = self.args
        depths = sorted({d for d in a.flat_depths if d <= a.max_depth} | {0})
        if a.max_depth > depths[-1]:
            depths.append(a.max_depth)
        url = self.queue("flat", VisibilityTimeout=300)
        rows = []
        depth = 0
        for target in depths:
            if target > depth:
                depth += self.prefill(url, target - depth, f"depth {target:,}")
                depth = wait_for_depth(self.sqs, url, depth)
                if depth < target * 0.99:
                    self.problems.append(f"flat: stopped at depth {depth:,} "
                                         f"(wanted {target:,})")
            st = self.timed("flat", a.flat_concurrency, duration=a.flat_duration,
                            warmup=min(1.0, a.warmup), queue_url=url)
            row = {"target_depth": target, "depth": depth,
                   "cycles_per_s": st.msgs / a.flat_duration,
                   "send": st.hist("send").summary(),
                   "receive": st.hist("receive").summary(),
                   "delete": st.hist("delete").summary(),
                   "empty_receives": st.empty_receives, "errors": st.errors,
                   "server_cpu_pct": st.server_cpu_pct}
            rows.append(row)
            self.results["flat"] = {"rows": rows}
            print(f"  depth {depth:>9,}: {row['cycles_per_s']:,.0f} cycles/s  "
                  f"send p50 {fmt_ms(row['send']['p50_ms'])}  "
                  f"receive p50 {fmt_ms(row['receive']['p50_ms'])}  "
                  f"delete p50 {fmt_ms(row['delete']['p50_ms'])} ms", flush=True)
            if depth < target * 0.99:
                break

    @staticmethod
    def flat_growth(rows):
        """p50 at the deepest queue / p50 at the empty queue, per operation."""
        growth = {}
        for op in ("send", "receive", "delete"):
            p0, p1 = rows[0][op]["p50_ms"], rows[-1][op]["p50_ms"]
            growth[op] = (p1 / p0) if p0 and p1 and len(rows) > 1 else None
        return growth


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
def fmt_ms(v):
    return "-" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def fmt_num(v):
    return "-" if v is None else f"{v:,.0f}"


def fmt_pct(v):
    return "-" if v is None else f"{v:.0f}%"


def print_report(bench):
    r = bench.results
    print()
    print(f"endpoint {bench.args.endpoint_url}   body {bench.args.body_size} B   "
          f"concurrency {bench.args.concurrency} ({bench.args.processes} processes)   "
          f"duration {bench.args.duration:g} s")
    rows = [("scenario", "msgs/s", "calls/s", "p50 ms", "p99 ms", "errors", "server CPU", "notes")]
    for name in ("send", "batch"):
        if name in r:
            x = r[name]
            rows.append((name, fmt_num(x["msgs_per_s"]), fmt_num(x["calls_per_s"]),
                         fmt_ms(x["call_latency"]["p50_ms"]), fmt_ms(x["call_latency"]["p99_ms"]),
                         str(x["errors"]), fmt_pct(x["server_cpu_pct"]),
                         f"per call; landed {x['landed']:,}/{x['accepted_total']:,}"))
    if "drain" in r:
        x = r["drain"]
        rows.append(("drain", fmt_num(x["msgs_per_s"]), fmt_num(x["calls_per_s"]),
                     fmt_ms(x["receive_latency"]["p50_ms"]), fmt_ms(x["receive_latency"]["p99_ms"]),
                     str(x["errors"]), fmt_pct(x["server_cpu_pct"]),
                     f"receive call; deleted {x['deleted']:,}/{x['prefilled']:,} "
                     f"in {x['seconds']:.1f} s; delete p50 "
                     f"{fmt_ms(x['delete_latency']['p50_ms'])} ms"))
    if "latency" in r:
        x = r["latency"]
        rows.append(("latency", fmt_num(x["msgs_per_s"]), "-",
                     fmt_ms(x["latency"]["p50_ms"]), fmt_ms(x["latency"]["p99_ms"]),
                     str(x["errors"]), fmt_pct(x["server_cpu_pct"]),
                     f"send->receive, paced at {x['rate_target']:g} msgs/s; received "
                     f"{x['received']:,}/{x['sent']:,}; max {fmt_ms(x['latency']['max_ms'])} ms"))
    if len(rows) > 1:
        print_table(rows)
    if "flat" in r:
        print()
        print("flat: one send + receive(1) + delete per cycle, "
              f"{bench.args.flat_concurrency} connection(s), latency p50 / p99 ms")
        rows = [("depth", "cycles/s", "send", "receive", "delete", "errors", "server CPU")]
        for x in r["flat"]["rows"]:
            rows.append((f"{x['depth']:,}", fmt_num(x["cycles_per_s"]),
                         *(f"{fmt_ms(x[op]['p50_ms'])} / {fmt_ms(x[op]['p99_ms'])}"
                           for op in ("send", "receive", "delete")),
                         str(x["errors"]), fmt_pct(x["server_cpu_pct"])))
        print_table(rows)
        g = Bench.flat_growth(r["flat"]["rows"])
        r["flat"]["p50_growth_deepest_vs_empty"] = g
        print("p50 at the deepest queue / p50 at the empty queue: " + ", ".join(
            f"{op} {'-' if v is None else f'{v:.2f}x'}" for op, v in g.items()))
    if bench.problems:
        print()
        for p in bench.problems:
            print(f"CHECK FAILED: {p}")


def print_table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [str(c).ljust(w) if i in (0, len(row) - 1) else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------
SCENARIOS = ("send", "batch", "drain", "latency", "flat")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="Throughput and latency of any SQS endpoint (raw JSON-protocol requests).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--endpoint-url", default="http://127.0.0.1:4566",
                    help="SQS endpoint (default %(default)s)")
    ap.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    ap.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", "test"))
    ap.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))
    ap.add_argument("--session-token", default=os.environ.get("AWS_SESSION_TOKEN"))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated subset of %(default)s")
    ap.add_argument("--duration", type=float, default=10.0,
                    help="timed seconds per scenario (default %(default)s)")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="untimed seconds before each timed loop (default %(default)s)")
    ap.add_argument("--concurrency", type=int, default=16,
                    help="connections for send/batch/drain/prefill (default %(default)s)")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                    help="client processes the connections are spread over (default: cores)")
    ap.add_argument("--body-size", type=int, default=256, help="message body bytes (default %(default)s)")
    ap.add_argument("--max-msgs", type=int, default=5_000_000,
                    help="cap on calls per thread in a scenario (default %(default)s)")
    ap.add_argument("--drain-count", type=int, default=None,
                    help="messages to prefill for drain (default: what batch sent in "
                         "--duration, 2,000..200,000; 20,000 if batch did not run)")
    ap.add_argument("--latency-rate", type=float, default=200.0,
                    help="msgs/s sent in all by the latency producers (default %(default)s)")
    ap.add_argument("--latency-consumers", type=int, default=4,
                    help="long-polling consumers in the latency scenario (default %(default)s)")
    ap.add_argument("--max-depth", type=int, default=1_000_000,
                    help="deepest queue for flat, and cap on any prefill (default %(default)s)")
    ap.add_argument("--flat-depths", default="0,10000,100000,1000000",
                    help="queue depths for flat, capped by --max-depth (default %(default)s)")
    ap.add_argument("--flat-duration", type=float, default=None,
                    help="timed seconds per depth (default: --duration, at most 5)")
    ap.add_argument("--flat-concurrency", type=int, default=1,
                    help="connections doing send/receive/delete cycles (default %(default)s)")
    ap.add_argument("--prefill-timeout", type=float, default=900.0,
                    help="cap in seconds on each prefill (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request socket timeout")
    ap.add_argument("--queue-prefix", default="sqs-bench")
    ap.add_argument("--keep-queues", action="store_true", help="do not delete the queues")
    ap.add_argument("--server-pid", type=int, help="local server process: report its CPU use")
    ap.add_argument("--json-out", help="write all results as JSON to this file")
    ap.add_argument("--allow-remote", action="store_true",
                    help="allow an endpoint that is not a loopback address (e.g. Amazon SQS)")
    a = ap.parse_args(argv)
    a.scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    bad = [s for s in a.scenarios if s not in SCENARIOS]
    if bad or not a.scenarios:
        ap.error(f"unknown scenario(s) {bad}; choose from {','.join(SCENARIOS)}")
    try:
        a.flat_depths = [int(x.replace("_", "")) for x in a.flat_depths.split(",") if x.strip()]
    except ValueError:
        ap.error("--flat-depths takes comma-separated integers")
    if not 0 < a.duration <= 3600:
        ap.error("--duration must be in (0, 3600]")
    if not 0 <= a.warmup <= 60:
        ap.error("--warmup must be in [0, 60]")
    for name in ("concurrency", "processes", "latency_consumers", "flat_concurrency"):
        if not 1 <= getattr(a, name) <= 1024:
            ap.error(f"--{name.replace('_', '-')} must be in [1, 1024]")
    if not 1 <= a.body_size <= 1_048_576:
        ap.error("--body-size must be in [1, 1048576]")
    if not 0 < a.latency_rate <= 100_000:
        ap.error("--latency-rate must be in (0, 100000]")
    if a.max_depth < 0 or a.max_depth > 100_000_000:
        ap.error("--max-depth must be in [0, 100000000]")
    if a.flat_duration is None:
        a.flat_duration = min(a.duration, 5.0)
    a.processes = min(a.processes, a.concurrency)
    a.endpoint_kwargs = {"url": a.endpoint_url, "region": a.region, "access_key": a.access_key,
                         "secret_key": a.secret_key, "session_token": a.session_token}
    Endpoint(**a.endpoint_kwargs)  # validates the URL
    return a


def check_loopback(args):
    host = urllib.parse.urlsplit(args.endpoint_url).hostname
    try:
        addrs = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as e:
        raise SystemExit(f"cannot resolve {host}: {e}")
    remote = sorted(a for a in addrs if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if remote and not args.allow_remote:
        raise SystemExit(f"{host} resolves to {', '.join(remote)}, not a loopback address; "
                         "pass --allow-remote to benchmark a remote endpoint (on Amazon SQS "
                         "every request is billed)")


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    check_loopback(args)
    signal.signal(signal.SIGTERM, _terminate)   # clean up queues on kill too
    bench = Bench(args)
    steps = {"send": bench.scenario_send, "batch": bench.scenario_batch,
             "drain": bench.scenario_drain, "latency": bench.scenario_latency,
             "flat": bench.scenario_flat}
    started = time.time()
    interrupted = False
    try:
        try:
            bench.sqs.list_queues(MaxResults=1)   # fail early if the endpoint is down
        except Exception as e:  # noqa: BLE001
            raise SystemExit(f"{args.endpoint_url} does not answer ListQueues: {e}")
        for name in SCENARIOS:
            if name in args.scenarios:
                print(f"== {name}", flush=True)
                steps[name]()
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: cleaning up", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        bench.cleanup()
    print_report(bench)
    if args.json_out:
        out = {"endpoint": args.endpoint_url, "started": started,
               "client": {"python": platform.python_version(), "host": platform.node(),
                          "cores": os.cpu_count()},
               "args": {k: v for k, v in vars(args).items()
                        if k not in ("endpoint_kwargs", "secret_key", "session_token",
                                     "access_key")},
               "results": bench.results, "problems": bench.problems}
        with open(args.json_out, "w") as f:
            json.dump(out, f, indent=1)
        print(f"\nwrote {args.json_out}")
    if interrupted:
        return 130
    return 2 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())
