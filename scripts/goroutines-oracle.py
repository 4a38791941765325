#!/usr/bin/env python3
"""Go 1.27.3's goroutine pages as the oracle for `schedstat goroutines`.

Usage:
  scripts/goroutines-oracle.py [--versions go1.22,...] [--scenarios mutex,...]
      Record: for every fixture testdata/fixtures/go1.2X/<scenario>.trace, start
      `go tool trace -http=127.0.0.1:PORT TRACE` (Go 1.27.3, a free port), wait
      until it serves, read /goroutines and every group's
      /goroutine?name=NAME page, parse the figures out of the HTML and write
      testdata/oracle/goroutines/go1.2X/<scenario>.json. The server is killed
      afterwards, also on error.
  scripts/goroutines-oracle.py --corpus
      Record the same for the .trace files of the shared corpus beside the
      clone (../shared/testdata/go-corpus: hand-made edge cases such as procs
      stolen from syscalls across generations) into
      testdata/oracle/goroutines/corpus/<name>.json. Traces that our reader
      refuses because their first generation is broken are skipped: Go's
      server shows the events before the damage, schedstat exits 1 (see
      README, exit codes).
  scripts/goroutines-oracle.py --check [--schedstat BIN] [TRACE...]
      Live: the same pages for a few fixtures (default: three), compared with
      `schedstat goroutines --json TRACE`. Prints one summary line; exit 1 on
      any difference.

The pages print durations with Go's time.Duration.String(), which keeps every
nanosecond ("5.559168ms"), so the recorded figures are exact ns. Go sorts
groups (by execution time) and a group's goroutines (by total time) with an
unstable sort over map order, so rows with equal keys come in any order: the
comparison (here and in crates/cli/tests/goroutines.rs) checks the sequence of
sort keys and the figures per name / goroutine ID, not the order of ties.
"""

import argparse
import html
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"]
SCENARIOS = ["storm", "cpuhog", "mutex", "syscall", "http", "gc", "annotations",
             "cpuprofile", "multigen", "leak", "flight", "regionsgc", "lockfree", "contended"]
CHECK_DEFAULT = ["go1.27/gc", "go1.22/mutex", "go1.25/syscall"]
INACTIVE = "(Inactive, no stack trace sampled)"

UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9,
         "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_duration(s):
    """Go's time.Duration.String() back to integer ns, exactly."""
    s = s.strip()
    if s == "0s":
        return 0
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    total = Fraction(0)
    for num, unit in re.findall(r"([0-9.]+)(ns|us|µs|μs|ms|s|m|h)", s):
        total += Fraction(num) * UNITS[unit]
    if "".join(a + b for a, b in re.findall(r"([0-9.]+)(ns|us|µs|μs|ms|s|m|h)", s)) != s:
        raise ValueError(f"not a Go duration: {s!r}")
    assert total.denominator == 1, s
    return -int(total) if neg else int(total)


def go_tool_trace_binary():
    go = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), "1.27.3"],
                        check=True, capture_output=True, text=True).stdout.strip()
    env = dict(os.environ, GOTOOLCHAIN="local")
    # `go tool -n trace` prints the tool's binary: run it directly, so the
    # process we kill is the server itself.
    out = subprocess.run([go, "tool", "-n", "trace"], check=True, capture_output=True,
                         text=True, env=env).stdout.strip()
    return out.split()[0], env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`go tool trace -http` on one trace, killed on exit."""

    def __init__(self, tool, env, trace):
        self.tool, self.env, self.trace = tool, env, trace

    def __enter__(self):
        for _ in range(5):
            self.port = free_port()
            self.log = tempfile.TemporaryFile()
            env = dict(self.env, BROWSER="/bin/true", DISPLAY="")
            self.proc = subprocess.Popen([self.tool, f"-http=127.0.0.1:{self.port}", self.trace],
                                         stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL)
            deadline = time.time() + 120
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    self.get("/goroutines")
                    return self
                except OSError:
                    time.sleep(0.05)
            self.__exit__(None, None, None)
        raise RuntimeError(f"go tool trace did not serve {self.trace}: {self.output()}")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-500:]

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
            if r.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {r.status}")
            return r.read().decode()

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


GROUP_ROW = re.compile(
    r'<tr>\s*<td><code><a href="(/goroutine\?name=[^"]*)">(.*?)</a></code></td>\s*'
    r'<td>(\d+)</td>\s*<td>([^<]*)</td>\s*</tr>', re.S)


def parse_groups(page):
    groups = []
    for href, text, n, dur in GROUP_ROW.findall(page):
        name = html.unescape(text)
        if name == INACTIVE and href == "/goroutine?name=":
            name = ""
        groups.append({"name": name, "href": html.unescape(href), "count": int(n),
                       "exec_ns": parse_duration(dur)})
    return groups


def cells(row):
    return [html.unescape(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def parse_group_page(page):
    count = int(re.search(r"<td>Count:</td>\s*<td>(\d+)</td>", page).group(1))
    pct = re.search(r"<td>Execution Time:</td>\s*<td>(.*?) of total program execution time </td>",
                    page, re.S).group(1)
    tables = re.findall(r'<table class="details">(.*?)</table>', page, re.S)
    assert len(tables) == 2, "expected the breakdown and special-ranges tables"
    # Breakdown: Goroutine, Total, (bar), then the stat columns.
    cols = [html.unescape(c).strip() for c in
            re.findall(r"<th class=\"link\" onclick=\"reloadTable\('sortby', '[^']*'\)\"[^>]*>(.*?)</th>",
                       tables[0], re.S)]
    assert cols[0] == "Total", cols
    cols = cols[1:]
    goroutines = []
    for row in re.split(r"<tr>", tables[0])[2:]:
        gid = int(re.search(r'href="/trace\?goid=(\d+)"', row).group(1))
        tds = re.findall(r"<td>(.*?)</td>", re.sub(r"<div.*?</div>", "", row, flags=re.S), re.S)
        # tds: id link, total, bar cell (emptied), then one per column.
        vals = [t.strip() for t in tds[3:]]
        assert len(vals) == len(cols), (vals, cols)
        goroutines.append({"id": gid, "total_ns": parse_duration(tds[1]),
                           "breakdown": {c: parse_duration(v) for c, v in zip(cols, vals)}})
    rcols = [html.unescape(c).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", tables[1], re.S)]
    assert rcols[:2] == ["Goroutine", "Total"], rcols
    rcols = rcols[2:]
    ranges = []
    for row in re.split(r"<tr>", tables[1])[2:]:
        m = re.search(r'href="/trace\?goid=(\d+)"', row)
        if not m:
            continue
        tds = [t.strip() for t in re.findall(r"<td>(.*?)</td>", row, re.S)]
        vals = tds[2:]
        assert len(vals) == len(rcols), (vals, rcols)
        ranges.append({"id": int(m.group(1)), "total_ns": parse_duration(tds[1]),
                       "range_ns": {c: parse_duration(v) for c, v in zip(rcols, vals)}})
    assert len(goroutines) == count
    return {"count": count, "exec_percent": pct, "columns": cols, "goroutines": goroutines,
            "range_columns": rcols, "ranges": ranges}


def scrape(tool, env, trace):
    with Server(tool, env, trace) as srv:
        groups = parse_groups(srv.get("/goroutines"))
        pages = []
        for g in groups:
            p = parse_group_page(srv.get(g["href"]))
            p["name"] = g["name"]
            pages.append(p)
    for g in groups:
        del g["href"]
    return {"groups": groups, "pages": pages}


def compare(oracle, ours):
    """Differences between recorded pages and `schedstat goroutines --json` (empty: equal)."""
    errs = []
    og = oracle["groups"]
    mine = {g["name"]: g for g in ours["groups"]}
    if sorted(g["name"] for g in og) != sorted(mine):
        errs.append(f"group names differ: go {sorted(g['name'] for g in og)} ours {sorted(mine)}")
        return errs
    for g in og:
        m = mine[g["name"]]
        if (g["count"], g["exec_ns"]) != (m["count"], m["exec_ns"]):
            errs.append(f"group {g['name']!r}: go {g['count']} {g['exec_ns']}ns, ours {m['count']} {m['exec_ns']}ns")
    if [g["exec_ns"] for g in og] != [g["exec_ns"] for g in ours["groups"]]:
        errs.append("group order (by execution time) differs")
    for p in oracle["pages"]:
        m = mine[p["name"]]
        where = f"group {p['name']!r}"
        for k_go, k_ours in [("count", "count"), ("exec_percent", "exec_percent"),
                             ("columns", "columns"), ("range_columns", "range_columns")]:
            if p[k_go] != m[k_ours]:
                errs.append(f"{where}: {k_go}: go {p[k_go]!r} ours {m[k_ours]!r}")
        gs = {g["id"]: g for g in m["goroutines"]}
        if sorted(gs) != sorted(g["id"] for g in p["goroutines"]):
            errs.append(f"{where}: goroutine IDs differ")
            continue
        if [g["total_ns"] for g in p["goroutines"]] != [g["total_ns"] for g in m["goroutines"]]:
            errs.append(f"{where}: goroutine order (by total time) differs")
        for g in p["goroutines"]:
            o = gs[g["id"]]
            if g["total_ns"] != o["total_ns"]:
                errs.append(f"{where} G{g['id']}: total go {g['total_ns']} ours {o['total_ns']}")
            for c, v in g["breakdown"].items():
                if o["breakdown"].get(c, 0) != v:
                    errs.append(f"{where} G{g['id']}: {c}: go {v} ours {o['breakdown'].get(c, 0)}")
        with_ranges = sorted(i for i, g in gs.items() if sum(g["range_ns"].values()) != 0)
        if with_ranges != sorted(r["id"] for r in p["ranges"]):
            errs.append(f"{where}: goroutines with special ranges differ")
            continue
        for r in p["ranges"]:
            o = gs[r["id"]]
            for c, v in r["range_ns"].items():
                if o["range_ns"].get(c, 0) != v:
                    errs.append(f"{where} G{r['id']}: {c}: go {v} ours {o['range_ns'].get(c, 0)}")
    return errs


def record(args, tool, env):
    versions = args.versions.split(",") if args.versions else VERSIONS
    scenarios = args.scenarios.split(",") if args.scenarios else SCENARIOS
    n = 0
    for ver in versions:
        outdir = os.path.join(ROOT, "testdata/oracle/goroutines", ver)
        os.makedirs(outdir, exist_ok=True)
        for sc in scenarios:
            trace = os.path.join(ROOT, "testdata/fixtures", ver, sc + ".trace")
            if not os.path.exists(trace):
                continue
            doc = {"source": "go tool trace (Go 1.27.3) -http: /goroutines and /goroutine?name=...",
                   "trace": f"testdata/fixtures/{ver}/{sc}.trace"}
            doc.update(scrape(tool, env, trace))
            out = os.path.join(outdir, sc + ".json")
            with open(out + ".tmp", "w") as f:
                json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
                f.write("\n")
            os.replace(out + ".tmp", out)
            n += 1
            print(f"recorded {out} ({len(doc['groups'])} groups)", file=sys.stderr)
    print(f"goroutines oracle: recorded {n} fixtures")


def record_corpus(tool, env):
    corpus = os.path.join(ROOT, "..", "shared", "testdata", "go-corpus")
    outdir = os.path.join(ROOT, "testdata/oracle/goroutines/corpus")
    os.makedirs(outdir, exist_ok=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/schedstat/target"))
    bin_ = os.path.join(target, "release/schedstat")
    n = 0
    for dirpath, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            if not name.endswith(".trace"):
                continue
            trace = os.path.join(dirpath, name)
            r = subprocess.run([bin_, "stats", trace], capture_output=True)
            if r.returncode == 1:
                print(f"skipped {trace}: unreadable for schedstat", file=sys.stderr)
                continue
            rel = os.path.relpath(trace, ROOT)
            doc = {"source": "go tool trace (Go 1.27.3) -http: /goroutines and /goroutine?name=...",
                   "trace": rel}
            doc.update(scrape(tool, env, trace))
            out = os.path.join(outdir, name[:-len(".trace")] + ".json")
            with open(out + ".tmp", "w") as f:
                json.dump(doc, f, separators=(",", ":"), ensure_ascii=False)
                f.write("\n")
            os.replace(out + ".tmp", out)
            n += 1
    print(f"goroutines oracle: recorded {n} corpus traces")


def check(args, tool, env):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/schedstat/target"))
    bin_ = args.schedstat or os.path.join(target, "release/schedstat")
    traces = args.traces or [os.path.join(ROOT, "testdata/fixtures", t + ".trace") for t in CHECK_DEFAULT]
    failed, groups, gor = [], 0, 0
    for t in traces:
        try:
            oracle = scrape(tool, env, t)
            r = subprocess.run([bin_, "goroutines", "--json", t], capture_output=True, text=True)
            if r.returncode != 0:
                failed.append(f"{t}: schedstat exit {r.returncode}: {r.stderr.strip()}")
                continue
            errs = compare(oracle, json.loads(r.stdout))
            groups += len(oracle["groups"])
            gor += sum(p["count"] for p in oracle["pages"])
            if errs:
                failed.append(f"{t}: {len(errs)} differences, first: {errs[0]}")
        except Exception as e:  # one line per broken trace, never a traceback
            failed.append(f"{t}: {e}")
    for f in failed:
        print(f"  {f}", file=sys.stderr)
    status = "FAIL" if failed else "ok"
    print(f"goroutines vs go tool trace: {status}: {len(traces) - len(failed)}/{len(traces)} traces equal "
          f"({groups} groups, {gor} goroutines)")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare live instead of recording")
    ap.add_argument("--schedstat", help="schedstat binary for --check")
    ap.add_argument("--corpus", action="store_true", help="record the shared corpus's traces")
    ap.add_argument("--versions", help="comma-separated, e.g. go1.22,go1.27 (record)")
    ap.add_argument("--scenarios", help="comma-separated scenario names (record)")
    ap.add_argument("traces", nargs="*", help="traces for --check")
    args = ap.parse_args()
    tool, env = go_tool_trace_binary()
    if args.check:
        sys.exit(check(args, tool, env))
    if args.corpus:
        record_corpus(tool, env)
        return
    record(args, tool, env)


if __name__ == "__main__":
    main()
