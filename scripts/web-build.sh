#!/usr/bin/env bash
# Builds the web page: the wasm reader (crates/wasm) and the toolbox module
# (crates/wasm-toolbox: the States and Requests views, loaded only when one
# is opened) with their JS glue into web/src/wasm/ (git-ignored), then the page into web/dist/ (git-ignored; Vite),
# after installing what it needs into
# caches outside the clone: wasm-bindgen-cli of exactly the version
# crates/wasm pins, and web/'s npm packages (npm ci, from the committed lock).
# Prints each wasm's size, raw and gzipped, and fails over its budget: the
# reader <= 300 KB gzipped (the issue's), the toolbox <= 500 KB gzipped (the
# regex engine of the request patterns is ~40% of it).
#
# Usage: scripts/web-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The wasm-bindgen crate version pinned in crates/wasm/Cargo.toml ("=X.Y.Z").
ver=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' crates/wasm/Cargo.toml)
[ -n "$ver" ] || { echo "web-build: no pinned wasm-bindgen version in crates/wasm/Cargo.toml" >&2; exit 1; }
root="$HOME/.cache/schedstat/wasm-bindgen-$ver"
bindgen="$root/bin/wasm-bindgen"
if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $ver" ]; then
  echo "web-build: installing wasm-bindgen-cli $ver into $root"
  # --locked first (the CLI's own lock); if a crate it locks is no longer in
  # the registry index, resolve afresh (same wasm-bindgen-cli version).
  cargo install -q --locked wasm-bindgen-cli --version "$ver" --root "$root" \
    || cargo install -q wasm-bindgen-cli --version "$ver" --root "$root"
fi
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

target="${CARGO_TARGET_DIR:-target}"
cargo build -q --profile wasm -p schedstat-wasm --target wasm32-unknown-unknown
# The toolbox module: its own profile (opt-level "z" for every crate in it).
cargo build -q --profile wasm-toolbox -p schedstat-wasm-toolbox --target wasm32-unknown-unknown
out=web/src/wasm
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
# --target web: an ES module whose init() / initSync() takes the .wasm, so the
# same output loads in the browser and in Node (the tests).
"$bindgen" --target web --remove-name-section --out-dir "$out.tmp" "$target/wasm32-unknown-unknown/wasm/schedstat_wasm.wasm"
"$bindgen" --target web --remove-name-section --out-dir "$out.tmp" "$target/wasm32-unknown-unknown/wasm-toolbox/schedstat_wasm_toolbox.wasm"
rm -rf "$out" && mv "$out.tmp" "$out"

# npm ci only when the lock changed since the last install (it empties
# node_modules first, which would pull packages from under a running build).
lock_sum=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ "$(cat web/node_modules/.schedstat-lock 2>/dev/null)" != "$lock_sum" ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" > web/node_modules/.schedstat-lock
fi

# The page itself: a static site in web/dist (relative URLs, so any folder of
# any static host serves it), which crates/cli/build.rs embeds for `schedstat web`.
(cd web && npx --no-install vite build --logLevel warn >/dev/null)
echo "web-build: web/dist: $(find web/dist -type f | wc -l) files, $(du -sk web/dist | cut -f1) KB"

# Both sizes are printed before either budget can fail the build.
over=0
for pair in schedstat_wasm:300 schedstat_wasm_toolbox:500; do
  wasm="$out/${pair%%:*}_bg.wasm"
  budget=${pair##*:}
  raw=$(wc -c < "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  echo "web-build: $wasm: $raw bytes, $gz bytes gzipped ($((gz / 1024)) KB; budget $budget KB)"
  [ "$gz" -le $((budget * 1024)) ] || { echo "web-build: $wasm is over its $budget KB gzipped budget" >&2; over=1; }
done
[ "$over" = 0 ] || exit 1
