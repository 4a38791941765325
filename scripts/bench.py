#!/usr/bin/env python3
"""Speed and memory of schedstat's reader against Go's, on the same file.

Usage: scripts/bench.py [--size-mb N] [--trace FILE] [--runs K] [--dt-schedstat BINARY] [--old-format]
       scripts/bench.py --report-suite [--dt-schedstat BINARY] [--runs K] [--sizes-mb A,B] [--keep-traces DIR]
                        [--huge-mb N]
       scripts/bench.py --fleet [--sqlprof SRC|BINARY]

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
file (scripts/tui-latency.py, in tmux): time to the first screen, to the
report and the doctor, key-press latencies (timeline keys too) against the
100 ms target, and the UI's peak RSS. Ratios are measurements, not pass/fail:
the targets (reader >= 5x Go's events/s, report >= 5x dt/schedstat, peak RSS
below the file size / below dt/schedstat's) are checked by reading this output.

--report-suite measures the report on six traces (Go 1.27.3): the `busy`
scenario (a server's pool of long-lived goroutines: many events per
goroutine) and the `bench` scenario (channel ping-pong and churn), each at
30 MB and 150 MB, the `churn` scenario at 30 MB (storms of short-lived
goroutines) and the `annotated` scenario at 30 MB (every request a
runtime/trace task with regions and a log), and with --huge-mb N a `bench`
trace of at least N MB (1050: the >= 1 GB trace that must complete on this
machine), each with the default
report and with `--why --bursts --timeseries --by-creator`, against
dt/schedstat with the same flags on a copy of the same file: wall time and
peak RSS, their ratios, and the targets (>= 10x dt/schedstat's speed, <= 0.5x
its peak RSS; dt/schedstat has no --why, so it runs the other three).
dt/schedstat runs under an address-space cap of 3/4 of the machine's memory;
if it fails, the line says so with its first error line instead of taking the
machine down. Then the reader alone (`schedstat stats`) against Go's reader
on each trace (target >= 10x). --keep-traces DIR reuses/keeps the traces there.

--fleet converts >= 200 traces (every fixture, a cut copy of each, broken
files) with `schedstat fleet` and with a loop of `schedstat --json`. With
--sqlprof (a felixge/sqlprof checkout or bare git directory, built here with
Go 1.27.3 outside the repository, or a binary already built), also sqlprof's
batch mode (`sqlprof -format csv TRACE... QUERY`: each trace loaded into its
own DuckDB database by a pool of GOMAXPROCS goroutines, then the query)
against `schedstat fleet` on the traces sqlprof reads (found by running it on
each file once first, untimed). Then one Spark local run (local[2]) of
fleet/spark/fleet_job.py converting the same traces, timed whole (JVM start-up
included), when scripts/spark-test.sh has installed PySpark and Java.

--old-format generates the trace with Go 1.21.13 instead (the old, unpartitioned
format, which both readers must hold whole: peak RSS is the figure to watch;
default size then 30 MB) and skips dt/schedstat, which cannot read it.
"""

import argparse
import json
import os
import resource
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


class AnchorFailed(Exception):
    """An anchor run under a memory cap failed; the message is its stderr's first line."""


def timed(cmd, address_space_limit=None):
    """Runs cmd; returns (seconds, peak RSS in KiB, stdout).

    With address_space_limit (bytes), the command runs under that RLIMIT_AS
    and a failure raises AnchorFailed instead of ending the bench: an anchor
    that runs out of memory is a result, and the cap keeps it from taking
    the machine's memory from everything else."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (address_space_limit, address_space_limit))
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=cap if address_space_limit else None)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        if address_space_limit:
            lines = err.decode(errors="replace").strip().splitlines()
            raise AnchorFailed(lines[0] if lines else f"exit status {os.waitstatus_to_exitcode(status)}")
        sys.exit(f"bench: {' '.join(cmd)} failed: {err.decode(errors='replace')}")
    return secs, usage.ru_maxrss, out


def machine_memory():
    """The machine's memory in bytes (None where /proc/meminfo does not say)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def anchor_memory_cap():
    """Three quarters of the machine's memory, in bytes: what an anchor may use."""
    ram = machine_memory()
    return ram * 3 // 4 if ram else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int)
    ap.add_argument("--trace")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dt-schedstat", help="a dt/schedstat binary to compare the default report with")
    ap.add_argument("--old-format", action="store_true",
                    help=f"generate the trace with Go {OLD_FORMAT_GO} (old format)")
    ap.add_argument("--report-suite", action="store_true", help="the report on three traces against dt/schedstat")
    ap.add_argument("--fleet", action="store_true",
                    help="schedstat fleet on >= 200 traces against a loop of schedstat --json")
    ap.add_argument("--sqlprof", help="--fleet: felixge/sqlprof (a checkout, a bare git directory or a built binary) "
                    "to compare batch mode with on the traces it reads")
    ap.add_argument("--sizes-mb", default="30,150", help="--report-suite: sizes of the two bench traces")
    ap.add_argument("--keep-traces", help="--report-suite: directory to keep (and reuse) the generated traces in")
    ap.add_argument("--huge-mb", type=int, help="--report-suite: also a bench trace of at least this many MB "
                    "(1050 for the >= 1 GB target: it must complete, with its time and peak RSS printed)")
    args = ap.parse_args()
    if args.report_suite:
        return report_suite(args)
    if args.fleet:
        return fleet_bench(args)
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
    print(f"memory                peak RSS {ours_rss / 1024 / mb:.2f}x the file size (whole process); "
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

    # The terminal UI on the same trace: time to the first screen and the rest, key presses (timeline ones too).
    sh([sys.executable, os.path.join(ROOT, "scripts/tui-latency.py"), schedstat, trace])


def report_suite(args):
    """The report (and the reader) on three traces, against dt/schedstat and Go's reader."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    go = go_binary()
    work = args.keep_traces or tempfile.mkdtemp(prefix="schedstat-bench.")
    os.makedirs(work, exist_ok=True)
    print("building schedstat (release) ...", file=sys.stderr)
    sh(["cargo", "build", "--release", "--quiet", "-p", "schedstat"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    schedstat = os.path.join(target, "release", "schedstat")
    goreader = os.path.join(work, "goreader")
    sh([go, "build", "-o", goreader, "."], cwd=os.path.join(ROOT, "testdata/goreader"), env=env)
    generator = os.path.join(work, "generator")
    sh([go, "build", "-o", generator, "."], cwd=os.path.join(ROOT, "testdata/generator"), env=env)
    small, big = (int(x) for x in args.sizes_mb.split(","))
    # busy: a long-lived server pool (many events per goroutine); bench and
    # churn: many short goroutines (ping-pong, storms).
    # annotated: a server whose every request is a task with regions and a log.
    suite = [("busy", small), ("busy", big), ("bench", small), ("bench", big), ("churn", small), ("annotated", small)]

    def trace(scenario, mb):
        """The suite's trace of that scenario and size, generated once into work."""
        path = os.path.join(work, f"{scenario}-{mb}mb.trace")
        if not os.path.exists(path):
            print(f"generating {path} ...", file=sys.stderr)
            sh([generator, "-scenario", scenario, "-size-mb", str(mb), "-o", path])
        return path

    traces = [trace(scenario, mb) for scenario, mb in suite]
    huge = trace("bench", args.huge_mb) if args.huge_mb else None
    flag_sets = [[], ["--why", "--bursts", "--timeseries", "--by-creator"]]
    cap = anchor_memory_cap()
    runs = max(1, args.runs)
    print(f"{'trace':<22} {'flags':<38} {'schedstat':>17} {'dt/schedstat':>17} {'speed':>7} {'RSS':>6}")
    for path in traces:
        name = os.path.basename(path)
        for flags in flag_sets:
            ours = min((timed([schedstat, *flags, path]) for _ in range(runs)), key=lambda r: r[0])
            shown = " ".join(flags) or "(default report)"
            line = f"{name:<22} {shown:<38} {ours[0]:6.2f} s {ours[1] / 1024:5.0f} MiB"
            if args.dt_schedstat:
                copy = os.path.join(work, "dt-" + name)
                shutil.copyfile(path, copy)
                # dt/schedstat has no --why: it runs the rest of the flags (less work than ours).
                try:
                    dt = timed([args.dt_schedstat, *[f for f in flags if f != "--why"], copy], cap)
                except AnchorFailed as e:
                    dt = e
                for leftover in (copy, copy + ".duckdb", copy + ".duckdb.wal"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
                if isinstance(dt, AnchorFailed):
                    line += f"  failed under a {cap / 2**30:.0f} GiB address-space cap: {dt}"
                else:
                    line += f" {dt[0]:6.2f} s {dt[1] / 1024:5.0f} MiB {dt[0] / ours[0]:6.2f}x {ours[1] / dt[1]:5.2f}x"
            print(line, flush=True)
    if args.dt_schedstat:
        print("targets: speed >= 10x dt/schedstat's (the speed column), peak RSS <= 0.5x its (the RSS column)")
    else:
        print("dt/schedstat not measured (pass --dt-schedstat BINARY to compare)")
    if huge:
        # Once, without dt/schedstat (which takes minutes per 150 MB): the
        # target is that it completes within this machine's memory.
        ram = machine_memory()
        size = os.path.getsize(huge)
        for flags in flag_sets:
            secs, rss, _ = timed([schedstat, *flags, huge])
            shown = " ".join(flags) or "(default report)"
            print(f"huge {os.path.basename(huge)} ({size / 2**30:.2f} GiB) {shown}: completed in {secs:.1f} s, "
                  f"peak RSS {rss / 2**20:.2f} GiB of the machine's {ram / 2**30:.0f} GiB "
                  f"({rss * 1024 / size:.1f}x the trace; target: completes)", flush=True)
    for path in traces + ([huge] if huge else []):
        best = None
        for _ in range(runs):
            secs, rss, out = timed([schedstat, "stats", "--json", path])
            _, grss, gout = timed([goreader, path])
            g = json.loads(gout)
            if best is None or secs < best[0]:
                best = (secs, rss, g["seconds"], grss)
        secs, rss, gsecs, grss = best
        print(f"reader {os.path.basename(path):<22} schedstat stats {secs:6.2f} s {rss / 1024:5.0f} MiB; "
              f"Go's reader {gsecs:6.2f} s (parse only) {grss / 1024:5.0f} MiB; {gsecs / secs:5.2f}x (target >= 10x)")


def fleet_bench(args):
    """schedstat fleet over many traces against converting them one by one."""
    print("building schedstat (release) ...", file=sys.stderr)
    sh(["cargo", "build", "--release", "--quiet", "-p", "schedstat"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    schedstat = os.path.join(target, "release", "schedstat")
    work = tempfile.mkdtemp(prefix="schedstat-fleet-bench.")
    inputs = os.path.join(work, "traces")
    # Every committed fixture (Go 1.19-1.27), each also cut at 60% (some keep
    # complete generations, some none), and broken files, in per-version dirs.
    fixtures = os.path.join(ROOT, "testdata", "fixtures")
    n = 0
    for version in sorted(os.listdir(fixtures)):
        src = os.path.join(fixtures, version)
        if not os.path.isdir(src):
            continue
        dst = os.path.join(inputs, version)
        os.makedirs(dst, exist_ok=True)
        for f in sorted(os.listdir(src)):
            if not f.endswith(".trace"):
                continue
            data = open(os.path.join(src, f), "rb").read()
            open(os.path.join(dst, f), "wb").write(data)
            open(os.path.join(dst, "cut-" + f), "wb").write(data[: len(data) * 6 // 10])
            n += 2
        open(os.path.join(dst, "broken.trace"), "wb").write(b"go 1.22 trace\0\0\0" + b"\xff" * 64)
        n += 1
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(inputs) for f in fs)
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(inputs) for f in fs)
    print(f"fleet bench: {n} traces, {size / 1e6:.1f} MB, under {inputs}")
    secs, rss, _ = timed([schedstat, "fleet", "--json", inputs, "-o", os.path.join(work, "dataset")])
    print(f"schedstat fleet       {secs:6.2f} s  {n / secs:6.1f} traces/s  peak RSS {rss / 1024:6.0f} MiB")
    start = time.perf_counter()
    peak = 0
    for f in files:
        p = subprocess.Popen([schedstat, "--json", f], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(p.pid, 0)
        peak = max(peak, usage.ru_maxrss)
    loop = time.perf_counter() - start
    print(f"loop of schedstat --json  {loop:6.2f} s  {n / loop:6.1f} traces/s  peak RSS {peak / 1024:6.0f} MiB (one at a time)")
    print(f"ratio                 {loop / secs:6.2f}x the loop's throughput (target >= 1.8x on 2 cores)")
    ds = os.path.join(work, "dataset")
    ds_size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(ds) for f in fs)
    print(f"dataset               {ds_size / 1e6:.1f} MB for {size / 1e6:.1f} MB of traces ({ds_size / size:.2f}x)")
    if args.sqlprof:
        sqlprof_bench(schedstat, args.sqlprof, files, work)
    else:
        print("sqlprof's batch mode: not measured (give --sqlprof SRC)")
    spark_bench(schedstat, inputs, n, secs, work)
    shutil.rmtree(work, ignore_errors=True)


# The PySpark that scripts/spark-test.sh installs (and CI runs); not installed here.
PYSPARK_DIR = os.path.expanduser("~/.cache/schedstat/pyspark/4.3.0")


def spark_bench(schedstat, inputs, n, fleet_secs, work):
    """One Spark local run (local[2]) of fleet/spark/fleet_job.py's conversion on the same traces."""
    submit = os.path.join(PYSPARK_DIR, "pyspark", "bin", "spark-submit")
    if not os.path.exists(submit) or shutil.which("java") is None:
        print("Spark local run: not measured (scripts/spark-test.sh installs PySpark and Java)")
        return
    env = dict(os.environ, PYTHONPATH=PYSPARK_DIR, PYSPARK_PYTHON="python3", SPARK_LOCAL_IP="127.0.0.1")
    cmd = [submit, "--master", "local[2]", os.path.join(ROOT, "fleet", "spark", "fleet_job.py"), "convert",
           "--schedstat", schedstat, "--dataset", os.path.join(work, "spark-dataset"), inputs]
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - start
    if p.returncode != 0:
        print(f"Spark local run: failed ({p.stderr.strip().splitlines()[-1:]})")
        return
    print(f"Spark local[2] run    {secs:6.2f} s  {n / secs:6.1f} traces/s (JVM start-up included; "
          f"schedstat fleet: {fleet_secs:.2f} s)")


SQLPROF_QUERY = "select count(*) as transitions from g_transitions"


def sqlprof_binary(src, work):
    """A sqlprof binary: SRC itself, or built from SRC (a checkout or a bare git directory) with Go 1.27.3."""
    if os.path.isfile(src) and os.access(src, os.X_OK):
        return src
    build = os.path.join(work, "sqlprof-src")
    os.makedirs(build)
    if os.path.isfile(os.path.join(src, "HEAD")) and os.path.isdir(os.path.join(src, "objects")):
        archive = subprocess.run(["git", f"--git-dir={src}", "archive", "HEAD"], check=True, stdout=subprocess.PIPE).stdout
        sh(["tar", "-x", "-C", build], input=archive)
    else:
        shutil.copytree(src, build, dirs_exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    out = os.path.join(work, "sqlprof")
    print("building sqlprof (Go 1.27.3, DuckDB through cgo) ...", file=sys.stderr)
    start = time.perf_counter()
    sh([go_binary(), "build", "-o", out, "."], cwd=build, env=env)
    print(f"sqlprof built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return out


def sqlprof_bench(schedstat, src, files, work):
    """sqlprof's batch mode against schedstat fleet, on the traces sqlprof reads."""
    sqlprof = sqlprof_binary(src, work)

    def reads(f):
        p = subprocess.run([sqlprof, "-format", "csv", f, SQLPROF_QUERY],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        return p.returncode == 0

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        ok = list(pool.map(reads, files))
    readable = [f for f, r in zip(files, ok) if r]
    same = os.path.join(work, "sqlprof-readable")
    for f in readable:
        dst = os.path.join(same, os.path.relpath(f, os.path.join(work, "traces")))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.link(f, dst)
    size = sum(os.path.getsize(f) for f in readable)
    n = len(readable)
    by_version = {}
    for f in readable:
        v = os.path.basename(os.path.dirname(f))
        by_version[v] = by_version.get(v, 0) + 1
    print(f"sqlprof reads {n} of the {len(files)} traces ({size / 1e6:.1f} MB): "
          + ", ".join(f"{v} {c}" for v, c in sorted(by_version.items())))
    if n == 0:
        return
    secs, rss, _ = timed([sqlprof, "-format", "csv", *readable, SQLPROF_QUERY])
    print(f"sqlprof batch mode    {secs:6.2f} s  {n / secs:6.1f} traces/s  peak RSS {rss / 1024:6.0f} MiB"
          f"  (query: {SQLPROF_QUERY})")
    fsecs, frss, _ = timed([schedstat, "fleet", "--json", same, "-o", os.path.join(work, "dataset-sqlprof-set")])
    print(f"schedstat fleet       {fsecs:6.2f} s  {n / fsecs:6.1f} traces/s  peak RSS {frss / 1024:6.0f} MiB  (same traces)")
    print(f"ratio                 {secs / fsecs:6.2f}x sqlprof's throughput, {frss / rss:.2f}x its peak RSS")


if __name__ == "__main__":
    main()
