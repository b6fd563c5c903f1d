#!/usr/bin/env bash
# Renders every screen of the window into PNG files: Japanese and English,
# light and dark, at scale 1 (and the light look at scale 1.5 and at 200 %
# keyboard zoom); a real window under Xvfb (no desktop needed), the real
# demo center and a real vault in a temporary folder.
#
#   scripts/screenshots.sh [OUT_DIR]     (default: target/screenshots)
#   scripts/screenshots.sh --gallery     also rebuilds docs/screenshots/:
#                                        one picture per screen, Japanese
#                                        and English, light and dark
#
# Needs Xvfb and the Mesa GL libraries (scripts/install-gui-deps.sh); the
# gallery also needs ImageMagick's convert (apt-get install imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
gallery=
if [ "${1:-}" = "--gallery" ]; then
  gallery=1
  shift
fi
out="${1:-target/screenshots}"
mkdir -p "$out"
cargo build --quiet --example screens
shoot() { # lang scale theme zoom
  xvfb-run -a -s "-screen 0 1400x1100x24" \
    target/debug/examples/screens "$out" "$1" "$2" "$3" "$4" >/dev/null
}
for lang in ja en; do
  for theme in light dark; do
    shoot "$lang" 1 "$theme" 1
  done
  shoot "$lang" 1.5 light 1
  shoot "$lang" 1 light 2
done
echo "$(ls "$out" | wc -l) screens in $out"
[ -n "$gallery" ] || exit 0

docs=docs/screenshots
rm -f "$docs"/*.png
for f in "$out"/en-[0-9][0-9]-*.png; do
  name=$(basename "$f" .png)
  name=${name#en-}
  # Light ja | light en | dark ja | dark en; 8-bit colour keeps the files
  # small and the text sharp.
  convert "$out/ja-$name.png" "$out/en-$name.png" \
    "$out/ja-dark-$name.png" "$out/en-dark-$name.png" +append \
    -colors 128 "PNG8:$docs/$name.png"
done
convert "$out/ja-zoom2-02-otp.png" "$out/en-zoom2-02-otp.png" \
  "$out/ja-zoom2-06-tx-detail.png" "$out/en-zoom2-06-tx-detail.png" +append \
  -colors 128 "PNG8:$docs/zoom-200.png"
du -sh "$docs"
