#!/usr/bin/env python3
"""Records what Go 1.27.3 prints for fixture traces cut short.

Usage: scripts/truncation-oracle.py [--per-trace N]

A crashed process or a copied-while-written file leaves a trace cut at an
arbitrary byte. For a few fixtures of every Go version, this cuts the file at
N offsets (every batch boundary is a candidate, plus offsets inside batches
and inside the header), runs `go tool trace -d=parsed` on each cut, and
writes testdata/oracle/truncation.tsv with one row per cut:

    fixture  offset  sha256-of-stdout  stdout-lines  go-exit-code

The Rust test tests/truncation.rs cuts the same files at the same offsets and
must print the same stdout (same hash), and fail exactly when Go fails.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = ["mutex", "multigen", "flight"]


def batch_offsets(data):
    """Offsets where a top-level batch starts (v2 framing), best effort."""
    def uvarint(i):
        x, s = 0, 0
        while i < len(data):
            b = data[i]
            i += 1
            x |= (b & 0x7F) << s
            if b < 0x80:
                return x, i
            s += 7
        return None, i

    offs, i = [], 16
    while i < len(data):
        offs.append(i)
        t = data[i]
        if t == 52:  # EndOfGeneration
            i += 1
            continue
        j = i + 1 + (1 if t == 49 else 0)
        for _ in range(3):
            _, j = uvarint(j)
        size, j = uvarint(j)
        if size is None:
            break
        i = j + size
    return offs


def oracle_go():
    """Go 1.27.3's `go` binary and the environment to run it in."""
    go = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), "1.27.3"], check=True,
                        stdout=subprocess.PIPE, text=True).stdout.strip()
    return go, dict(os.environ, GOTOOLCHAIN="local", GOWORK="off")


def go_on_cut(go, env, tmp, data, off):
    """`go tool trace -d=parsed` on the first `off` bytes of `data` (a CompletedProcess)."""
    cut = os.path.join(tmp, "cut.trace")
    with open(cut, "wb") as f:
        f.write(data[:off])
    return subprocess.run([go, "tool", "trace", "-d=parsed", cut], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def write_table(name, header, rows):
    """Writes testdata/oracle/NAME: the header line, then one row a line."""
    out = os.path.join(ROOT, "testdata/oracle", name)
    with open(out, "w") as f:
        f.write(header + "\n")
        f.write("\n".join(rows) + "\n")
    print(f"wrote {out} ({len(rows)} rows)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-trace", type=int, default=24)
    args = ap.parse_args()
    go, env = oracle_go()
    rows = []
    fixtures_dir = os.path.join(ROOT, "testdata/fixtures")
    with tempfile.TemporaryDirectory() as tmp:
        for ver in sorted(os.listdir(fixtures_dir)):
            for name in FIXTURES:
                rel = f"{ver}/{name}.trace"
                path = os.path.join(fixtures_dir, rel)
                if not os.path.exists(path):
                    continue
                data = open(path, "rb").read()
                if data[:8] in (b"go 1.11 ", b"go 1.19 ", b"go 1.21 "):
                    # Old format: no generations, and Go's output on it varies from run
                    # to run; scripts/truncation-oracle-v1.py records those cuts.
                    continue
                bounds = batch_offsets(data)
                cand = {0, 5, 15, 16, 17, len(data) - 1}
                step = max(1, len(bounds) // (args.per_trace // 2))
                for b in bounds[::step]:
                    cand.update({b, b + 1, b + 7})
                n = args.per_trace // 3
                cand.update(len(data) * k // (n + 1) for k in range(1, n + 1))
                for off in sorted(o for o in cand if 0 <= o < len(data)):
                    p = go_on_cut(go, env, tmp, data, off)
                    h = hashlib.sha256(p.stdout).hexdigest()
                    lines = p.stdout.count(b"\n")
                    rows.append(f"{rel}\t{off}\t{h}\t{lines}\t{p.returncode}")
                print(f"{rel}: {len(cand)} cuts", file=sys.stderr)
    write_table("truncation.tsv",
                "# fixture\toffset\tsha256(stdout of go tool trace -d=parsed, Go 1.27.3)\tlines\texit", rows)


if __name__ == "__main__":
    main()
