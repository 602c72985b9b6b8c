#!/usr/bin/env bash
# Run the test suite. Installs what the tests need first: the Python packages into .venv, and Debian's chromium
# and CJK fonts for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/system-packages.sh
exec .venv/bin/python -m pytest "$@"
