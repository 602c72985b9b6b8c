#!/usr/bin/env bash
# Run the test suite (installs what the tests need first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
