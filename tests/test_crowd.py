"""The benchmark's light client (benchmarks.crowd): it speaks Streamlit's protocol well enough to time a run to its
end and to notice a run that failed. (Figures are the benchmark's; this checks the instrument.)"""

from __future__ import annotations

import pytest

from benchmarks import crowd
from benchmarks.harness import streamlit_server


@pytest.mark.slow  # a child process or a server (README: the fast part runs none)
def test_light_client_times_each_run_to_its_end_and_counts_failures(tmp_path):
    ok = tmp_path / "ok.py"
    # The run sleeps 0.3 s, so a client that stopped at the first message (rather than script_finished) would
    # report less than that.
    ok.write_text("import time\nimport streamlit as st\nst.write('start')\ntime.sleep(0.3)\nst.write('end')\n")
    failing = tmp_path / "failing.py"
    failing.write_text("import streamlit as st\nst.write('start')\nraise ValueError('boom')\n")
    with streamlit_server(ok) as (url, _server):
        result = crowd.crowd(int(url.rsplit(":", 1)[1]), 3, window=0.5, timeout=30, runs=2)
    assert len(result.visits) == 6 and result.errors == 0
    assert all(t >= 0.3 for t in result.times)
    assert result.percentile(95) == max(result.times) and result.percentile(50) <= result.percentile(95)
    with streamlit_server(failing) as (url, _server):
        result = crowd.crowd(int(url.rsplit(":", 1)[1]), 2, window=0, timeout=30)
    assert result.errors == 2 and all(v.error.startswith("exception") for v in result.visits)  # message redacted


def test_light_client_connects_only_to_this_machine():
    """Nothing but a port is taken: a closed port on 127.0.0.1 is a counted error, not a hang."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        result = crowd.crowd(port, 1, window=0, timeout=5)
    assert result.errors == 1 and result.visits[0].seconds is None
