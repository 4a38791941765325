#!/usr/bin/env python3
"""Records what Go 1.27.3 says about old-format (Go <= 1.21) traces cut short.

Usage: scripts/truncation-oracle-v1.py [--per-trace N]

An old-format trace has no generations: Go's reader indexes the whole file
before its first event, so a cut trace is either read whole (a cut at a batch
boundary can still be a consistent, shorter trace) or refused with one error
and no events. For the old-format traces of the shared corpus
(../shared/testdata/go-corpus, beside the clone as in CI), this cuts each file
at N offsets, runs `go tool trace -d=parsed` on each cut, and writes
testdata/oracle/truncation-v1.tsv, one row per cut:

    trace (relative to the corpus)  offset  go-exit-code  stdout-lines  go's error line

crates/gotrace/tests/truncation.rs cuts the same files at the same offsets and
must fail exactly when Go fails, with Go's message, and otherwise print as many
lines. (Stdout is compared by line count, not hash: Go's order of same-tick
events in old traces changes from run to run.)
"""

import argparse
import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Running Go on a cut and writing the table: shared with truncation-oracle.py.
_spec = importlib.util.spec_from_file_location("truncation_oracle", os.path.join(ROOT, "scripts/truncation-oracle.py"))
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)
CORPUS = os.path.join(ROOT, "..", "shared", "testdata", "go-corpus")
TRACES = [
    "golang-go/tracev1-testdata/http_1_19_good",
    "golang-go/tracev1-testdata/http_1_21_good",
    "golang-go/tracev1-testdata/user_task_region_1_11_good",
    "golang-go/tracev1-testdata/stress_start_stop_1_21_good",
    "golang-go/tracev1-testdata/fmt_1_21_pprof_good",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-trace", type=int, default=40)
    args = ap.parse_args()
    go, env = oracle.oracle_go()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for rel in TRACES:
            data = open(os.path.join(CORPUS, rel), "rb").read()
            n = args.per_trace
            cand = {0, 5, 15, 16, 17, 18, len(data) - 1, len(data) - 2, len(data) - 10}
            cand.update(16 + (len(data) - 16) * k // (n + 1) for k in range(1, n + 1))
            for off in sorted(o for o in cand if 0 <= o < len(data)):
                p = oracle.go_on_cut(go, env, tmp, data, off)
                msg = p.stderr.decode(errors="replace").strip().split("\n")[0] if p.returncode else ""
                lines = p.stdout.count(b"\n")
                rows.append(f"{rel}\t{off}\t{p.returncode}\t{lines}\t{msg}")
            print(f"{rel}: {len(cand)} cuts", file=sys.stderr)
    oracle.write_table("truncation-v1.tsv",
                       "# trace\toffset\texit\tstdout lines\terror (go tool trace -d=parsed, Go 1.27.3)", rows)


if __name__ == "__main__":
    main()
