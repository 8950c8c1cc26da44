"""Helpers for the metrics part of the sluice live suite (test_metrics.py).

Everything here encodes the exposition formats as specified, not sluice's
implementation (shared/reference/metrics.md section 5):

* ``parse_exposition``: a strict parser for the Prometheus text format 0.0.4
  and OpenMetrics 1.0 text. It rejects what the specs forbid and what sluice
  never needs: a second HELP/TYPE/UNIT line for a family, interleaved families,
  a sample that belongs to no declared family, duplicate series, bad label
  names or escapes, timestamps, non-cumulative histogram buckets, a missing
  ``+Inf`` bucket, ``# EOF`` missing or not last (OpenMetrics) or present
  (0.0.4), counters that do not follow the format's ``_total`` rule.
* ``go_float``: Go's ``strconv.FormatFloat(f, 'g', -1, 64)``, the rendering
  OpenMetrics' "canonical numbers" for ``le`` / ``quantile`` label values are
  based on (with ``.0`` appended to integers).
* ``promtool_check_metrics``: ``promtool check metrics`` (the linter Prometheus
  ships) on a text; returns exit status and its problem lines.
* ``PrometheusServer``: a real ``prometheus`` process on 127.0.0.1 (free port,
  temporary TSDB and config) with a small HTTP API client.

The binaries (``promtool``, ``prometheus``) come from the Debian package
``prometheus``; .ci/run installs it. A missing binary FAILS the tests that need
it (never skips).
"""

from __future__ import annotations

import decimal
import math
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

PROM_CT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
OPENMETRICS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")  # what Prometheus 2.x sends

METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset", "gaugehistogram"}


class ExpositionError(AssertionError):
    pass


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    raw_value: str
    line: int


@dataclass
class Family:
    name: str
    type: str | None = None
    help: str | None = None
    unit: str | None = None
    samples: list[Sample] = field(default_factory=list)


@dataclass
class Exposition:
    text: str
    openmetrics: bool
    families: dict[str, Family]

    def family(self, name: str) -> Family:
        if name not in self.families:
            raise AssertionError(f"metric family {name!r} is not exported; families: {sorted(self.families)}")
        return self.families[name]

    def samples(self, name: str, **labels: str) -> list[Sample]:
        """Samples named ``name`` whose labels include ``labels``."""
        out = []
        for fam in self.families.values():
            for s in fam.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    out.append(s)
        return out

    def value(self, name: str, default: float | None = None, **labels: str) -> float | None:
        """The value of the one sample named ``name`` with ``labels`` (``default`` if none)."""
        found = self.samples(name, **labels)
        if not found:
            return default
        assert len(found) == 1, f"{name}{labels} matches {len(found)} series: {[s.labels for s in found]}"
        return found[0].value

    def names(self) -> set[str]:
        return {s.name for fam in self.families.values() for s in fam.samples}


def _sample_names(fam: Family, openmetrics: bool) -> set[str]:
    n, t = fam.name, fam.type
    if t == "counter":
        return {n + "_total", n + "_created"} if openmetrics else {n}
    if t == "histogram":
        return {n + "_bucket", n + "_sum", n + "_count"} | ({n + "_created"} if openmetrics else set())
    if t == "summary":
        return {n, n + "_sum", n + "_count"} | ({n + "_created"} if openmetrics else set())
    if t == "info":
        return {n + "_info"}
    if t == "gaugehistogram":
        return {n + "_bucket", n + "_gsum", n + "_gcount"}
    return {n}


def _parse_value(raw: str, where: str) -> float:
    low = raw.lower()
    if low in ("nan",):
        return math.nan
    if low in ("+inf", "inf", "+infinity", "infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", raw):
        raise ExpositionError(f"{where}: value {raw!r} is not a number")
    return float(raw)


def _parse_labels(s: str, pos: int, where: str) -> tuple[dict[str, str], int]:
    """Parse ``{a="b",...}`` starting at s[pos] == '{'; return labels and the index after '}'."""
    assert s[pos] == "{"
    pos += 1
    labels: dict[str, str] = {}
    if pos < len(s) and s[pos] == "}":
        return labels, pos + 1
    while True:
        m = LABEL_NAME_RE.match(s, pos)
        if not m:
            raise ExpositionError(f"{where}: bad label name at column {pos}: {s!r}")
        name = m.group(0)
        pos = m.end()
        if not s.startswith('="', pos):
            raise ExpositionError(f"{where}: expected '=\"' after label {name!r}: {s!r}")
        pos += 2
        val = []
        while True:
            if pos >= len(s):
                raise ExpositionError(f"{where}: unterminated label value: {s!r}")
            c = s[pos]
            if c == "\\":
                nxt = s[pos + 1:pos + 2]
                if nxt == "n":
                    val.append("\n")
                elif nxt in ('"', "\\"):
                    val.append(nxt)
                else:
                    raise ExpositionError(f"{where}: undefined escape \\{nxt} in label value: {s!r}")
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise ExpositionError(f"{where}: raw newline in label value")
            else:
                val.append(c)
                pos += 1
        if name in labels:
            raise ExpositionError(f"{where}: label {name!r} appears twice: {s!r}")
        if name.startswith("__"):
            raise ExpositionError(f"{where}: label name {name!r} uses the reserved '__' prefix")
        labels[name] = "".join(val)
        if pos < len(s) and s[pos] == ",":
            pos += 1
            if pos < len(s) and s[pos] == "}":  # trailing comma: 0.0.4 parsers accept it, OpenMetrics does not
                raise ExpositionError(f"{where}: trailing comma in label set: {s!r}")
            continue
        if pos < len(s) and s[pos] == "}":
            return labels, pos + 1
        raise ExpositionError(f"{where}: expected ',' or '}}' at column {pos}: {s!r}")


def _unescape_help(text: str, where: str, openmetrics: bool) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1:i + 2]
            if nxt == "n":
                out.append("\n")
            elif nxt == "\\":
                out.append("\\")
            elif nxt == '"' and openmetrics:
                out.append('"')
            else:
                raise ExpositionError(f"{where}: undefined escape \\{nxt} in HELP text {text!r}")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_exposition(text: str, openmetrics: bool = False) -> Exposition:
    """Parse and validate an exposition; raise ExpositionError on anything invalid."""
    fmt = "OpenMetrics" if openmetrics else "text 0.0.4"
    if "\r" in text:
        raise ExpositionError(f"{fmt}: carriage return in exposition")
    if text and not text.endswith("\n"):
        raise ExpositionError(f"{fmt}: the last line does not end with a newline: {text[-80:]!r}")
    lines = text.split("\n")[:-1] if text else []
    families: dict[str, Family] = {}
    closed: set[str] = set()
    current: Family | None = None
    seen_series: set[tuple[str, frozenset]] = set()
    sample_owner: dict[str, str] = {}
    eof_at: int | None = None

    def start_family(name: str, where: str) -> Family:
        nonlocal current
        if current is not None and current.name == name:
            return current
        if name in families:
            raise ExpositionError(f"{where}: metadata for family {name!r} again after other families "
                                  "(families must be contiguous; HELP/TYPE at most once)")
        if current is not None:
            closed.add(current.name)
        current = Family(name)
        families[name] = current
        return current

    for i, line in enumerate(lines, 1):
        where = f"{fmt} line {i}"
        if eof_at is not None:
            raise ExpositionError(f"{where}: content after '# EOF': {line!r}")
        if line == "":
            if openmetrics:
                raise ExpositionError(f"{where}: empty line (not allowed in OpenMetrics)")
            continue
        if line.startswith("#"):
            if line == "# EOF":
                if not openmetrics:
                    raise ExpositionError(f"{where}: '# EOF' in a text 0.0.4 exposition")
                eof_at = i
                continue
            m = re.fullmatch(r"# (HELP|TYPE|UNIT) (\S+)(?: (.*))?", line)
            if not m:
                raise ExpositionError(f"{where}: unexpected comment line {line!r}")
            kind, name, rest = m.group(1), m.group(2), m.group(3)
            if not METRIC_NAME_RE.fullmatch(name):
                raise ExpositionError(f"{where}: bad metric name {name!r}")
            if kind == "UNIT" and not openmetrics:
                raise ExpositionError(f"{where}: UNIT lines exist only in OpenMetrics")
            fam = start_family(name, where)
            if fam.samples:
                raise ExpositionError(f"{where}: {kind} for {name!r} after its samples")
            if kind == "HELP":
                if fam.help is not None:
                    raise ExpositionError(f"{where}: second HELP line for {name!r}")
                fam.help = _unescape_help(rest or "", where, openmetrics)
            elif kind == "TYPE":
                if fam.type is not None:
                    raise ExpositionError(f"{where}: second TYPE line for {name!r}")
                if rest not in TYPES or (openmetrics and rest == "untyped") or \
                        (not openmetrics and rest in ("unknown", "info", "stateset", "gaugehistogram")):
                    raise ExpositionError(f"{where}: type {rest!r} is not a {fmt} type")
                fam.type = rest
                if fam.type == "counter":
                    if openmetrics and name.endswith("_total"):
                        raise ExpositionError(f"{where}: OpenMetrics counter family {name!r} declared with _total "
                                              "(the family is declared without it; samples carry _total)")
                    if not openmetrics and not name.endswith("_total"):
                        raise ExpositionError(f"{where}: counter {name!r} does not end in _total")
            else:
                if fam.unit is not None:
                    raise ExpositionError(f"{where}: second UNIT line for {name!r}")
                fam.unit = rest or ""
                if fam.unit and not name.endswith("_" + fam.unit):
                    raise ExpositionError(f"{where}: UNIT {fam.unit!r} is not a suffix of {name!r}")
            continue
        # a sample
        m = METRIC_NAME_RE.match(line)
        if not m:
            raise ExpositionError(f"{where}: bad sample line {line!r}")
        sname = m.group(0)
        pos = m.end()
        labels: dict[str, str] = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = _parse_labels(line, pos, where)
        if not line.startswith(" ", pos):
            raise ExpositionError(f"{where}: expected a space before the value: {line!r}")
        parts = line[pos + 1:].split(" ")
        if len(parts) != 1:
            raise ExpositionError(f"{where}: unexpected timestamp or trailing text (sluice exports no timestamps): "
                                  f"{line!r}")
        value = _parse_value(parts[0], where)
        if current is None or current.type is None or sname not in _sample_names(current, openmetrics):
            owner = current.name if current else None
            raise ExpositionError(f"{where}: sample {sname!r} does not belong to the declared family "
                                  f"{owner!r} (type {current.type if current else None}); every sample must follow "
                                  "its family's HELP/TYPE")
        if current.help is None:
            raise ExpositionError(f"{where}: family {current.name!r} has no HELP line")
        key = (sname, frozenset(labels.items()))
        if key in seen_series:
            raise ExpositionError(f"{where}: duplicate series {sname}{labels}")
        seen_series.add(key)
        if sample_owner.setdefault(sname, current.name) != current.name:
            raise ExpositionError(f"{where}: sample name {sname!r} used by two families")
        current.samples.append(Sample(sname, labels, value, parts[0], i))

    if openmetrics:
        if eof_at is None:
            raise ExpositionError("OpenMetrics: the exposition does not end with '# EOF'")
        if not text.endswith("# EOF\n"):
            raise ExpositionError("OpenMetrics: expected '# EOF\\n' as the very end")
    expo = Exposition(text, openmetrics, families)
    for fam in families.values():
        if fam.type is None:
            raise ExpositionError(f"{fmt}: family {fam.name!r} has no TYPE line")
        if not fam.help:
            raise ExpositionError(f"{fmt}: family {fam.name!r} has no (or an empty) HELP text")
        _check_family(fam, openmetrics)
    return expo


def _check_family(fam: Family, openmetrics: bool):
    fmt = "OpenMetrics" if openmetrics else "text 0.0.4"
    label_sets = {frozenset(s.labels) - {"le"} for s in fam.samples}
    if len(label_sets) > 1:
        raise ExpositionError(f"{fmt}: family {fam.name} mixes label names {sorted(map(sorted, label_sets))}")
    if fam.type == "counter":
        for s in fam.samples:
            if math.isnan(s.value) or s.value < 0:
                raise ExpositionError(f"{fmt}: counter sample {s.name}{s.labels} = {s.raw_value}")
    if fam.type != "histogram":
        for s in fam.samples:
            if "le" in s.labels:
                raise ExpositionError(f"{fmt}: non-histogram {fam.name} uses the label 'le'")
        return
    groups: dict[frozenset, dict[str, Any]] = {}
    for s in fam.samples:
        base = frozenset((k, v) for k, v in s.labels.items() if k != "le")
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None, "lines": []})
        g["lines"].append(s.line)
        if s.name.endswith("_bucket"):
            if "le" not in s.labels:
                raise ExpositionError(f"{fmt}: bucket without 'le': {s.name}{s.labels}")
            g["buckets"].append((_parse_value(s.labels["le"], f"{fam.name} le"), s.value, s.labels["le"]))
        elif "le" in s.labels:
            raise ExpositionError(f"{fmt}: {s.name} carries 'le'")
        elif s.name.endswith("_sum"):
            g["sum"] = s.value
        elif s.name.endswith("_count"):
            g["count"] = s.value
    for base, g in groups.items():
        where = f"{fmt}: histogram {fam.name}{dict(base)}"
        lines = g["lines"]
        if lines != list(range(lines[0], lines[0] + len(lines))):
            raise ExpositionError(f"{where}: its samples are interleaved with another series")
        bounds = [b for b, _, _ in g["buckets"]]
        if not bounds or bounds[-1] != math.inf:
            raise ExpositionError(f"{where}: the last bucket is not le=\"+Inf\"")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ExpositionError(f"{where}: bucket bounds not strictly increasing: {bounds}")
        counts = [c for _, c, _ in g["buckets"]]
        if counts != sorted(counts):
            raise ExpositionError(f"{where}: buckets are not cumulative: {counts}")
        if any(c != int(c) for c in counts):
            raise ExpositionError(f"{where}: non-integer bucket counts {counts}")
        if g["count"] is None or g["sum"] is None:
            raise ExpositionError(f"{where}: _count or _sum missing")
        if g["count"] != counts[-1]:
            raise ExpositionError(f"{where}: _count {g['count']} != +Inf bucket {counts[-1]}")


# --------------------------------------------------------------------------
# OpenMetrics canonical numbers
# --------------------------------------------------------------------------
def go_float(f: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 64)``: the shortest digits that
    round-trip, in %e form when the decimal exponent is < -4 or >= 6 (Go uses
    precision 6 for that decision with shortest formatting), else %f form."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(f)).normalize().as_tuple()
    digs = "".join(map(str, digits))
    dp = len(digs) + exponent  # decimal point position relative to the digits
    exp = dp - 1
    s = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mant = digs[0] + ("." + digs[1:] if len(digs) > 1 else "")
        return f"{s}{mant}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if dp <= 0:
        return f"{s}0.{'0' * -dp}{digs}"
    if dp >= len(digs):
        return f"{s}{digs}{'0' * (dp - len(digs))}"
    return f"{s}{digs[:dp]}.{digs[dp:]}"


def canonical_number(f: float) -> str:
    """OpenMetrics canonical rendering: Go %g, plus '.0' when neither '.' nor 'e' appears."""
    g = go_float(f)
    if g in ("+Inf", "-Inf", "NaN"):
        return g
    if "." not in g and "e" not in g:
        g += ".0"
    return g


# --------------------------------------------------------------------------
# promtool
# --------------------------------------------------------------------------
def tool_or_fail(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} not found on PATH. Install the Debian package 'prometheus' "
                    "(apt-get install prometheus; .ci/run does this). The live suite never skips.", pytrace=False)
    return path


def promtool_check_metrics(text: str) -> tuple[int, list[str]]:
    """``promtool check metrics`` on ``text``: (exit status, problem lines)."""
    p = subprocess.run([tool_or_fail("promtool"), "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    out = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
    return p.returncode, out


def promtool(*args: str, cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([tool_or_fail("promtool"), *args], capture_output=True, text=True, timeout=60,
                          cwd=str(cwd) if cwd else None)


# --------------------------------------------------------------------------
# scraping
# --------------------------------------------------------------------------
def scrape_raw(endpoint: str, path: str = "/metrics", accept: str | None = None) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    r = requests.get(endpoint + path, headers=headers, timeout=10)
    assert r.status_code == 200, f"GET {path} -> {r.status_code} {r.text[:300]!r}"
    return r


def scrape(endpoint: str, path: str = "/metrics", openmetrics: bool = False) -> Exposition:
    r = scrape_raw(endpoint, path, OPENMETRICS_ACCEPT if openmetrics else None)
    ctype = r.headers.get("Content-Type", "")
    want = OPENMETRICS_CT if openmetrics else PROM_CT
    assert ctype.replace(" ", "").lower() == want.replace(" ", "").lower(), \
        f"GET {path}: Content-Type {ctype!r}, expected {want!r}"
    return parse_exposition(r.content.decode("utf-8"), openmetrics=openmetrics)


# --------------------------------------------------------------------------
# a real Prometheus
# --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusServer:
    """``prometheus`` on 127.0.0.1:<free port> with a temporary config and TSDB."""

    def __init__(self, config_yaml: str):
        self.binary = tool_or_fail("prometheus")
        self.dir = Path(tempfile.mkdtemp(prefix="sluice-prometheus-"))
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(config_yaml)
        self.log_path = self.dir / "prometheus.log"
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "PrometheusServer":
        for _attempt in range(3):  # the free port may be taken between probing and binding
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [self.binary, f"--config.file={self.config}", f"--storage.tsdb.path={self.dir / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h",
                 "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=str(self.dir))
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            if self.proc.poll() is None:
                self.stop()
                pytest.fail(f"prometheus did not become ready within {timeout}s\n{self.tail()}", pytrace=False)
            if "address already in use" not in self.tail():
                break
        pytest.fail(f"prometheus exited with {self.proc.returncode}\n{self.tail()}", pytrace=False)

    def tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        return "---- prometheus output (last lines) ----\n" + "\n".join(lines[-n:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def api(self, path: str, **params) -> Any:
        r = requests.get(self.url + "/api/v1/" + path, params=params, timeout=10)
        body = r.json()
        assert r.status_code == 200 and body.get("status") == "success", \
            f"Prometheus API {path} {params} -> {r.status_code} {body}"
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self.api("query", **params)
        assert data["resultType"] == "vector", data
        return data["result"]

    def scalar(self, expr: str, at: float | None = None) -> float | None:
        """The value of a query expected to return at most one series."""
        res = self.query(expr, at)
        assert len(res) <= 1, f"{expr} returned {len(res)} series: {res}"
        return float(res[0]["value"][1]) if res else None

    def wait_value(self, expr: str, expected: float, timeout: float = 8.0) -> float:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.scalar(expr)
            if last == expected:
                return last
            time.sleep(0.25)
        raise AssertionError(f"Prometheus: {expr} = {last}, expected {expected} (waited {timeout}s)\n{self.tail()}")
