#!/usr/bin/env bash
# Installs the system packages the tests need on Debian or Ubuntu:
#   oathtool — an independent OTP implementation for the vector cross-check
#   python3  — runs tests/vectors/crosscheck.py (standard library only)
#   postgresql — server binaries (initdb, pg_ctl) for the center's tests on
#              PostgreSQL: each test starts a throw-away cluster on loopback
#              (no service is enabled or started by this script)
#   Python's `cryptography` package (pip) — re-checks the protocol's
#              known-answer vectors (tests/vectors/protocol_kat.py) and
#              runs the conformance client (tests/conformance/client.py)
#   Python's `jsonschema` package (pip) — checks real messages against the
#              committed schemas (tests/conformance/)
#   Xvfb and Mesa (scripts/install-gui-deps.sh) — tests/window.rs starts
#              the real window on an Xvfb display of its own
#   at-spi2-core, python3-pyatspi, dbus — tests/window.rs reads the window
#              as a screen reader does (tests/a11y/tree.py, system Python)
# Safe to run again; uses sudo when not run as root.
set -euo pipefail
packages=(oathtool python3 postgresql at-spi2-core python3-pyatspi dbus-daemon)
source "$(dirname "$0")/apt-install.sh"
apt_install install-deps "${packages[@]}"
# The python3 first on PATH is the one the tests run.
for module in cryptography jsonschema; do
  if python3 -c "import $module" 2>/dev/null; then
    echo "install-deps: python $module present"
  else
    python3 -m pip install --quiet "$module" \
      || python3 -m pip install --quiet --break-system-packages "$module"
    echo "install-deps: installed python $module"
  fi
done
bash "$(dirname "$0")/install-gui-deps.sh"
