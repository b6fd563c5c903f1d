# Sourced by the install scripts: apt_install NAME PACKAGE... installs the
# Debian packages not yet installed (with sudo when not root) and says what
# it did, prefixed with NAME. Safe to run again.
apt_install() {
  local name=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$name: all present ($*)"
  else
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    echo "$name: installed ${missing[*]}"
  fi
}
