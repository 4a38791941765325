#!/usr/bin/env bash
# Usage: scripts/oracle-parsed.sh TRACE
#
# Prints Go 1.27.3's `go tool trace -d=parsed TRACE` (the reference parser's
# event dump) on stdout; its stderr and exit status are passed through.
# The toolchain is installed on first use by go-toolchain.sh.
set -euo pipefail

ORACLE_VERSION=1.27.3

[ $# -eq 1 ] || { echo "usage: oracle-parsed.sh TRACE" >&2; exit 2; }
[ -f "$1" ] || { echo "oracle-parsed.sh: no such file: $1" >&2; exit 2; }

GO=$("$(dirname "${BASH_SOURCE[0]}")/go-toolchain.sh" "$ORACLE_VERSION")
exec env GOTOOLCHAIN=local GOWORK=off "$GO" tool trace -d=parsed "$1"
