#!/usr/bin/env bash
# Run the test suite. Installs what the tests need first: the Python packages into .venv, and Debian's chromium
# and CJK fonts for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
bash scripts/system-packages.sh
if [ $# -gt 0 ]; then
  # On several workers (-n), the tests of one xdist_group (a page's run, the demo region) stay on one worker unless
  # another --dist is asked for: without it `scripts/test.sh -n 2 -m "not slow"` paid each group on both workers.
  case " $* " in
    *" -n"*|*" --numprocesses"*) case " $* " in *" --dist"*|*" -d "*) ;; *) set -- --dist loadgroup "$@" ;; esac ;;
  esac
  exec .venv/bin/python -m pytest "$@"
fi
# The whole suite (CI): the fast part on both cores, then the slow part (browser, benchmark, LibreOffice, child
# processes and servers) one test at a time, since those measure or share the machine.
.venv/bin/python -m pytest -n 2 --dist loadgroup -m "not slow"
exec .venv/bin/python -m pytest -m slow
