#!/usr/bin/env bash
# Makes the portable Linux bundle of the desktop app from a release build:
#   OUT/ippun-VERSION-ARCH-linux.tar.gz
# It unpacks anywhere and runs without installing (./bin/ippun); its install.sh
# puts the app, its menu entry, icons and metainfo under ~/.local (or
# PREFIX) for the current user, without root, and uninstall.sh takes them
# away again. The binary needs only glibc and, for the window, the system's
# OpenGL and X11/Wayland libraries, which every desktop has.
#
# Usage: packaging/linux/portable.sh OUT_DIR   (after cargo build --release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
arch=$(uname -m)
name="ippun-$version-$arch-linux"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$name"
mkdir -p "$dir/share/applications" "$dir/share/metainfo" "$dir/share/icons/hicolor/scalable/apps" \
  "$dir/share/doc/ippun"
# bin/ippun is the command; it becomes the full program, libexec/ippun/ippun
# (named so because screen readers name an application by its file name),
# for the window and every command it does not answer itself.
install -D -m 0755 "$root/target/release/ippun" "$dir/bin/ippun"
install -D -m 0755 "$root/target/release/ippun-app" "$dir/libexec/ippun/ippun"
strip --strip-unneeded "$dir/bin/ippun" "$dir/libexec/ippun/ippun" 2>/dev/null || true
install -m 0644 "$root/packaging/linux/jp.ippun.ippun.desktop" "$dir/share/applications/"
install -m 0644 "$root/packaging/linux/jp.ippun.ippun.metainfo.xml" "$dir/share/metainfo/"
install -m 0644 "$root/assets/icons/ippun.svg" "$dir/share/icons/hicolor/scalable/apps/jp.ippun.ippun.svg"
(cd "$root/assets/icons" && find hicolor -name '*.png' -print0 | while IFS= read -r -d '' f; do
  install -D -m 0644 "$f" "$dir/share/icons/$f"
done)
install -m 0644 "$root/README.md" "$root/docs/helpdesk.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" \
  "$dir/share/doc/ippun/"
install -m 0644 "$root/assets/fonts/OFL.txt" "$dir/share/doc/ippun/font-licence-OFL.txt"
install -m 0755 "$root/packaging/linux/install.sh" "$root/packaging/linux/uninstall.sh" "$dir/"
# Same owner, modes and order every time, so the same build gives the same archive.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00:00Z' \
  -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
