#!/usr/bin/env bash
# Builds the Linux packages into target/packages/:
#   ippun_VERSION-1_ARCH.deb         the desktop app (cargo-deb)
#   ippun-center_VERSION-1_ARCH.deb  the center, with its systemd unit
#   ippun-VERSION-ARCH-linux.tar.gz  the portable bundle (packaging/linux/portable.sh)
# Installs cargo-deb with cargo when it is missing.
#
# Usage: scripts/package.sh [--no-build]   (--no-build: use target/release as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_deb_version=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
  cargo install cargo-deb --locked --version "$cargo_deb_version"
fi
if [ "${1:-}" != "--no-build" ]; then
  cargo build --release --locked -p ippun -p ippun-center
fi
out=target/packages
rm -rf "$out"
mkdir -p "$out"
cargo deb --no-build --locked -p ippun -o "$out/"
cargo deb --no-build --locked -p ippun-center -o "$out/"
packaging/linux/portable.sh "$out" >/dev/null
ls -l "$out"
