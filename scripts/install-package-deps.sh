#!/usr/bin/env bash
# Installs what making and checking the Linux packages needs on Debian or
# Ubuntu (scripts/package.sh, scripts/smoke-packages.sh):
#   dpkg-dev            — dpkg-shlibdeps, for the .deb files' library dependencies
#   desktop-file-utils  — desktop-file-validate
#   appstream           — appstreamcli validate
#   systemd             — systemd-analyze verify, for the center's unit
#   xvfb, xauth, x11-utils, imagemagick, libgl1-mesa-dri — start the
#                         installed window headless with Mesa's software
#                         OpenGL, find it, read its properties, screenshot it
#   curl                — ask the installed center for its health
# cargo-deb itself comes from crates.io (scripts/package.sh installs it).
# Safe to run again; uses sudo when not run as root.
set -euo pipefail
packages=(dpkg-dev desktop-file-utils appstream systemd xvfb xauth x11-utils imagemagick
          libgl1-mesa-dri curl)
source "$(dirname "$0")/apt-install.sh"
apt_install install-package-deps "${packages[@]}"
