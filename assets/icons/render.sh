#!/usr/bin/env bash
# Renders the application icon (ippun.svg) into the hicolor PNG sizes that
# desktops look for, and into ippun.ico for Windows installers. Needs
# rsvg-convert (Debian: librsvg2-bin) and ImageMagick's convert.
set -euo pipefail
cd "$(dirname "$0")"
sizes=(16 24 32 48 64 128 256 512)
for s in "${sizes[@]}"; do
  mkdir -p "hicolor/${s}x${s}/apps"
  rsvg-convert -w "$s" -h "$s" ippun.svg -o "hicolor/${s}x${s}/apps/jp.ippun.ippun.png"
done
convert hicolor/{16x16,24x24,32x32,48x48,64x64,256x256}/apps/jp.ippun.ippun.png ippun.ico
echo "render: ${#sizes[@]} PNG sizes and ippun.ico"
