#!/usr/bin/env bash
# Checks the packages that scripts/package.sh made, as a customer and an
# operator would meet them, on this (Debian) machine, as root:
#   - the desktop entry, the AppStream metainfo and the systemd unit validate;
#   - both .deb files install with apt (pulling their dependencies), put their
#     files where a desktop and systemd look, and make the center's user;
#   - the installed center serves (as its own user, with the packaged
#     settings file) and the installed app sets up a token against the
#     installed demo center and prints its code;
#   - the installed app's window starts under Xvfb, draws its first frame and
#     shows the first code, with the icon and the application ID the desktop
#     entry names, and a screenshot that is not blank;
#   - the portable bundle runs unpacked, installs for a user and uninstalls.
# Needs Xvfb and ImageMagick (scripts/install-package-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=target/packages
app_deb=$(ls "$pkgs"/ippun_*.deb)
center_deb=$(ls "$pkgs"/ippun-center_*.deb)
bundle=$(ls "$pkgs"/ippun-*-linux.tar.gz)
work=$(mktemp -d)
chmod 0755 "$work"  # the center runs as its own user below
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

step "validate the desktop entry, metainfo and unit in the repository"
desktop-file-validate packaging/linux/jp.ippun.ippun.desktop
appstreamcli validate --no-net --pedantic packaging/linux/jp.ippun.ippun.metainfo.xml

step "install $(basename "$app_deb") and $(basename "$center_deb") with apt"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "./$app_deb" "./$center_deb" >/dev/null
for f in /usr/bin/ippun /usr/libexec/ippun/ippun /usr/share/applications/jp.ippun.ippun.desktop \
  /usr/share/metainfo/jp.ippun.ippun.metainfo.xml \
  /usr/share/icons/hicolor/scalable/apps/jp.ippun.ippun.svg \
  /usr/share/icons/hicolor/{16x16,24x24,32x32,48x48,64x64,128x128,256x256,512x512}/apps/jp.ippun.ippun.png \
  /usr/bin/ippun-center /etc/ippun-center/center.env /usr/lib/sysusers.d/ippun-center.conf; do
  [ -e "$f" ] || fail "$f is not installed"
done
unit=$(dpkg -L ippun-center | grep '/ippun-center\.service$') || fail "no unit in ippun-center"
desktop-file-validate /usr/share/applications/jp.ippun.ippun.desktop
appstreamcli validate --no-net --pedantic /usr/share/metainfo/jp.ippun.ippun.metainfo.xml
systemd-analyze verify "$unit"
getent passwd ippun-center >/dev/null || fail "the center's user was not made"
[ "$(stat -c %a /etc/ippun-center/center.env)" = 600 ] || fail "center.env is not 0600"
echo "installed: $(dpkg-query -W -f='${Package} ${Version}, ' ippun ippun-center)unit $unit"

step "the installed command line"
[ "$(ippun otp --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59 --digits 8 --period 30)" = 94287082 ] \
  || fail "ippun otp gave the wrong code"
ippun explain A914 --lang ja | grep -q A914 || fail "ippun explain"
ippun --version

step "the installed center serves as its own user with the packaged settings"
state="$work/center-state"
install -d -o ippun-center -g ippun-center -m 0700 "$state"
(
  set -a
  # shellcheck disable=SC1091
  source /etc/ippun-center/center.env
  set +a
  # The packaged settings, moved to a scratch folder and a free port.
  IPPUN_CENTER_DB="sqlite:$state/center.db" IPPUN_CENTER_MASTER_KEY="$state/master.key" \
    IPPUN_CENTER_LISTEN=127.0.0.1:0 exec setpriv --reuid ippun-center --regid ippun-center \
    --clear-groups /usr/bin/ippun-center serve
) >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { cat "$work/serve.err" >&2; fail "the center did not start"; }
curl -fsS "$url/v1/health" | grep -q '"version":1' || fail "no health answer from $url"
[ "$(stat -c %U:%a "$state/master.key")" = ippun-center:600 ] || fail "master key owner or mode"
echo "center at $url answers /v1/health; master key ippun-center 0600"

step "set a token up with the installed app against the installed demo center"
home="$work/home"
mkdir -p "$home"
ippun-center demo --listen 127.0.0.1:0 --home "$home" >"$work/demo.json" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/demo.json" ] && break; sleep 0.1; done
demo_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/demo.json")
echo demo-1111-2222 | ippun --home "$home" --lang en token add --center "$demo_url" \
  --service-id DEMO-BANK --user-id demo-user
code=$(ippun --home "$home" code)
[[ "$code" =~ ^[0-9]{6}$ ]] || fail "ippun code printed '$code'"
echo "token set up; current code $code"

step "the installed window under Xvfb"
cat >"$work/window.sh" <<'EOS'
set -euo pipefail
home=$1 work=$2
IPPUN_TIMING=1 ippun --home "$home" 2>"$work/window.err" &
app=$!
for _ in $(seq 600); do grep -q 'first code on screen' "$work/window.err" && break; sleep 0.1; done
grep -q 'first frame drawn' "$work/window.err" || { cat "$work/window.err" >&2; exit 11; }
grep -q 'first code on screen' "$work/window.err" || { cat "$work/window.err" >&2; exit 12; }
sleep 1
id=$(xwininfo -root -tree | awk '/jp.ippun.ippun/ {print $1; exit}')
[ -n "$id" ] || { xwininfo -root -tree >&2; exit 13; }
xprop -id "$id" WM_CLASS _NET_WM_ICON >"$work/xprop.txt"
import -window root "$work/window.png"
kill -TERM "$app"
wait "$app" || true
EOS
xvfb-run -a -s "-screen 0 1024x768x24" bash "$work/window.sh" "$home" "$work" \
  || fail "the window did not come up (exit $?)"
cat "$work/window.err"
grep -q '"jp.ippun.ippun"' "$work/xprop.txt" || { cat "$work/xprop.txt"; fail "WM_CLASS is not jp.ippun.ippun"; }
grep -q '_NET_WM_ICON(CARDINAL)' "$work/xprop.txt" || fail "the window has no icon"
colours=$(convert "$work/window.png" -format '%k' info:)
[ "$colours" -gt 16 ] || fail "the screenshot is blank ($colours colours)"
cp "$work/window.png" "$pkgs/smoke-window.png"
echo "window: WM_CLASS jp.ippun.ippun, icon set, screenshot with $colours colours ($pkgs/smoke-window.png)"

step "the portable bundle"
tar -xzf "$bundle" -C "$work"
dir=$(find "$work" -maxdepth 1 -type d -name 'ippun-*-linux')
[ "$("$dir/bin/ippun" otp --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --time 59 --period 30)" = 287082 ] \
  || fail "the unpacked bundle gave the wrong code"
"$dir/bin/ippun" --version | grep -q '^ippun ' || fail "the unpacked bundle's ippun did not start the full program"
prefix="$work/prefix"
PREFIX="$prefix" "$dir/install.sh"
desktop-file-validate "$prefix/share/applications/jp.ippun.ippun.desktop"
appstreamcli validate --no-net --pedantic "$prefix/share/metainfo/jp.ippun.ippun.metainfo.xml"
grep -q "^Exec=$prefix/bin/ippun\$" "$prefix/share/applications/jp.ippun.ippun.desktop" \
  || fail "the installed entry does not name $prefix/bin/ippun"
"$prefix/bin/ippun" --version
[ -f "$prefix/share/icons/hicolor/256x256/apps/jp.ippun.ippun.png" ] || fail "bundle icons"
PREFIX="$prefix" "$dir/uninstall.sh"
[ ! -e "$prefix/bin/ippun" ] && [ ! -e "$prefix/libexec/ippun" ] \
  && [ -z "$(find "$prefix" -name 'jp.ippun.ippun*')" ] \
  || fail "uninstall left files behind"

step "remove the packages"
apt-get remove -y -qq ippun ippun-center >/dev/null
[ ! -e /usr/bin/ippun ] && [ ! -e /usr/libexec/ippun/ippun ] && [ ! -e /usr/bin/ippun-center ] \
  || fail "remove left the programs"
echo "smoke: all package checks passed"
