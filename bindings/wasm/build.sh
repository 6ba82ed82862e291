#!/usr/bin/env bash
# Builds the npm package `veritydb-verify` into bindings/wasm/pkg/{web,node}: the verifier
# library compiled to wasm32-unknown-unknown, bound with wasm-bindgen (`--target web` for
# browsers and bundlers, `--target nodejs` for Node), optimised with wasm-opt from npm
# `binaryen` (Debian's older wasm-opt breaks wasm-bindgen output).
#
# Idempotent: installs only what is missing (the rustup target, wasm-bindgen-cli at the version
# Cargo.lock names, the npm dev dependencies) and rebuilds in place. People and CI run the same
# command:
#
#     bindings/wasm/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown

# The CLI must be exactly the version of the `wasm-bindgen` crate in Cargo.lock. Installed
# without --locked and with --debug (TOOLCHAIN.md: --locked fails on this registry; a debug
# build of the CLI gives the same output in a fifth of the time).
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
if [ -z "$bindgen_version" ]; then
  echo "build.sh: Cargo.lock names no wasm-bindgen version" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  cargo install wasm-bindgen-cli --version "$bindgen_version" --debug
fi

# npm dev dependencies (binaryen): `npm install` with the committed lock file; `npm ci` aborts
# on this registry mirror. Skipped when node_modules is current.
if [ ! -x "$here/node_modules/.bin/wasm-opt" ] ||
  [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm install --no-audit --no-fund)
fi

# WebAssembly SIMD (simd128): sha2 then uses its wasm32 SIMD backend, which makes export
# verification about 1.5x faster (bench/bench.mjs). Every engine since 2023 runs it (Chrome
# 91, Firefox 89, Safari 16.4, Node 16.4). Set for the wasm32 target only, through the
# environment, so no other build of the workspace changes.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo build --locked --release --target wasm32-unknown-unknown -p veritydb-wasm
target_dir="$(cargo metadata --locked --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).target_directory))')"
module="$target_dir/wasm32-unknown-unknown/release/veritydb_wasm.wasm"

# -O3 and -Oz measured within 2% of each other in speed and 1.5 KB in size; -O3 it is. The two
# wasm-opt runs are independent and take a few seconds each, so they run side by side.
optimisers=()
for target in web node; do
  out="$here/pkg/$target"
  rm -rf "$out"
  bindgen_target="$target"
  [ "$target" = node ] && bindgen_target=nodejs
  wasm-bindgen --target "$bindgen_target" --out-dir "$out" --out-name veritydb_verify "$module"
  "$here/node_modules/.bin/wasm-opt" -O3 --strip-debug --strip-producers \
    "$out/veritydb_verify_bg.wasm" -o "$out/veritydb_verify_bg.wasm" &
  optimisers+=("$!")
done
for pid in "${optimisers[@]}"; do
  wait "$pid"
done
# The web build is an ES module, the Node build CommonJS, whatever a parent package.json says.
echo '{ "type": "module" }' >"$here/pkg/web/package.json"
echo '{ "type": "commonjs" }' >"$here/pkg/node/package.json"

for target in web node; do
  size=$(wc -c <"$here/pkg/$target/veritydb_verify_bg.wasm")
  echo "bindings/wasm/pkg/$target: veritydb_verify_bg.wasm $size bytes ($((size / 1024)) KiB)"
done
