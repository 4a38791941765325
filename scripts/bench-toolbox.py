#!/usr/bin/env python3
"""Speed and memory of schedstat's toolbox commands against the Go Tracing
Toolbox's tools, on the same trace.

Usage: scripts/bench-toolbox.py --toolbox SRC [--trace FILE] [--size-mb N] [--runs K]
                                [--requests-trace FILE] [--requests-size-mb N]
                                [--scope-trace FILE] [--scope-size-mb N] [--only NAME,...]

SRC is a checkout of github.com/rhysh/go-tracing-toolbox (a work tree, or a
bare git directory such as the fetch tool's /work/.mirror/rhysh+go-tracing-toolbox/repo);
etgrep and grstates are built from it with Go 1.27.3, outside this repository.
Unless --trace names one, a trace of at least N MB (default 20) is generated
with the generator's `bench` scenario and Go 1.25.5 (the newest version the
toolbox's pinned reader accepts). Then, K times each (default 3, best run kept),
with output to /dev/null:
  - `schedstat grep TRACE`            vs `etgrep -input TRACE`
  - `schedstat grep --stacks TRACE`   vs `etgrep -stacks -input TRACE`
  - `schedstat states TRACE --dot F`  vs `grstates -input TRACE -dot F`
and prints wall time, peak RSS and the ratios (the issue's target: >= 5x the
tool's speed with less peak RSS). Ratios are measurements, not pass/fail. The
grep outputs are also checked to be identical (one extra run each).

regiongraph reads only the old format (Go <= 1.21), so `requests` is timed on
another trace: unless --requests-trace names one, the generator's
`webstackbench` scenario (webstack's HTTP/TLS/DNS traffic until the trace has
--requests-size-mb MB, default 10) built with Go 1.21.13. regiongraph is built
with a copy of Go 1.21.13's internal/trace (as scripts/toolbox-oracle.sh
does), then:
  - `schedstat requests --json --summarize TRACE` vs `regiongraph -input TRACE -json -summarize`
  - `schedstat requests --show-regions TRACE`     vs `regiongraph -input TRACE -show-regions`
and the JSON outputs are checked to be identical.

scope_tls also reads only the old format and needs CPU samples: unless
--scope-trace names one, the generator's `tlsscopebench` scenario (tlsscope's
TLS handshakes with the CPU profiler on, until the trace has --scope-size-mb
MB, default 10; about a minute of handshakes) built with Go 1.21.13. Then
  - `schedstat scope TRACE`          vs `scope_tls -input TRACE -text`
  - `schedstat scope --svg F TRACE`  vs scope_tls -text piped into scope_chart
    (which always writes /tmp/img.svg and /tmp/img.png)
and the rows and the SVGs are checked to be identical. Across traces:
  - `schedstat scope DIR` (parallel, one worker per core) vs a shell loop of
    `scope_tls -input F -text` over DIR, which holds --scope-copies copies
    (default 4) of the trace; outputs checked identical.
--only picks some of grep, states, requests, scope (regiongraph takes minutes
on 10 MB).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_GO = "1.27.3"
TRACE_GO = "1.25.5"
OLD_TRACE_GO = "1.21.13"


def go_binary(version):
    out = subprocess.run([os.path.join(ROOT, "scripts/go-toolchain.sh"), version],
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def timed(cmd):
    """Runs cmd with stdout to /dev/null; returns (seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench-toolbox: {' '.join(cmd)} failed: {err.decode(errors='replace')}")
    return secs, usage.ru_maxrss


def digest(cmd):
    h = hashlib.sha256()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, env=dict(os.environ, TZ="UTC")) as p:
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--toolbox", required=True, help="go-tracing-toolbox checkout or bare git dir")
    ap.add_argument("--trace")
    ap.add_argument("--size-mb", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests-trace")
    ap.add_argument("--requests-size-mb", type=int, default=10)
    ap.add_argument("--scope-trace")
    ap.add_argument("--scope-size-mb", type=int, default=10)
    ap.add_argument("--scope-copies", type=int, default=4)
    ap.add_argument("--only", default="grep,states,requests,scope")
    args = ap.parse_args()
    only = set(args.only.split(","))

    env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    work = tempfile.mkdtemp(prefix="schedstat-bench-toolbox.")
    src = os.path.join(work, "src")
    if os.path.isdir(os.path.join(args.toolbox, "objects")):
        os.mkdir(src)
        archive = subprocess.run(["git", "--git-dir", args.toolbox, "archive", "HEAD"], check=True,
                                 stdout=subprocess.PIPE).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    else:
        src = args.toolbox
    print("building etgrep, grstates, regiongraph, scope_tls, scope_chart (Go %s) and schedstat (release) ..."
          % BUILD_GO, file=sys.stderr)
    bindir = os.path.join(work, "bin") + "/"
    # regiongraph's old-format parser: Go 1.21's internal/trace, copied in (internal/_vendor/cp.sh).
    goroot121 = subprocess.run([go_binary(OLD_TRACE_GO), "env", "GOROOT"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout.strip()
    vendored = os.path.join(src, "internal/_vendor/trace")
    os.makedirs(vendored, exist_ok=True)
    tracedir = os.path.join(goroot121, "src/internal/trace")
    for f in os.listdir(tracedir):
        if f.endswith(".go") and not f.endswith("_test.go"):
            with open(os.path.join(tracedir, f), "rb") as a, open(os.path.join(vendored, f), "wb") as b:
                b.write(a.read())
    subprocess.run([go_binary(BUILD_GO), "build", "-o", bindir, "./cmd/etgrep", "./cmd/grstates", "./cmd/regiongraph",
                    "./cmd/scope_tls", "./cmd/scope_chart"], cwd=src, env=env, check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "schedstat"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    schedstat = os.path.join(target, "release", "schedstat")
    etgrep, grstates, regiongraph = bindir + "etgrep", bindir + "grstates", bindir + "regiongraph"
    scope_tls, scope_chart = bindir + "scope_tls", bindir + "scope_chart"

    def generated(given, scenario, size_mb, go):
        """`given`, or a trace of the generator's `scenario` (>= size_mb MB, written by Go `go`)."""
        if given:
            return given
        path = os.path.join(work, scenario + ".trace")
        print(f"generating a >= {size_mb} MB trace with Go {go} ...", file=sys.stderr)
        subprocess.run([go_binary(go), "run", ".", "-scenario", scenario, "-size-mb", str(size_mb), "-o", path],
                       cwd=os.path.join(ROOT, "testdata/generator"), env=env, check=True)
        return path

    trace = args.trace
    if only & {"grep", "states"}:
        trace = generated(args.trace, "bench", args.size_mb, TRACE_GO)
    dot = os.path.join(work, "g.dot")

    def compare(name, ours, theirs):
        o = min((timed(ours) for _ in range(args.runs)), key=lambda r: r[0])
        t = min((timed(theirs) for _ in range(args.runs)), key=lambda r: r[0])
        print(f"{name:22} schedstat {o[0]:7.3f} s {o[1] / 1024:7.1f} MiB | toolbox {t[0]:7.3f} s {t[1] / 1024:7.1f} MiB"
              f" | {t[0] / o[0]:5.2f}x the speed, {o[1] / t[1]:4.2f}x the peak RSS")

    if only & {"grep", "states"}:
        mb = os.path.getsize(trace) / (1 << 20)
        print(f"trace {trace} ({mb:.1f} MiB)")
        if "grep" in only:
            compare("grep", [schedstat, "grep", trace], [etgrep, "-input", trace])
            compare("grep --stacks", [schedstat, "grep", "--stacks", trace], [etgrep, "-stacks", "-input", trace])
            same = digest([schedstat, "grep", "--stacks", trace]) == digest([etgrep, "-stacks", "-input", trace])
            print(f"grep --stacks output identical to etgrep's: {same}")
        if "states" in only:
            compare("states --dot", [schedstat, "states", trace, "--dot", dot], [grstates, "-input", trace, "-dot", dot])

    if "requests" in only:
        rtrace = generated(args.requests_trace, "webstackbench", args.requests_size_mb, OLD_TRACE_GO)
        mb = os.path.getsize(rtrace) / (1 << 20)
        print(f"old-format trace {rtrace} ({mb:.1f} MiB)")
        compare("requests --json --summ", [schedstat, "requests", "--json", "--summarize", rtrace],
                [regiongraph, "-input", rtrace, "-json", "-summarize"])
        compare("requests --show-regions", [schedstat, "requests", "--show-regions", rtrace],
                [regiongraph, "-input", rtrace, "-show-regions"])
        same = digest([schedstat, "requests", "--json", "--summarize", rtrace]) == \
            digest([regiongraph, "-input", rtrace, "-json", "-summarize"])
        print(f"requests --json --summarize output identical to regiongraph's: {same}")

    if "scope" in only:
        strace = generated(args.scope_trace, "tlsscopebench", args.scope_size_mb, OLD_TRACE_GO)
        mb = os.path.getsize(strace) / (1 << 20)
        print(f"old-format trace with CPU samples {strace} ({mb:.1f} MiB)")
        compare("scope", [schedstat, "scope", strace], [scope_tls, "-input", strace, "-text"])
        rows = subprocess.run([scope_tls, "-input", strace, "-text"], check=True, stdout=subprocess.PIPE).stdout
        ours = subprocess.run([schedstat, "scope", strace], check=True, stdout=subprocess.PIPE).stdout
        samples = len(rows.splitlines())
        print(f"scope rows identical to scope_tls's: {rows == ours} ({samples} samples)")
        rows_file = os.path.join(work, "rows.txt")
        with open(rows_file, "wb") as f:
            f.write(rows)
        svg = os.path.join(work, "scope.svg")
        subprocess.run([schedstat, "scope", "--svg", svg, strace], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([scope_chart, "-input", rows_file], cwd=work, check=True)
        with open(svg, "rb") as a, open("/tmp/img.svg", "rb") as b:
            print(f"scope --svg identical to scope_chart's: {a.read() == b.read()}")
        many = os.path.join(work, "many")
        os.mkdir(many)
        for i in range(args.scope_copies):
            copy = os.path.join(many, f"copy{i}.trace")
            try:
                os.link(strace, copy)
            except OSError:  # another file system
                shutil.copyfile(strace, copy)
        loop = ["sh", "-c", 'for f in "$1"/*.trace; do "$0" -input "$f" -text; done', scope_tls, many]
        compare(f"scope {args.scope_copies} traces", [schedstat, "scope", many], loop)
        same = digest([schedstat, "scope", many]) == digest(loop)
        print(f"scope DIR output identical to the scope_tls loop's: {same}")


if __name__ == "__main__":
    main()
