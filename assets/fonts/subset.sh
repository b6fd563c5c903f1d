#!/usr/bin/env bash
# Remakes BIZUDPGothic-Regular-subset.ttf from Debian's
# fonts-morisawa-bizud-gothic: ASCII, Latin-1, punctuation, arrows, maths and
# box symbols, kana, JIS X 0208 (every character Shift_JIS/CP932 encodes)
# and full-width forms. Needs `pip install fonttools`.
set -euo pipefail
cd "$(dirname "$0")"
src=/usr/share/fonts/truetype/bizud-gothic/BIZUDPGothic-Regular.ttf
if [ ! -f "$src" ]; then
  echo "install fonts-morisawa-bizud-gothic first (apt-get install fonts-morisawa-bizud-gothic)" >&2
  exit 2
fi
python3 - > /tmp/ippun-unicodes.txt <<'PY'
chars = set()
for lo, hi in [(0x20, 0x7e), (0xa0, 0xff), (0x2000, 0x206f), (0x2100, 0x214f),
               (0x2190, 0x21ff), (0x2200, 0x22ff), (0x2460, 0x24ff), (0x2500, 0x25ff),
               (0x2600, 0x26ff), (0x2700, 0x27bf), (0x3000, 0x30ff), (0x31f0, 0x31ff),
               (0xff00, 0xffef)]:
    chars.update(range(lo, hi + 1))
for b1 in range(0x81, 0xf0):
    for b2 in range(0x40, 0xfd):
        try:
            chars.update(ord(c) for c in bytes([b1, b2]).decode("cp932"))
        except UnicodeDecodeError:
            pass
print(",".join("U+%04X" % c for c in sorted(chars)))
PY
pyftsubset "$src" --unicodes-file=/tmp/ippun-unicodes.txt \
  --output-file=BIZUDPGothic-Regular-subset.ttf --layout-features='*' --no-hinting
ls -l BIZUDPGothic-Regular-subset.ttf
