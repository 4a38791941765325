#!/usr/bin/env python3
"""Speed and memory of schedstat's reader against Go's, on the same file.

Usage: scripts/bench.py [--size-mb N] [--trace FILE] [--runs K] [--dt-schedstat BINARY] [--old-format]

Generates a trace of at least N MB (default 40) with the generator's `bench`
scenario (Go 1.27.3), unless --trace names one. Then runs, K times each
(default 3, best run kept):
  - `schedstat stats --json FILE`: the full reader, ordering and validation included;
  - testdata/goreader: golang.org/x/exp/trace reading every event of the same file.
Prints events/s of each, their ratio, and the peak RSS of each process.
Then the default report end to end (`schedstat TRACE`: reading, loading
DuckDB, every analysis) and, when --dt-schedstat names a dt/schedstat binary,
the same report from dt/schedstat on a copy of the same file, with the ratio
of their wall times and both peak RSS. Last, `schedstat tui` on the same
file (scripts/tui-latency.py, in tmux): time to the first screen, key-press
and timeline latencies. Ratios are measurements, not pass/fail:
the targets (reader >= 5x Go's events/s, report >= 5x dt/schedstat, peak RSS
below the file size / below dt/schedstat's) are checked by reading this output.

--old-format generates the trace with Go 1.21.13 instead (the old, unpartitioned
format, which both readers must hold whole: peak RSS is the figure to watch;
default size then 30 MB) and skips dt/schedstat, which cannot read it.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE_GO = "1.27.3"
OLD_FORMAT_GO = "1.21.13"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def go_binary(version=ORACLE_GO):
    out = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), version],
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def timed(cmd):
    """Runs cmd; returns (seconds, peak RSS in KiB, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {err.decode(errors='replace')}")
    return secs, usage.ru_maxrss, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int)
    ap.add_argument("--trace")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dt-schedstat", help="a dt/schedstat binary to compare the default report with")
    ap.add_argument("--old-format", action="store_true",
                    help=f"generate the trace with Go {OLD_FORMAT_GO} (old format)")
    args = ap.parse_args()
    if args.size_mb is None:
        args.size_mb = 30 if args.old_format else 40
    if args.old_format:
        args.dt_schedstat = None

    env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    go = go_binary()
    work = tempfile.mkdtemp(prefix="schedstat-bench.")
    print("building schedstat (release) ...", file=sys.stderr)
    sh(["cargo", "build", "--release", "--quiet", "-p", "schedstat"], cwd=ROOT)
    sh(["cargo", "build", "--release", "--quiet", "-p", "gotrace", "--example", "count_events"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    schedstat = os.path.join(target, "release", "schedstat")
    count_events = os.path.join(target, "release", "examples", "count_events")
    goreader = os.path.join(work, "goreader")
    sh([go, "build", "-o", goreader, "."], cwd=os.path.join(ROOT, "testdata/goreader"), env=env)

    trace = args.trace
    if not trace:
        trace = os.path.join(work, "bench.trace")
        gen_version = OLD_FORMAT_GO if args.old_format else ORACLE_GO
        print(f"generating a >= {args.size_mb} MB trace with Go {gen_version} ...", file=sys.stderr)
        sh([go_binary(gen_version), "run", ".", "-scenario", "bench", "-size-mb", str(args.size_mb), "-o", trace],
           cwd=os.path.join(ROOT, "testdata/generator"), env=env)
    size = os.path.getsize(trace)

    best = {}
    for _ in range(args.runs):
        # Our reader measured like Go's: file loaded first, parsing timed in-process.
        _, _, cout = timed([count_events, trace])
        c = json.loads(cout)
        if "lib" not in best or c["seconds"] < best["lib"][0]:
            best["lib"] = (c["seconds"], c["events"])
        secs, rss, out = timed([schedstat, "stats", "--json", trace])
        events = json.loads(out)["events"]
        if "ours" not in best or secs < best["ours"][0]:
            best["ours"] = (secs, rss, events)
        # Go's reader times parsing only (the file is read first), which favours Go.
        _, grss, gout = timed([goreader, trace])
        g = json.loads(gout)
        if "go" not in best or g["seconds"] < best["go"][0]:
            best["go"] = (g["seconds"], grss, g["events"])

    ours_secs, ours_rss, ours_events = best["ours"]
    go_secs, go_rss, go_events = best["go"]
    if ours_events != go_events:
        sys.exit(f"bench: event counts differ: schedstat {ours_events}, Go {go_events}")
    ours_eps = ours_events / ours_secs
    go_eps = go_events / go_secs
    mb = size / (1 << 20)
    with open(trace, "rb") as f:
        header = f.read(16).rstrip(b"\0").decode(errors="replace")
    print(f"trace                 {trace} ({mb:.1f} MiB, {ours_events} events, {header!r})")
    print(f"schedstat stats       {ours_eps / 1e6:8.2f} M events/s  {ours_secs:6.3f} s  peak RSS {ours_rss / 1024:7.1f} MiB (whole process)")
    print(f"Go x/exp/trace        {go_eps / 1e6:8.2f} M events/s  {go_secs:6.3f} s  peak RSS {go_rss / 1024:7.1f} MiB (parse time only)")
    lib_eps = best["lib"][1] / best["lib"][0]
    print(f"gotrace (in-process)  {lib_eps / 1e6:8.2f} M events/s  {best['lib'][0]:6.3f} s  (parse time only, like Go's)")
    print(f"ratio                 {lib_eps / go_eps:8.2f}x Go's events/s, parse time vs parse time (target >= 5x, goal 10x)")
    print(f"ratio (whole process) {ours_eps / go_eps:8.2f}x: schedstat stats end to end vs Go's parse time")
    print(f"memory                peak RSS {ours_rss / 1024 / mb:.2f}x the file size (the binary maps libduckdb.so too); "
          f"Go's {go_rss / 1024 / mb:.2f}x; ours {ours_rss / go_rss:.2f}x Go's")

    # The default report, end to end.
    rep_secs, rep_rss, _ = min((timed([schedstat, trace]) for _ in range(max(1, args.runs - 1))),
                               key=lambda r: r[0])
    print(f"schedstat TRACE       {rep_secs:6.2f} s  peak RSS {rep_rss / 1024:7.1f} MiB (report end to end)")
    if args.dt_schedstat:
        # dt/schedstat writes TRACE.duckdb next to its input: give it its own copy.
        copy = os.path.join(work, "dt-" + os.path.basename(trace))
        shutil.copyfile(trace, copy)
        dt_secs, dt_rss, _ = timed([args.dt_schedstat, copy])
        print(f"dt/schedstat TRACE    {dt_secs:6.2f} s  peak RSS {dt_rss / 1024:7.1f} MiB")
        print(f"report ratio          {dt_secs / rep_secs:8.2f}x faster than dt/schedstat (target >= 5x, goal 10x); "
              f"RSS {rep_rss / dt_rss:.2f}x dt/schedstat's")
    else:
        print("dt/schedstat          not measured (pass --dt-schedstat BINARY to compare)")

    # The terminal UI on the same trace: first screen, key presses, timeline queries.
    sh([sys.executable, os.path.join(ROOT, "scripts/tui-latency.py"), schedstat, trace])


if __name__ == "__main__":
    main()
