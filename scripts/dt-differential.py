#!/usr/bin/env python3
"""Differential testing of the report against dt/schedstat on random workloads.

Usage: scripts/dt-differential.py --dt-schedstat BINARY [--traces N] [--go 1.22.10,1.25.5,1.27.3]
                                  [--first-seed S] [--work DIR] [--record DIR --record-count K]

Generates N traces with the generator's `mixed` scenario (a random workload
per seed: GOMAXPROCS 1-4, three to six phases of storms, CPU hogs, mutex
contention, channel ping-pong, allocation with GC, sleepers), cycling through
the Go releases given, and runs on each both schedstat and dt/schedstat (built
from its repository, outside this one: see testdata/oracle/dt-schedstat/README.md)
with the default flags and with the sensitive ones the fixture tests use
(-w 10ms --spike-threshold=200us --runnable-threshold=4 -n 10). Prints one line
per trace (identical, or the differing lines) and a summary; the full outputs of
every difference are kept under WORK/diffs for reading, and the differing
traces with dt/schedstat's outputs under WORK/differing, where
`SCHEDSTAT_DIFFERENTIAL_DIR=WORK/differing cargo test --release -p schedstat
--test dt_differential` checks that each difference is one of dt/schedstat's
ties.

--record DIR keeps K of the traces whose outputs were identical and small
(under 1 MB), with dt/schedstat's outputs beside them, for a test to compare
with on every CI run (crates/cli/tests/report.rs reads DIR/*.trace and
DIR/*.txt). Not run by CI itself: dt/schedstat is not on any registry.
"""

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENSITIVE = ["-w", "10ms", "--spike-threshold=200us", "--runnable-threshold=4", "-n", "10"]


def go_binary(version):
    out = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), version],
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dt-schedstat", required=True)
    ap.add_argument("--traces", type=int, default=200)
    ap.add_argument("--go", default="1.22.10,1.25.5,1.27.3")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--work")
    ap.add_argument("--record")
    ap.add_argument("--record-count", type=int, default=6)
    args = ap.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="schedstat-differential.")
    os.makedirs(os.path.join(work, "diffs"), exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "schedstat"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ours = os.path.join(target, "release", "schedstat")
    generators = {}
    for v in args.go.split(","):
        gen = os.path.join(work, f"generator-{v}")
        subprocess.run([go_binary(v), "build", "-o", gen, "."], cwd=os.path.join(ROOT, "testdata/generator"),
                       env=env, check=True)
        generators[v] = gen

    versions = list(generators)
    same, differ, failed = 0, [], []
    recorded = 0
    for i in range(args.traces):
        seed = args.first_seed + i
        v = versions[i % len(versions)]
        name = f"mixed-{seed}-go{v}"
        trace = os.path.join(work, name + ".trace")
        rc, _, plan = run([generators[v], "-scenario", "mixed", "-seed", str(seed), "-o", trace])
        if rc != 0:
            failed.append((name, "generator: " + plan.strip()))
            continue
        plan = plan.strip()
        diffs = []
        outputs = {}
        for label, flags in [("default", []), ("sensitive", SENSITIVE)]:
            # dt/schedstat writes TRACE.duckdb beside its input and prints the base name: a copy in a directory of its own.
            dt_dir = os.path.join(work, "dt")
            os.makedirs(dt_dir, exist_ok=True)
            dt_trace = os.path.join(dt_dir, name + ".trace")
            shutil.copyfile(trace, dt_trace)
            rc_dt, dt_out, dt_err = run([args.dt_schedstat, *flags, name + ".trace"], cwd=dt_dir)
            for leftover in (dt_trace, dt_trace + ".duckdb", dt_trace + ".duckdb.wal"):
                if os.path.exists(leftover):
                    os.remove(leftover)
            rc_us, us_out, us_err = run([ours, *flags, trace])
            if rc_dt != 0 or rc_us != 0:
                failed.append((name, f"{label}: dt exit {rc_dt} {dt_err.strip()[:200]}; ours exit {rc_us} {us_err.strip()[:200]}"))
                continue
            # Our first line names the file as given; dt/schedstat's, its base name.
            us_out = us_out.replace(f"schedstat: {trace}", f"schedstat: {name}.trace", 1)
            outputs[label] = dt_out
            if dt_out != us_out:
                d = list(difflib.unified_diff(dt_out.splitlines(), us_out.splitlines(), "dt/schedstat", "schedstat", lineterm="", n=1))
                diffs.append((label, d))
                with open(os.path.join(work, "diffs", f"{name}-{label}.diff"), "w") as f:
                    f.write(f"# {plan}\n" + "\n".join(d) + "\n")
        if diffs:
            differ.append(name)
            # The trace and dt/schedstat's outputs, laid out like the recorded sample, so that
            # SCHEDSTAT_DIFFERENTIAL_DIR=WORK/differing cargo test --test dt_differential
            # tells dt/schedstat's ties from real differences.
            keep = os.path.join(work, "differing")
            os.makedirs(keep, exist_ok=True)
            shutil.copyfile(trace, os.path.join(keep, name + ".trace"))
            for label, out in outputs.items():
                with open(os.path.join(keep, f"{name}-{label}.txt"), "w") as f:
                    f.write(out)
            shown = [l for _, d in diffs for l in d if l.startswith(("-", "+")) and not l.startswith(("---", "+++"))]
            print(f"{name}: DIFFERS ({plan})", flush=True)
            for l in shown[:6]:
                print(f"    {l}")
        else:
            same += 1
            print(f"{name}: identical ({plan})", flush=True)
            if args.record and recorded < args.record_count and os.path.getsize(trace) < 1 << 20 and len(outputs) == 2:
                os.makedirs(args.record, exist_ok=True)
                shutil.copyfile(trace, os.path.join(args.record, name + ".trace"))
                for label, out in outputs.items():
                    with open(os.path.join(args.record, f"{name}-{label}.txt"), "w") as f:
                        f.write(out)
                with open(os.path.join(args.record, f"{name}.plan"), "w") as f:
                    f.write(plan + "\n")
                recorded += 1
        if os.path.exists(trace) and not diffs:
            os.remove(trace)
    print(f"\n{args.traces} traces: {same} identical, {len(differ)} differ, {len(failed)} failed to run")
    for n, why in failed:
        print(f"  failed: {n}: {why}")
    print(f"diffs (and the differing traces) in {work}")


if __name__ == "__main__":
    main()
