#!/usr/bin/env bash
# Start the dashboard. First start: installs the requirements, creates data/kpi.duckdb and loads the demo ledgers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
# The database and the demo before the server listens: the first visit then only reads (docs/performance.md).
.venv/bin/python -m metrics demo --if-empty
# The 地区汇总 page's seven demo counties (演示数据): on the first start, and again after an upgrade changed the
# database's structure (only while the default folder holds nothing but the demo counties).
if [ -z "${KPI_REGION_DIR:-}" ]; then
  .venv/bin/python -m metrics region data/region --demo-if-needed >/dev/null
fi
# The server's first visit, in each language, as soon as it answers (dashboard_ui/warmup.py): the first person
# then finds the pages ready. In a subshell, so it is nobody's child once done; bounded, and never stops the server.
( .venv/bin/python -m dashboard_ui.warmup "$@" & )
exec .venv/bin/python -m streamlit run dashboard.py "$@"
