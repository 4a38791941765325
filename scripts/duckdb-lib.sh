#!/usr/bin/env bash
# Usage: scripts/duckdb-lib.sh
#
# Makes sure the prebuilt DuckDB shared library the CLI links against is on
# this machine and prints the directory that holds libduckdb.so (nothing else
# on stdout). It comes from the npm registry package
# @duckdb/node-bindings-linux-x64 (which ships libduckdb.so) and lives outside
# the clone in ${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}/duckdb/VERSION, so a
# 1-hour C++ build of DuckDB is never needed. The repo-local link .duckdb/lib
# is refreshed to point at it (.cargo/config.toml points cargo there).
set -euo pipefail
VERSION=1.5.6-r.1   # DuckDB 1.5.6; matches the duckdb crate pinned in crates/db
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}
DIR=$CACHE/duckdb/$VERSION
die() { echo "duckdb-lib.sh: $*" >&2; exit 1; }

if [ ! -f "$DIR/package/libduckdb.so" ]; then
  command -v npm >/dev/null || die "npm is needed to fetch @duckdb/node-bindings-linux-x64 (install Node.js)"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) PKG=@duckdb/node-bindings-linux-x64 ;;
    Linux-aarch64) PKG=@duckdb/node-bindings-linux-arm64 ;;
    *) die "no prebuilt DuckDB for $(uname -sm); build with: cargo build --features bundled" ;;
  esac
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/schedstat-duckdb.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  echo "duckdb-lib.sh: fetching $PKG@$VERSION" >&2
  (cd "$TMP" && npm pack --silent "$PKG@$VERSION" >/dev/null && tar xzf ./*.tgz) || die "npm pack $PKG@$VERSION failed"
  [ -f "$TMP/package/libduckdb.so" ] || die "$PKG@$VERSION has no libduckdb.so"
  mkdir -p "$DIR"
  rm -rf "$DIR/package"
  mv "$TMP/package" "$DIR/package"
fi
mkdir -p "$ROOT/.duckdb"
ln -sfn "$DIR/package" "$ROOT/.duckdb/lib"
echo "$DIR/package"
