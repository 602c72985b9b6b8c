#!/usr/bin/env bash
# Start the dashboard. First start: installs the requirements, creates data/kpi.duckdb and loads the demo ledgers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
# The database and the demo before the server listens: the first visit then only reads (README, Performance).
.venv/bin/python -m metrics demo --if-empty
# The 地区汇总 page's seven demo counties (演示数据), on the first start only and only for the default folder.
if [ -z "${KPI_REGION_DIR:-}" ] && [ ! -e data/region ]; then
  .venv/bin/python -m metrics region data/region --demo >/dev/null
fi
exec .venv/bin/python -m streamlit run dashboard.py "$@"
