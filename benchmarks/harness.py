"""Running a measurement: a Streamlit server on a free port, each task in a fresh process (so its peak memory is its
own: `python -m benchmarks.measure TASK ARGS`), peak memory of a process, and whether Chromium can paint here. The
browser tests share the server harness."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from metrics.core.config import PROJECT_ROOT


@contextlib.contextmanager
def streamlit_server(script: Path | str, env: dict | None = None, start_timeout: float = 60):
    """A Streamlit app served on a free port of 127.0.0.1 (the benchmark's and the browser tests' server); yields
    (base URL without a trailing slash, the server process)."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{script} did not start within {start_timeout:g} s") from None
                time.sleep(0.3)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def run_task(task: str, *args: str, env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.measure", task, *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{task} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_mb_of(pid: int) -> float | None:
    """Peak resident memory of a running process (Linux), here the Streamlit server."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def can_paint() -> bool:
    """Chromium and Playwright (a development requirement) are there to measure a first paint."""
    import importlib.util
    import shutil

    return bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists()) and \
        importlib.util.find_spec("playwright") is not None


def copy_database(source: Path, target: Path) -> None:
    import shutil

    from metrics.platform import store

    store.connect(source).execute("CHECKPOINT").close()  # everything in the file itself, not its WAL
    shutil.copyfile(source, target)
