#!/usr/bin/env bash
# Rewrites ippun-60s.toml from ippun-60s.args with `ippun vectors generate`,
# then cross-checks every vectors file against independent implementations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
mapfile -t args < "$here/ippun-60s.args"
# The header is one argument with literal \n separators.
for i in "${!args[@]}"; do args[$i]=${args[$i]//\\n/$'\n'}; done
cargo run --quiet --release -- "${args[@]}" --out "$here/ippun-60s.toml"
python3 "$here/crosscheck.py" "$here"/*.toml
