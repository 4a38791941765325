#!/usr/bin/env python3
"""Confusion matrix of `schedstat doctor` on the generator fixtures: for each
scenario (rows) and Go version directory (columns), the first finding's id and
severity (`-` when there is none). Prints a Markdown table (the README's).

    scripts/doctor-matrix.py [SCHEDSTAT_BINARY]
"""
import json
import os
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/schedstat/target"))
binary = sys.argv[1] if len(sys.argv) > 1 else f"{target}/release/schedstat"
fixtures = root / "testdata/fixtures"
versions = sorted((d.name for d in fixtures.iterdir() if d.is_dir()), key=lambda v: [int(x) for x in v[2:].split(".")])
scenarios = sorted({p.stem for v in versions for p in (fixtures / v).glob("*.trace")})

def first(path):
    out = subprocess.run([binary, "doctor", "--json", str(path)], capture_output=True, text=True, check=True).stdout
    f = json.loads(out)["findings"]
    return f"{f[0]['id']} ({f[0]['severity'][0]})" if f else "-"

print("| scenario | " + " | ".join(versions) + " |")
print("|---|" + "---|" * len(versions))
for s in scenarios:
    cells = []
    for v in versions:
        p = fixtures / v / f"{s}.trace"
        cells.append(first(p) if p.exists() else "n/a")
    print(f"| {s} | " + " | ".join(cells) + " |")
