#!/usr/bin/env bash
# Renders every screen of the window into PNG files, in Japanese and
# English, at scale 1 and 1.5: a real window under Xvfb (no desktop needed),
# the real demo center and a real vault in a temporary folder.
#
#   scripts/screenshots.sh [OUT_DIR]        (default: target/screenshots)
#
# Needs Xvfb and the Mesa GL libraries (scripts/install-gui-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/screenshots}"
mkdir -p "$out"
cargo build --quiet --example screens
for scale in 1 1.5; do
  for lang in ja en; do
    xvfb-run -a -s "-screen 0 1400x1100x24" \
      target/debug/examples/screens "$out" "$lang" "$scale"
  done
done
ls "$out"
