#!/usr/bin/env python3
"""How fast `schedstat tui` answers, measured in a real terminal (tmux).

Usage: scripts/tui-latency.py SCHEDSTAT [TRACE] [--size-mb N] [--presses N]

Without TRACE, measures on the generator's `bench` scenario (Go 1.27.3, as
scripts/bench.py makes its traces) of at least N MB (default 20), generated
once into ~/.cache/schedstat/bench/ (scripts/test.sh runs it so, in CI).
Starts `SCHEDSTAT tui TRACE` in a detached 100x30 tmux session with
SCHEDSTAT_TUI_LATENCY pointing at a log, and measures from outside:
  - time to the first screen (the header, from the quick pass over the
    trace), to the analyses and database loaded (the header's "loading"
    line gone), to the report and to the doctor's verdict;
while it loads, presses keys a person presses at once (tab switches, help,
moving selections, the SQL tab), a key every 150 ms; once everything is in,
presses N keys across every tab (selections, drill-downs, the window cursor,
timeline zoom and pan), quits, and reads the log the UI wrote from inside:
  - key: from a key press read to its screen drawn (every key);
  - timeline: the same, for the keys that changed the timeline's lanes;
and names the five slowest keys; and the UI's peak RSS (Linux).
Prints count, p50, p90, p99 and max of each, in ms, against the issue's
target (every key press answered within 100 ms). Measurements, not
pass/fail: the exit status does not depend on them.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the Go toolchain and the generator, as the bench makes its traces)

TARGET_MS = 100

# Keys a person would press: every tab, selections, drill-downs, the cursor, zooms and pans.
ROUND = ["1", "j", "Enter", "Escape", "s", "2", "j", "j", "3", "j", "4", "Enter", "Enter", "Escape", "Escape",
         "5", "Right", "j", "6", "7", "8", "9", "Right", "Right", "Left", "a",
         "0", "+", "+", "d", "a", "-", "w", "s", "r", "+", "+", "+", "a", "a", "d", "-", "-", "-", "r"]

# Keys pressed while the trace still loads: tabs, help, selections, the SQL tab and back.
LOADING = ["4", "5", "j", "6", "7", "0", "?", "x", ":", "Escape", "2", "j", "1"]


def tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, *args], check=True, stdout=subprocess.PIPE, text=True).stdout


def screen(sock):
    return tmux(sock, "capture-pane", "-p", "-t", "0")


def wait_for(sock, ok, what, timeout=600):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if ok(screen(sock)):
            return time.perf_counter()
        time.sleep(0.01)
    sys.exit(f"tui-latency: the screen never showed {what}")


def header_line(s, n):
    lines = s.splitlines()
    return lines[n] if len(lines) > n else ""


def peak_rss_mib(sock):
    """The UI process's peak RSS so far (Linux: VmHWM of the pane shell's child), or None."""
    try:
        shell = tmux(sock, "list-panes", "-t", "0", "-F", "#{pane_pid}").split()[0]
        child = subprocess.run(["pgrep", "-P", shell], stdout=subprocess.PIPE, text=True).stdout.split()[0]
        with open(f"/proc/{child}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, IndexError, ValueError, subprocess.CalledProcessError):
        return None
    return None


def stats(name, xs):
    if not xs:
        print(f"{name:<26} none measured")
        return
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
    verdict = "within" if xs[-1] <= TARGET_MS else "OVER"
    print(f"{name:<26} n={len(xs):<4} p50 {q(0.5):7.2f} ms  p90 {q(0.9):7.2f} ms  "
          f"p99 {q(0.99):7.2f} ms  max {xs[-1]:7.2f} ms  ({verdict} the {TARGET_MS} ms target)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("schedstat")
    ap.add_argument("trace", nargs="?")
    ap.add_argument("--size-mb", type=int, default=20, help="without TRACE: the bench trace's size")
    ap.add_argument("--presses", type=int, default=2 * len(ROUND))
    args = ap.parse_args()
    if not shutil.which("tmux"):
        print("tui latency                not measured: tmux is not installed")
        return
    if not args.trace:
        cache = os.path.join(os.environ.get("SCHEDSTAT_CACHE", os.path.expanduser("~/.cache/schedstat")), "bench")
        os.makedirs(cache, exist_ok=True)
        args.trace = os.path.join(cache, f"bench-{args.size_mb}mb.trace")
        if not os.path.exists(args.trace):
            print(f"generating a >= {args.size_mb} MB trace with Go {bench.ORACLE_GO} ...", file=sys.stderr)
            env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
            partial = args.trace + ".partial"
            bench.sh([bench.go_binary(), "run", ".", "-scenario", "bench", "-size-mb", str(args.size_mb), "-o", partial],
                     cwd=os.path.join(bench.ROOT, "testdata/generator"), env=env)
            os.rename(partial, args.trace)
    size = os.path.getsize(args.trace)
    print(f"tui on {os.path.basename(args.trace)} ({size / 1e6:.1f} MB)")
    work = tempfile.mkdtemp(prefix="schedstat-tui-latency.")
    log = os.path.join(work, "latency.log")
    sock = f"schedstat-tui-latency-{os.getpid()}"
    cmd = f"SCHEDSTAT_TUI_LATENCY={log} {args.schedstat} tui {args.trace}; sleep 5"
    start = time.perf_counter()
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", cmd)
    loading_presses = 0
    peak_rss = None
    try:
        tmux(sock, "set-option", "-s", "escape-time", "0")
        first = wait_for(sock, lambda s: "duration " in s, "the header") - start
        # Keys while loading, until the report is in.
        loaded = report = None
        while report is None:
            s = screen(sock)
            now = time.perf_counter() - start
            if loaded is None and "duration " in s and not header_line(s, 2).startswith("loading"):
                loaded = now
            if " latency spikes" in s:
                report = now
                break
            tmux(sock, "send-keys", "-t", "0", LOADING[loading_presses % len(LOADING)])
            loading_presses += 1
            time.sleep(0.15)
        loaded = loaded or report
        # Out of the help or the SQL prompt, back to the first tab.
        for k in ["Escape", "Escape", "1"]:
            tmux(sock, "send-keys", "-t", "0", k)
        wait_for(sock, lambda s: "▸ " in s and "computing" not in header_line(s, 2), "the doctor's verdict")
        doctor = time.perf_counter() - start
        with open(log) as f:
            before = sum(1 for line in f if line.startswith("key "))
        for i in range(args.presses):
            tmux(sock, "send-keys", "-t", "0", ROUND[i % len(ROUND)])
            time.sleep(0.15)
        peak_rss = peak_rss_mib(sock)
        tmux(sock, "send-keys", "-t", "0", "q")
        time.sleep(0.5)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], stderr=subprocess.DEVNULL)
    keys, lanes, slowest = [], [], []
    with open(log) as f:
        for line in f:
            kind, us, key, tab = line.split(maxsplit=3)
            (keys if kind == "key" else lanes).append(int(us) / 1000)
            if kind == "key":
                slowest.append((int(us) / 1000, f"{key} (then on {tab.strip()})"))
    print(f"tui first screen           {first:6.2f} s  (analyses and database {loaded:.2f} s, "
          f"report {report:.2f} s, doctor {doctor:.2f} s)")
    stats("tui key while loading", keys[:before])
    stats("tui key once loaded", keys[before:])
    stats("tui timeline key", lanes)
    stats("tui every key", keys)
    if peak_rss is not None:
        print(f"tui peak RSS               {peak_rss:7.1f} MiB")
    print("tui slowest keys           " + ", ".join(f"{k} {ms:.1f} ms" for ms, k in sorted(slowest, reverse=True)[:5]))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
