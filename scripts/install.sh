#!/usr/bin/env bash
# Usage: scripts/install.sh [PREFIX]            (default PREFIX: /usr/local)
#        scripts/install.sh --uninstall [PREFIX]
#
# Installs schedstat for every user of the machine:
#   PREFIX/bin/schedstat                 the command (runs the commands that need no
#                                        SQL itself, without DuckDB; hands the rest
#                                        to schedstat-sql)
#   PREFIX/bin/schedstat-sql             the whole CLI (the web page inside it when
#                                        Node/npm can build it)
#   PREFIX/lib/schedstat/libduckdb.so    the DuckDB library schedstat-sql loads, found
#                                        through its rpath $ORIGIN/../lib/schedstat
# so the installed binaries run from any directory, for any user, without this
# checkout or its build cache. Then it runs them once, prints which libduckdb.so
# the dynamic loader picked, and checks that `schedstat stats` loads none.
# --uninstall removes exactly those three files (and the lib/schedstat folder if empty).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() { echo "install.sh: $*" >&2; exit 1; }

UNINSTALL=0
if [ "${1:-}" = --uninstall ]; then UNINSTALL=1; shift; fi
PREFIX=${1:-/usr/local}
BIN=$PREFIX/bin/schedstat
SQLBIN=$PREFIX/bin/schedstat-sql
LIBDIR=$PREFIX/lib/schedstat

if [ $UNINSTALL = 1 ]; then
  rm -f "$BIN" "$SQLBIN" "$LIBDIR/libduckdb.so"
  rmdir "$LIBDIR" 2>/dev/null || true
  echo "install.sh: removed $BIN, $SQLBIN and $LIBDIR/libduckdb.so"
  exit 0
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/schedstat/target}
LIB=$("$ROOT/scripts/duckdb-lib.sh")/libduckdb.so
if [ ! -f "$ROOT/web/dist/index.html" ]; then
  if command -v npm >/dev/null; then
    "$ROOT/scripts/web-build.sh" >&2
  else
    echo "install.sh: no Node/npm: installing without the web page (schedstat web will say so)" >&2
  fi
fi
cargo build --quiet --release --locked -p schedstat --manifest-path "$ROOT/Cargo.toml" >&2

mkdir -p "$PREFIX/bin" "$LIBDIR"
install -m 0755 "$CARGO_TARGET_DIR/release/schedstat-sql" "$SQLBIN.tmp" && mv -f "$SQLBIN.tmp" "$SQLBIN"
install -m 0755 "$CARGO_TARGET_DIR/release/schedstat" "$BIN.tmp" && mv -f "$BIN.tmp" "$BIN"
install -m 0644 "$LIB" "$LIBDIR/libduckdb.so.tmp" && mv -f "$LIBDIR/libduckdb.so.tmp" "$LIBDIR/libduckdb.so"

# Which DuckDB does the installed binary load? (It must be the installed one.)
loaded=$(cd / && LD_DEBUG=libs "$BIN" --version 2>&1 >/dev/null | sed -n 's/.*calling init: \(.*libduckdb\.so\)$/\1/p' | head -n 1)
[ -n "$loaded" ] || die "the installed binary did not load libduckdb.so"
case $(readlink -f "$loaded") in
  "$(readlink -f "$LIBDIR")"/*) ;;
  *) die "the installed binary loads $loaded, not $LIBDIR/libduckdb.so" ;;
esac
# The commands without SQL load no DuckDB at all.
trace=$(ls "$ROOT"/testdata/fixtures/go1.27/*.trace | head -n 1)
if (cd / && LD_DEBUG=libs "$BIN" stats "$trace" 2>&1 >/dev/null) | grep -q libduckdb; then
  die "the installed schedstat loads libduckdb.so for \`stats\`"
fi
echo "install.sh: installed $BIN and $SQLBIN ($("$BIN" --version)), DuckDB from $LIBDIR/libduckdb.so"
echo "install.sh: uninstall with: scripts/install.sh --uninstall $PREFIX"
