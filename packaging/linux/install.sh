#!/bin/sh
# Installs ippun for the current user from this unpacked bundle:
#   PREFIX/bin/ippun (with the full program, PREFIX/libexec/ippun/ippun), its
#   menu entry, icons and metainfo (PREFIX defaults to
#   ~/.local; no root needed). Run it again to update; uninstall.sh removes it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
mkdir -p "$prefix/bin" "$prefix/libexec/ippun" "$prefix/share/applications" "$prefix/share/metainfo"
install -m 0755 "$here/bin/ippun" "$prefix/bin/ippun"
install -m 0755 "$here/libexec/ippun/ippun" "$prefix/libexec/ippun/ippun"
# The menu entry names the installed program by its full path, so it starts
# even where PREFIX/bin is not on the PATH.
sed "s|^Exec=ippun|Exec=$prefix/bin/ippun|" "$here/share/applications/jp.ippun.ippun.desktop" \
  > "$prefix/share/applications/jp.ippun.ippun.desktop"
install -m 0644 "$here/share/metainfo/jp.ippun.ippun.metainfo.xml" "$prefix/share/metainfo/"
(cd "$here/share" && find icons -type f | while read -r f; do
  mkdir -p "$prefix/share/$(dirname "$f")"
  install -m 0644 "$f" "$prefix/share/$f"
done)
command -v update-desktop-database >/dev/null 2>&1 \
  && update-desktop-database -q "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
  && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "ippun installed in $prefix (start it from the menu, or run $prefix/bin/ippun)"
