#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the web page's end-to-end
# tests and size/speed bench (scripts/web-e2e.sh, scripts/web-bench.sh), and
# prints its path on stdout (nothing else on stdout).
#
# Why Debian's package: playwright-core drives any Chromium, and the issue
# asks for no browser download: apt installs it like any other system tool.
# Installs with `apt-get install -y chromium` (through sudo when not root);
# when that is impossible it says so in one line and exits 1.
#
# Usage: scripts/chromium.sh    (SCHEDSTAT_CHROMIUM=PATH: use that browser instead)
set -euo pipefail

# SCHEDSTAT_CHROMIUM names another Chromium to use instead (no install then).
if [ -n "${SCHEDSTAT_CHROMIUM:-}" ]; then
  [ -x "$SCHEDSTAT_CHROMIUM" ] || { echo "chromium.sh: SCHEDSTAT_CHROMIUM=$SCHEDSTAT_CHROMIUM is not an executable" >&2; exit 1; }
  echo "$SCHEDSTAT_CHROMIUM"
  exit 0
fi

bin=/usr/bin/chromium
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

die() { echo "chromium.sh: $*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 \
  || die "$bin is missing and this system has no apt-get: install Chromium and set SCHEDSTAT_CHROMIUM to its path"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  die "$bin is missing and installing it needs root: run 'sudo apt-get install -y chromium'"
fi

echo "chromium.sh: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
{ "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq chromium; } >&2 \
  || die "apt-get install -y chromium failed (see above)"
[ -x "$bin" ] || die "apt-get installed chromium but $bin is missing"
echo "$bin"
