"""Serving from several processes (issue 17): nginx in front of N Streamlit processes, sticky by a cookie, and what
must be shared between the processes (the database read-only, the sign-in backoff, the briefing renderer's turn).

Tests that start nginx skip, saying why, where it is not installed or KPI_SKIP_NGINX=1 (scripts/system-packages.sh
installs it)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy import serve
from metrics.core.config import PROJECT_ROOT

needs_nginx = pytest.mark.skipif(os.environ.get("KPI_SKIP_NGINX") == "1" or serve.nginx_binary() is None,
                                 reason="nginx is not installed (scripts/system-packages.sh installs it; "
                                        "KPI_SKIP_NGINX=1 skips it)")


# ------------------------------------------------------------------------------------------ nginx config

@needs_nginx
def test_the_generated_nginx_config_passes_nginx_t(tmp_path):
    run_dir = tmp_path / "运行 目录"  # a space: the paths are quoted (an unquoted one broke the pid line)
    run_dir.mkdir()
    config = serve.write_config(run_dir, "127.0.0.1:18080", [18081, 18082, 18083])
    checked = serve.check_config(config)
    assert checked.returncode == 0, checked.stderr
    text = config.read_text(encoding="utf-8")
    assert text.count("server 127.0.0.1:1808") == 3 and "{{" not in text
    assert f"client_max_body_size {serve.max_upload_mb() + 1}m" in text  # an upload of maxUploadSize gets through
    for blocked in ("/_stcore/metrics", "/_stcore/script-health-check", "/_stcore/agent/", "/component/"):
        assert re.search(rf"location [=^~]+ {re.escape(blocked)} {{ return 404; }}", text), blocked
    # A broken template is caught by nginx -t, which is what serve() runs before starting nginx.
    config.write_text(text.replace("hash $kpi_backend consistent;", "hash;"), encoding="utf-8")
    assert serve.check_config(config).returncode != 0
    with pytest.raises(serve.ServeError):  # a path that would end the quote or start a variable is refused
        serve.nginx_config(tmp_path / "a$b", "127.0.0.1:18080", [18081])


# --------------------------------------------------------------------------------- a viewer, as a browser

def _cookies(headers, jar: dict) -> dict:
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _get(url: str, jar: dict) -> None:
    request = urllib.request.Request(url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        _cookies(response.headers, jar)


def browser_like_visit(base: str) -> dict:
    """What a browser tab does, in order, carrying the cookies it is given: the page, /_stcore/health (which sets
    Streamlit's XSRF cookie), the websocket (a session starts in one process), then an st.file_uploader PUT to
    that session. Returns the cookies, the session id and the upload's HTTP status (204: the upload reached the
    process holding the session; 400 "Invalid session_id": another process)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    jar: dict = {}
    _get(base + "/", jar)
    _get(base + "/_stcore/health", jar)
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())

    async def session_and_upload() -> tuple[str, int]:
        ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
        async with connect(ws_url, subprotocols=["streamlit", jar.get("_streamlit_xsrf", "")],
                           additional_headers={"Cookie": cookie, "Origin": base}, max_size=None,
                           open_timeout=30) as ws:
            from dashboard_ui.warmup import rerun_message

            await ws.send(rerun_message())
            session_id = ""
            deadline = time.monotonic() + 60
            while not session_id and time.monotonic() < deadline:
                msg = ForwardMsg()
                msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=60))
                if msg.WhichOneof("type") == "new_session":
                    session_id = msg.new_session.initialize.session_id
            boundary = "kpitestboundary"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
                    f"Content-Type: text/csv\r\n\r\n场次编号,日期\r\nPX1,2024-01-02\r\n--{boundary}--\r\n").encode()
            request = urllib.request.Request(
                f"{base}/_stcore/upload_file/{session_id}/file-1", data=body, method="PUT",
                headers={"Cookie": cookie, "X-Xsrftoken": jar.get("_streamlit_xsrf", ""),
                         "Content-Type": f"multipart/form-data; boundary={boundary}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            return session_id, status

    session_id, status = asyncio.run(session_and_upload())
    return {"cookies": jar, "session_id": session_id, "upload_status": status}


def _upstreams(log: list[str], key: str) -> dict[str, set[str]]:
    """Request path -> the backends that answered it, for the requests carrying stickiness key `key`."""
    seen: dict[str, set[str]] = {}
    for line in log:
        if f"key={key} " in line:
            path = line.split('"')[1].split()[1].split("?")[0]
            path = "/_stcore/upload_file/" if path.startswith("/_stcore/upload_file/") else path
            seen.setdefault(path, set()).add(re.search(r"upstream=(\S+)", line).group(1))
    return seen


@pytest.mark.slow
@needs_nginx
def test_two_processes_behind_nginx_keep_each_viewer_on_one_process(demo_db_fresh, tmp_path):
    """Each viewer's page, websocket and upload reach the same process (the access log names it), the upload is
    accepted there, and viewers are spread over both processes. With the `hash` line dropped, nginx takes turns:
    the upload lands on the other process and is refused (400)."""
    from benchmarks import crowd

    with serve.served(2, env={"KPI_DB": str(demo_db_fresh)}, run_dir=tmp_path / "run") as served:
        two = crowd.crowd(int(served.url.rsplit(":", 1)[1]), 2, window=0.5, timeout=120)
        assert two.errors == 0 and len(two.times) == 2  # two viewers both ran the overview to its end
        backends_used = set()
        for _ in range(30):  # new viewers until both processes have had one (each is 1/2; 30 is plenty)
            visit = browser_like_visit(served.url)
            key = visit["cookies"]["kpi_backend"]
            assert re.fullmatch(r"[0-9a-f]{32}", key) and visit["session_id"]
            assert visit["upload_status"] == 204, visit
            time.sleep(0.3)  # the log line of the upload is written when the response ends
            upstreams = _upstreams(served.access_log(), key)
            assert {"/", "/_stcore/health", "/_stcore/stream", "/_stcore/upload_file/"} <= set(upstreams), upstreams
            answered = set().union(*upstreams.values())
            assert len(answered) == 1, upstreams  # one process for all of this viewer's requests
            backends_used |= answered
            if len(backends_used) == 2:
                break
        assert len(backends_used) == 2
        blocked = urllib.request.Request(served.url + "/_stcore/metrics")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(blocked, timeout=10)
        assert refused.value.code == 404


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@needs_nginx
def test_nginx_and_the_processes_stop_together(demo_db_fresh, tmp_path):
    """`python -m deploy.serve` (what scripts/serve.sh runs): SIGTERM stops nginx and every Streamlit process; and
    when one process dies, the others and nginx are stopped and the exit status is 1. No process is left behind."""
    env = {**os.environ, "KPI_DB": str(demo_db_fresh)}
    for ending in ("sigterm", "a process dies"):
        port = serve.free_port()
        server = subprocess.Popen([sys.executable, "-m", "deploy.serve", "--processes", "2", "--port", str(port),
                                   "--address", "127.0.0.1", "--run-dir", str(tmp_path / ending)],
                                  cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        try:
            assert "serving" in server.stdout.readline()  # printed once nginx answers
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
                assert response.status == 200
            children = _children(server.pid)
            assert len(children) == 3  # two Streamlit processes and nginx's master
            pids = children + [c for child in children for c in _children(child)]  # nginx's worker too
            if ending == "sigterm":
                server.send_signal(15)
                assert server.wait(timeout=60) == 0
            else:
                os.kill(children[0], 9)
                assert server.wait(timeout=60) == 1
            deadline = time.monotonic() + 10
            while any(_alive(p) for p in pids) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [p for p in pids if _alive(p)] == []
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


PROBE_APP = """
import streamlit as st
from dashboard_ui import state
st.markdown(f"version={state.data_version()[0].rsplit('#', 1)[1]}")
"""


def _shown_version(port: int) -> str:
    """The data version a page of the process on `port` shows (a new session: its own run)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    from dashboard_ui.warmup import rerun_message

    async def visit() -> str:
        async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                           open_timeout=30) as ws:
            await ws.send(rerun_message())
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=60))
                if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "markdown":
                    return msg.delta.new_element.markdown.body
                if msg.WhichOneof("type") == "script_finished":
                    return "no version shown"

    return asyncio.run(visit())


@pytest.mark.slow
@needs_nginx
def test_every_serving_process_shows_a_command_line_load_within_two_seconds(demo_db_fresh, tmp_path):
    """Two served processes read the data version (read-only, cached 2 s); a command-line load commits while they
    serve; within the cache's 2 s both show the new version."""
    from metrics.platform import store

    probe = tmp_path / "probe.py"
    probe.write_text(PROBE_APP, encoding="utf-8")
    con = store.connect(demo_db_fresh, read_only=True)
    before = store.data_version(con)
    con.close()
    env = {"KPI_DB": str(demo_db_fresh), "PYTHONPATH": str(PROJECT_ROOT)}
    with serve.served(2, env=env, script=probe) as served:
        ports = [port for port, _ in served.backends]
        assert [_shown_version(p) for p in ports] == [f"version={before}"] * 2
        from benchmarks.fixtures import subsidy_csv

        load = subprocess.run([sys.executable, "-m", "metrics", "--db", str(demo_db_fresh), "ingest",
                               "logistics_subsidies", str(subsidy_csv(tmp_path / "s.csv", 1000))],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr[-500:]
        time.sleep(2.5)  # the data version's cache lives 2 s
        assert [_shown_version(p) for p in ports] == [f"version={before + 1}"] * 2


@pytest.mark.slow
@needs_nginx
def test_a_port_in_use_is_said_plainly(demo_db_fresh, tmp_path):
    """nginx cannot listen (the port is taken): serving stops with nginx's own reason, every process stopped."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "deploy.serve", "--processes", "1", "--port", str(port),
                               "--address", "127.0.0.1"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              env={**os.environ, "KPI_DB": str(demo_db_fresh)}, timeout=180)
    assert done.returncode == 1
    assert "nginx 启动失败" in done.stderr and "Address already in use" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
