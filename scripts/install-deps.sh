#!/usr/bin/env bash
# Installs the system packages the tests need on Debian or Ubuntu:
#   oathtool — an independent OTP implementation for the vector cross-check
#   python3  — runs tests/vectors/crosscheck.py (standard library only)
# Safe to run again; uses sudo when not run as root.
set -euo pipefail
packages=(oathtool python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
