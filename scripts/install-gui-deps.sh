#!/usr/bin/env bash
# Installs what showing the window needs on Debian or Ubuntu — the Mesa
# OpenGL libraries and the X11 client libraries that winit loads at run time —
# and Xvfb with xvfb-run, for rendering the screens without a desktop
# (scripts/screenshots.sh). Building and testing need none of these.
# Safe to run again; uses sudo when not run as root.
set -euo pipefail
packages=(libgl1 libegl1 libgl1-mesa-dri libx11-xcb1 libxcursor1 libxrandr2 libxi6
          libxkbcommon-x11-0 xvfb xauth)
source "$(dirname "$0")/apt-install.sh"
apt_install install-gui-deps "${packages[@]}"
