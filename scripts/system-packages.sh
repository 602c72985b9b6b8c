#!/usr/bin/env bash
# Debian packages the browser tests and chart exports need: chromium (headless) and a CJK font so Chinese renders;
# and, for the acceptance test that opens the Word and Excel files in a program nobody here wrote, LibreOffice
# without its GUI (writer, calc; impress for the briefing's slide check, tests/slide_check.py) and poppler-utils
# (pdftotext, pdftoppm). Set KPI_SKIP_LIBREOFFICE=1 to leave LibreOffice
# out (about 300 MB; that test then skips, saying why). nginx, for serving from several processes (scripts/serve.sh,
# deploy/nginx.conf) and its tests; KPI_SKIP_NGINX=1 leaves it out (those tests then skip, saying why). Installing
# Debian's nginx does not start it here (no init system in a container; elsewhere `systemctl disable --now nginx`
# if the machine serves nothing else): scripts/serve.sh runs its own nginx as the invoking user.
# Installs them when missing and this is root on a Debian-like system; otherwise says what is missing and goes on
# (the browser tests then skip with that reason).
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${KPI_SKIP_LIBREOFFICE:-0}" != 1 ]; then
  # soffice alone says nothing of Impress (writer or calc also install it): ask dpkg for each part.
  for part in libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui; do
    if command -v dpkg-query >/dev/null 2>&1; then installed "$part" || need+=("$part")
    elif ! command -v soffice >/dev/null 2>&1; then need+=("$part"); fi
  done
fi
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ "${KPI_SKIP_NGINX:-0}" != 1 ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  need+=(nginx)
fi
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
  echo "note: ${need[*]} not installed (needs root and apt-get); browser and LibreOffice tests will be skipped" >&2
fi
