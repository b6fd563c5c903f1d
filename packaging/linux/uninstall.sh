#!/bin/sh
# Removes what install.sh put under PREFIX (default ~/.local). The tokens in
# the data folder (~/.local/share/ippun) are kept: delete them in the app
# first if they should go too.
set -eu
prefix=${PREFIX:-$HOME/.local}
rm -f "$prefix/bin/ippun" "$prefix/libexec/ippun/ippun" \
  "$prefix/share/applications/jp.ippun.ippun.desktop" \
  "$prefix/share/metainfo/jp.ippun.ippun.metainfo.xml"
rmdir "$prefix/libexec/ippun" 2>/dev/null || true
find "$prefix/share/icons/hicolor" -name 'jp.ippun.ippun.*' -delete 2>/dev/null || true
command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$prefix/share/applications" || true
echo "ippun removed from $prefix (tokens in the data folder are kept)"
