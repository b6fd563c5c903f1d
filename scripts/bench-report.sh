#!/usr/bin/env bash
# The benchmark report: builds the release binaries, installs what the
# comparisons need (oathtool, pyotp, Xvfb and xclock, PostgreSQL for the
# verify load), runs every benchmark and prints one Markdown report (also
# written to target/bench-report.md). About ten minutes on two cores.
#
# Usage: scripts/bench-report.sh        (IPPUN_BENCH_QUICK=1 for a short smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt-install.sh
apt_install bench-report oathtool python3 postgresql xvfb xauth x11-apps \
  libgl1 libegl1 libgl1-mesa-dri libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
python3 -c "import pyotp" 2>/dev/null \
  || python3 -m pip install --quiet pyotp \
  || python3 -m pip install --quiet --break-system-packages pyotp
cargo build --release --locked --workspace
exec python3 scripts/bench_report.py
