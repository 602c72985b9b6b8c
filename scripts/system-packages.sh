#!/usr/bin/env bash
# Debian packages the browser tests and chart exports need: chromium (headless) and a CJK font so Chinese renders.
# Installs them when missing and this is root on a Debian-like system; otherwise says what is missing and goes on
# (the browser tests then skip with that reason).
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if command -v dpkg-query >/dev/null 2>&1; then
  installed fonts-noto-cjk || need+=(fonts-noto-cjk)
else
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (apt-get)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: ${need[*]} not installed (needs root and apt-get); browser tests will be skipped" >&2
fi
