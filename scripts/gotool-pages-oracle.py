#!/usr/bin/env python3
"""Records what Go 1.27.3's `go tool trace` web UI shows for fixture traces.

Usage: scripts/gotool-pages-oracle.py [SCENARIO ...]   (default: gc annotations mutex http)

For each fixture testdata/fixtures/go1.2X/<scenario>.trace (all six Go
versions) it starts `go tool trace -http=127.0.0.1:PORT TRACE` on a free port,
waits until the server answers, reads these pages and always kills the server:

  /mmu?mode=plot&flags=...      the MMU curve JSON, for the page's default
                                flags (system|stw|background|assist) and for
                                perProc|stw|background|assist|sweep
  /mmu?mode=details&window=W    the 10 worst windows, at three of the curve's
                                window sizes, for both flag sets
  /usertasks, /usertask?type=T  tasks by type and each task's event list
  /userregions, /userregion?... regions by type and start frame, each
                                region's time breakdown

and writes them, parsed into numbers, to
testdata/oracle/gotool/go1.2X/<scenario>.{mmu,tasks,regions}.json.
Durations printed by Go (time.Duration.String) are converted to exact
nanoseconds. Floats from Go's JSON are kept as Go printed them (shortest
round-trip form), so the Rust tests compare them exactly.
"""

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]
DEFAULT_SCENARIOS = ["gc", "annotations", "mutex", "http", "regionsgc"]
# Truncated traces: (version, scenario, bytes kept). go tool trace keeps the
# complete generations; the view is written as <scenario>.cut<bytes>.mmu.json.
CUTS = [("1.27", "multigen", 24000)]
# Go's amd64 math.Exp has an FMA path and a plain one, chosen by the CPU; MMU
# window sizes and histogram bounds depend on it. These fixtures are also
# recorded with GODEBUG=cpu.fma=off, under testdata/oracle/gotool/nofma/.
NOFMA = [("1.27", "gc"), ("1.27", "annotations"), ("1.22", "regionsgc")]
FLAG_SETS = {
    "default": "system|stw|background|assist",
    "all": "perProc|stw|background|assist|sweep",
}


def go_binary():
    out = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), "1.27.3"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


UNITS = {"ns": 1, "µs": 1000, "us": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def dur_ns(s):
    """Exact nanoseconds of a Go time.Duration.String() value."""
    s = s.strip()
    if s in ("0s", "0"):
        return 0
    total = Decimal(0)
    for num, unit in re.findall(r"([0-9.]+)(ns|µs|us|ms|s|m|h)", s):
        total += Decimal(num) * UNITS[unit]
    assert total == int(total), s
    return int(total)


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=120) as r:
        return r.read().decode("utf-8")


def histogram(cell):
    """Buckets of a TimeHistogram.ToHTML table: [[min_ns, count], ...] for non-empty buckets."""
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", cell, re.S):
        m = re.search(r'class="histoTime" align="right">(?:<a href=[^>]*>)?([^<]+)(?:</a>)?</td>.*?'
                      r'<div style="position:relative">(\d+)</div>', row, re.S)
        if m and int(m.group(2)) > 0:
            out.append([dur_ns(html.unescape(m.group(1))), int(m.group(2))])
    return out


def tasks_view(base):
    page = get(base, "/usertasks")
    body = page.split('<table border="1" sortable="1">', 1)[1]
    types = []
    for row in re.findall(r"\n  <tr>\n(.*?)\n  </tr>\n", body, re.S):
        cells = re.findall(r"    <td>(.*?)</td>\n", row + "\n", re.S)
        name = html.unescape(cells[0])
        count = int(re.search(r">(\d+)</a>", cells[1]).group(1))
        types.append({"type": name, "count": count, "histogram": histogram(cells[2])})
    details = {}
    for t in types:
        q = urllib.parse.urlencode({"type": t["type"]})
        page = get(base, "/usertask?" + q)
        tasks = []
        for block in page.split('<tr class="first">')[1:]:
            head, _, rest = block.partition("</tr>")
            m = re.search(r'class="when">([0-9.]+)s</td>\s*<td class="elapsed">([^<]+)</td>', head)
            tid = int(re.search(r"focustask=(\d+)", head).group(1))
            complete = "(complete)" in head
            events = []
            for ev in re.findall(r'<td class="when">([0-9.]+)</td>\s*<td class="elapsed">([^<]*)</td>\s*'
                                 r'<td class="goid">(-?\d+)</td>\s*<td>(.*?)</td>', rest, re.S):
                events.append({
                    "since_start_ns": int(Decimal(ev[0]) * 10**9),
                    "goroutine": int(ev[2]),
                    "what": html.unescape(ev[3]),
                })
            tasks.append({
                "id": tid,
                "start_since_trace_ns": int(Decimal(m.group(1)) * 10**9),
                "duration_ns": dur_ns(m.group(2)),
                "complete": complete,
                "events": events,
            })
        tasks.sort(key=lambda x: x["id"])
        details[t["type"]] = tasks
    return {"types": types, "tasks": details}


def regions_view(base):
    page = get(base, "/userregions")
    body = page.split('<table border="1" sortable="1">', 1)[1]
    groups = []
    for row in re.findall(r"\n  <tr>\n(.*?)\n  </tr>\n", body, re.S):
        cells = re.findall(r"    <td>(.*?)</td>\n", row + "\n", re.S)
        pre = re.search(r"<pre>(.*?)<br>(.*?) @ 0x([0-9a-f]+)<br>(.*?):(\d+)</pre>", cells[0], re.S)
        rtype = json.loads(html.unescape(pre.group(1)))  # Go printed it with %q
        groups.append({
            "type": rtype,
            "func": html.unescape(pre.group(2)),
            "pc": int(pre.group(3), 16),
            "file": html.unescape(pre.group(4)),
            "line": int(pre.group(5)),
            "count": int(re.search(r">(\d+)</a>", cells[1]).group(1)),
            "histogram": histogram(cells[2]),
        })
    for g in groups:
        q = urllib.parse.urlencode({"type": g["type"], "pc": "%x" % g["pc"]})
        page = get(base, "/userregion?" + q)
        brk = page.split('<h3 id="breakdown">', 1)[1].split('<h3 id="ranges">', 1)
        cols = [html.unescape(c) for c in re.findall(r"sortby', '([^']+)'\)\"[^>]*>", brk[0])]
        cols = [c for c in cols if c != "Total time"]
        regions = []
        for row in re.findall(r"<tr>\s*<td> <a href=\"/trace\?goid=(.*?)</tr>", brk[0], re.S):
            goid = int(row.split('"', 1)[0])
            task = re.search(r"focustask=(\d+)", row)
            tds = re.findall(r"<td> ([^<]*?)</td>", row)
            total = dur_ns(tds[0])
            vals = [dur_ns(v) for v in tds[1:]]
            assert len(vals) == len(cols), (cols, vals)
            regions.append({"goroutine": goid, "task": int(task.group(1)) if task else 0,
                            "total_ns": total, "stats": dict(zip(cols, vals))})
        rcols = [html.unescape(c) for c in re.findall(r"<th [^>]*> ([^<]+)</th>", brk[1])]
        ranges = []
        for row in re.findall(r"<tr>\s*<td> <a href=\"/trace\?goid=(.*?)</tr>", brk[1], re.S):
            goid = int(row.split('"', 1)[0])
            task = re.search(r"focustask=(\d+)", row)
            tds = [dur_ns(v) for v in re.findall(r"<td> ([^<]*?)</td>", row)]
            ranges.append({"goroutine": goid, "task": int(task.group(1)) if task else 0,
                           "total_ns": tds[0], "ranges": dict(zip(rcols, tds[1:]))})
        key = lambda r: (r["goroutine"], r["task"], r["total_ns"], sorted(r.get("stats", r.get("ranges")).items()))
        g["regions"] = sorted(regions, key=key)
        g["range_rows"] = sorted(ranges, key=key)
    return {"groups": groups}


def mmu_view(base):
    out = {}
    for name, flags in FLAG_SETS.items():
        plot = json.loads(get(base, "/mmu?mode=plot&flags=" + urllib.parse.quote(flags)))
        curve = plot["curve"]
        worst = {}
        for i in (0, 50, 99):
            if i >= len(curve):
                continue
            w = int(curve[i][0])
            d = json.loads(get(base, "/mmu?mode=details&window=%d&flags=%s" % (w, urllib.parse.quote(flags))))
            worst[str(w)] = [{"time": x["Time"], "mu": x["MutatorUtil"]} for x in (d or [])]
        out[name] = {"flags": flags, "x_min": plot["xMin"], "x_max": plot["xMax"],
                     "curve": curve, "worst": worst}
    return out


def record(go, version, scenario, cut=None, nofma=False):
    trace = os.path.join(ROOT, "testdata/fixtures/go%s/%s.trace" % (version, scenario))
    name = scenario
    if cut is not None:
        with open(trace, "rb") as f:
            data = f.read()[:cut]
        fd, trace = tempfile.mkstemp(suffix=".trace")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        name = "%s.cut%d" % (scenario, cut)
    if not os.path.exists(trace):
        print("skip", trace, file=sys.stderr)
        return
    port = free_port()
    env = dict(os.environ, GOTOOLCHAIN="local", BROWSER="true")
    if nofma:
        env["GODEBUG"] = "cpu.fma=off"
    proc = subprocess.Popen([go, "tool", "trace", "-http=127.0.0.1:%d" % port, trace],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    try:
        deadline = time.time() + 300
        while True:
            try:
                get(base, "/")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("go tool trace did not start for " + trace)
                time.sleep(0.3)
        outdir = os.path.join(ROOT, "testdata/oracle/gotool", "nofma" if nofma else "", "go" + version)
        os.makedirs(outdir, exist_ok=True)
        views = {"mmu": mmu_view(base)}
        if cut is None and scenario in ("annotations", "http", "regionsgc"):
            views["tasks"] = tasks_view(base)
            views["regions"] = regions_view(base)
        for view, doc in views.items():
            path = os.path.join(outdir, "%s.%s.json" % (name, view))
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(doc, f, indent=None, separators=(",", ":"), ensure_ascii=False)
                f.write("\n")
            os.replace(tmp, path)
            print("wrote", os.path.relpath(path, ROOT), file=sys.stderr)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        if cut is not None:
            os.unlink(trace)


def main():
    scenarios = sys.argv[1:] or DEFAULT_SCENARIOS
    go = go_binary()
    for v in VERSIONS:
        for s in scenarios:
            record(go, v, s)
    if not sys.argv[1:]:
        for v, s, cut in CUTS:
            record(go, v, s, cut)
        for v, s in NOFMA:
            record(go, v, s, nofma=True)


if __name__ == "__main__":
    main()
