"""A real Prometheus scraping sluice (shared/reference/metrics.md).

Starts ``/usr/bin/prometheus`` (Debian package ``prometheus``; .ci/run
installs it; the test FAILS when it is missing) on 127.0.0.1:<free port> with
a temporary TSDB and a config that scrapes a private sluice every second, on
both /metrics (Prometheus negotiates OpenMetrics there) and /metrics/cloudwatch,
and evaluates examples/prometheus/alerts.yml. Sends through boto3 at a known
pace, then checks through Prometheus's HTTP API that rate() matches the pace,
that the counter equals the number of sends, and that the gauges equal what
GetQueueAttributes reports. Also evaluates every query of the example Grafana
dashboard. Bounded: about 25 s, loopback only; Prometheus is stopped after.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from helpers import make_boto_client, queue_attrs, uniq, wait_for
from metrics_helpers import PrometheusServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "prometheus"

PACE = 4.0        # messages per second
DURATION = 12.0   # seconds of sending


def _config(target: str) -> str:
    return f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {json.dumps(str(EXAMPLES / "alerts.yml"))}
scrape_configs:
  - job_name: sluice
    metrics_path: /metrics
    static_configs:
      - targets: ["{target}"]
  - job_name: sluice-cloudwatch
    metrics_path: /metrics/cloudwatch
    static_configs:
      - targets: ["{target}"]
"""


def _dashboard_queries() -> list[str]:
    dash = json.loads((EXAMPLES / "grafana-dashboard.json").read_text())
    panels = list(dash["panels"]) + [p for row in dash["panels"] for p in row.get("panels", [])]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dash["templating"]["list"] if v["type"] == "query"]
    return exprs


def _grafana_to_promql(expr: str) -> str:
    """Substitute Grafana's variables the way Grafana would for 'All' / a 5 s rate interval."""
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", expr.strip(), re.S)
    if m:  # a variable query: the series selector part is what Prometheus evaluates
        expr = m.group(1)
    expr = expr.replace("$__rate_interval", "5s")
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)


def test_prometheus_scrapes_sluice(private_server):
    srv = private_server()
    sqs = make_boto_client(srv.endpoint)
    name = uniq("prom")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sel = f'{{queue_name="{name}"}}'

    prom = PrometheusServer(_config(f"127.0.0.1:{srv.port}")).start()
    try:
        # both targets up (OpenMetrics on /metrics parsed without error)
        def targets_up():
            active = prom.api("targets")["activeTargets"]
            return len(active) == 2 and all(t["health"] == "up" for t in active) and active
        try:
            wait_for(targets_up, timeout=10, interval=0.25, what="both scrape targets up")
        except AssertionError:
            raise AssertionError(f"targets: {prom.api('targets')['activeTargets']}\n{prom.tail()}") from None
        for t in prom.api("targets")["activeTargets"]:
            assert t["lastError"] == "", t

        # send at a known pace
        n = int(PACE * DURATION)
        t0 = time.time()
        for i in range(n):
            delay = t0 + i / PACE - time.time()
            if delay > 0:
                time.sleep(delay)
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        t_end = time.time()
        assert t_end - t0 < DURATION + 2, f"sending took {t_end - t0:.1f}s"

        # the counter reaches exactly n once a scrape after the last send is stored
        prom.wait_value(f"sqs_number_of_messages_sent_total{sel}", n)
        # rate() over a short window swings when a slow send (disk contention) makes the next ones
        # catch up in a burst: the exact count is checked above, the rate within half the pace.
        rate = prom.scalar(f"rate(sqs_number_of_messages_sent_total{sel}[6s])", at=t_end - 1.5)
        assert rate is not None and abs(rate - PACE) <= 0.5 * PACE, \
            f"rate over [6s] at the end of sending: {rate}/s, paced at {PACE}/s"
        req_rate = prom.scalar('sum(rate(sluice_requests_total{service="sqs",action="SendMessage",'
                               'outcome="success"}[6s]))', at=t_end - 1.5)
        assert req_rate is not None and abs(req_rate - PACE) <= 0.5 * PACE, f"request rate {req_rate}/s"
        inc = prom.scalar(f"increase(sqs_number_of_messages_sent_total{sel}[{int(DURATION) - 2}s])", at=t_end)
        assert inc is not None and abs(inc - PACE * (DURATION - 2)) <= 0.25 * PACE * (DURATION - 2), \
            f"increase over the last {int(DURATION) - 2}s: {inc}"

        print(f"prometheus: rate {rate}/s, request rate {req_rate}/s, increase {inc}")
        # gauges equal what boto3 sees
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", [])
        assert got
        attrs = queue_attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        visible, in_flight = int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])
        assert (visible, in_flight) == (n - len(got), len(got))
        prom.wait_value(f"sqs_approximate_number_of_messages_visible{sel}", visible)
        prom.wait_value(f"sqs_approximate_number_of_messages_not_visible{sel}", in_flight)
        prom.wait_value(f'aws_sqs_approximate_number_of_messages_visible_maximum{{dimension_QueueName="{name}"}}',
                        visible)
        assert prom.scalar(f'sqs_number_of_messages_received_total{sel}') == len(got)

        # the example rules load and evaluate without errors
        def rules_evaluated():
            groups = prom.api("rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) and rules
        rules = wait_for(rules_evaluated, timeout=5, interval=0.25, what="every example rule evaluated once")
        bad = [(r["name"], r.get("health"), r.get("lastError")) for r in rules if r.get("health") != "ok"]
        assert not bad, f"example rules failing in Prometheus: {bad}"
        firing = {r["name"] for r in rules if r.get("state") == "firing"}
        assert not firing & {"SluiceDown", "SluiceServerErrors"}, firing

        # every query of the example dashboard is valid PromQL
        for expr in _dashboard_queries():
            prom.query(_grafana_to_promql(expr))
        assert prom.query(_grafana_to_promql(
            'sum by (queue_name) (sqs_approximate_number_of_messages_visible{instance=~"$instance", '
            'queue_name=~"$queue"})'))
    finally:
        prom.stop()
