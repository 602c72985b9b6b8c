#!/usr/bin/env bash
# Serve the dashboard to many viewers at once: N Streamlit processes behind Debian's nginx, sticky by a cookie
# (README: 多进程部署 / Serving many viewers). Usage: bash scripts/serve.sh [N] [--port 8501] [--address 0.0.0.0]
# N defaults to the number of cores (at most 4). Ctrl-C (or SIGTERM) stops nginx and every process together.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=()
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  processes=(--processes "$1")
  shift
fi
bash scripts/setup.sh requirements.txt
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  bash scripts/system-packages.sh
fi
# The database, its schema and the demo before any process listens: the processes then only read (read-only
# connections, which DuckDB lets many processes hold at once).
.venv/bin/python -m metrics demo --if-empty
if [ -z "${KPI_REGION_DIR:-}" ] && [ ! -e data/region ]; then
  .venv/bin/python -m metrics region data/region --demo >/dev/null
fi
# exec: deploy/serve.py is the process a supervisor sees; it stops nginx and the Streamlit processes on SIGINT or
# SIGTERM, stops them all when one exits, and the kernel stops them if it dies (no orphans).
exec .venv/bin/python -m deploy.serve "${processes[@]}" "$@"
