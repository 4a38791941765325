#!/usr/bin/env python3
"""How fast `schedstat tui` answers, measured in a real terminal (tmux).

Usage: scripts/tui-latency.py SCHEDSTAT TRACE [--presses N]

Starts `SCHEDSTAT tui TRACE` in a detached 100x30 tmux session with
SCHEDSTAT_TUI_LATENCY pointing at a log, and measures from outside:
  - time to the first screen (the header, with the latency summary computed
    while reading) and to the report and the doctor's verdict filling in;
then presses N keys across every tab (moving selections, the window cursor,
timeline zoom and pan), a key every 150 ms, quits, and reads the log the UI
wrote from inside:
  - key: from a key press read to its screen drawn;
  - timeline: from a zoom or pan to its lanes (a DuckDB query) drawn.
Prints count, p50, p90, p99 and max of each, in ms. Measurements, not
pass/fail (the issue's goal: key presses answer within 100 ms).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

# Keys a person would press: every tab, selections, drill-downs, the cursor, zooms and pans.
ROUND = ["1", "j", "Enter", "Escape", "s", "2", "j", "j", "3", "j", "4", "Enter", "Enter", "Escape", "Escape",
         "5", "Right", "j", "6", "7", "8", "9", "Right", "Right", "Left", "a",
         "0", "+", "+", "d", "a", "-", "w", "s", "r"]


def tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, *args], check=True, stdout=subprocess.PIPE, text=True).stdout


def wait_for(sock, what, timeout=600):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if what in tmux(sock, "capture-pane", "-p", "-t", "0"):
            return time.perf_counter()
        time.sleep(0.01)
    sys.exit(f"tui-latency: the screen never showed {what!r}")


def stats(name, xs):
    if not xs:
        print(f"{name:<22} none measured")
        return
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
    print(f"{name:<22} n={len(xs):<4} p50 {q(0.5):7.2f} ms  p90 {q(0.9):7.2f} ms  "
          f"p99 {q(0.99):7.2f} ms  max {xs[-1]:7.2f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("schedstat")
    ap.add_argument("trace")
    ap.add_argument("--presses", type=int, default=2 * len(ROUND))
    args = ap.parse_args()
    if not shutil.which("tmux"):
        print("tui latency           not measured: tmux is not installed")
        return
    work = tempfile.mkdtemp(prefix="schedstat-tui-latency.")
    log = os.path.join(work, "latency.log")
    sock = f"schedstat-tui-latency-{os.getpid()}"
    cmd = f"SCHEDSTAT_TUI_LATENCY={log} {args.schedstat} tui {args.trace}; sleep 5"
    start = time.perf_counter()
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", cmd)
    try:
        tmux(sock, "set-option", "-s", "escape-time", "0")
        first = wait_for(sock, "duration ") - start
        report = wait_for(sock, " latency spikes") - start
        wait_for(sock, "▸ ")
        while "computing" in tmux(sock, "capture-pane", "-p", "-t", "0").splitlines()[2]:
            time.sleep(0.01)
        doctor = time.perf_counter() - start
        for i in range(args.presses):
            tmux(sock, "send-keys", "-t", "0", ROUND[i % len(ROUND)])
            time.sleep(0.15)
        tmux(sock, "send-keys", "-t", "0", "q")
        time.sleep(0.5)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], stderr=subprocess.DEVNULL)
    keys, lanes = [], []
    with open(log) as f:
        for line in f:
            kind, us = line.split()
            (keys if kind == "key" else lanes).append(int(us) / 1000)
    print(f"tui first screen      {first:6.2f} s  (report {report:.2f} s, doctor {doctor:.2f} s)")
    stats("tui key press", keys)
    stats("tui timeline answer", lanes)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
