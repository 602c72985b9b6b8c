#!/usr/bin/env bash
# Run the test suite. Installs what the tests need first: the Python packages into .venv, and Debian's chromium
# and CJK fonts for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/system-packages.sh
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
# The whole suite (CI): the fast part on both cores, then the slow part (browser, benchmark, LibreOffice, child
# processes and servers) one test at a time, since those measure or share the machine.
.venv/bin/python -m pytest -n 2 --dist loadgroup -m "not slow"
exec .venv/bin/python -m pytest -m slow
