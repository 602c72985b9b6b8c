"""Serve the dashboard from several Streamlit processes behind Debian's nginx (README: 多进程部署).

    python -m deploy.serve [--processes N] [--port 8501] [--address 0.0.0.0] [--run-dir DIR]

(`scripts/serve.sh N` prepares the database first and then runs this.) One Streamlit process runs every viewer's
script on one Python thread, so on a machine with several cores a crowd queues behind one of them. Here N
`streamlit run dashboard.py` processes listen on free ports of 127.0.0.1 and nginx, configured from
`deploy/nginx.conf`, is the only way in: sticky by a cookie (a viewer's page, websocket, uploads and media reach
the process holding its session), websockets proxied, Streamlit's internal endpoints blocked.

nginx runs as the invoking user with its pid, logs and temporary files in a private run directory (0700). The
processes stop together: on SIGINT or SIGTERM, or when any one of them exits (the others are then stopped and the
exit status is 1, so a supervisor such as systemd restarts the whole set), and each child is told by the kernel
to stop if this process dies without cleaning up (PR_SET_PDEATHSIG), so none is left orphaned.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dashboard_ui import warmup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
MAX_PROCESSES = 16
MULTIPART_MARGIN_MB = 1  # the upload's multipart framing on top of server.maxUploadSize


class ServeError(Exception):
    """Serving could not start; the message says why in both languages."""


def nginx_binary() -> str | None:
    """Debian installs nginx in /usr/sbin, which is not on an ordinary user's PATH."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                         if os.access(p, os.X_OK)), None)


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def max_upload_mb(config_path: Path = STREAMLIT_CONFIG) -> int:
    """server.maxUploadSize of .streamlit/config.toml (Streamlit's default 200 when unset)."""
    try:
        return int(tomllib.loads(config_path.read_text(encoding="utf-8")).get("server", {}).get("maxUploadSize", 200))
    except (OSError, tomllib.TOMLDecodeError, ValueError):
        return 200


def nginx_config(run_dir: Path, listen: str, backend_ports: list[int], template: Path = TEMPLATE) -> str:
    """deploy/nginx.conf with its fields filled in."""
    if not backend_ports:
        raise ValueError("no backend")
    # The run directory is quoted in the config (a space is fine); these would end the quote or start a variable.
    if any(c in str(run_dir) for c in '"\\$;{}\n'):
        raise ServeError(f"运行目录路径不能含有 \" \\ $ ; {{ }} 或换行：{run_dir} / the run directory's path must not "
                         f"contain \" \\ $ ; {{ }} or a newline: {run_dir}")
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else \
        "# (not root: nginx runs as this user)"
    fields = {
        "{{USER}}": user,  # as root, nginx's workers would otherwise become `nobody`, who cannot use the run dir
        "{{RUN_DIR}}": str(run_dir),
        "{{LISTEN}}": listen,
        "{{BACKENDS}}": "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in backend_ports),
        "{{MAX_BODY}}": f"{max_upload_mb() + MULTIPART_MARGIN_MB}m",
    }
    text = template.read_text(encoding="utf-8")
    for name, value in fields.items():
        text = text.replace(name, value)
    if "{{" in text:
        raise ValueError(f"unfilled field in {template}: {text[text.index('{{'):][:40]}")
    return text


def write_config(run_dir: Path, listen: str, backend_ports: list[int]) -> Path:
    path = run_dir / "nginx.conf"
    path.write_text(nginx_config(run_dir, listen, backend_ports), encoding="utf-8")
    return path


def check_config(path: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on a written config (its output says what is wrong)."""
    run_dir = path.parent
    return subprocess.run([nginx_binary() or "nginx", "-t", "-q", "-p", str(run_dir), "-c", str(path),
                           "-e", str(run_dir / "error.log")], capture_output=True, text=True, timeout=30)


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when the serving process dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Served:
    url: str  # nginx, the one way in
    run_dir: Path
    nginx: subprocess.Popen
    backends: list[tuple[int, subprocess.Popen]] = field(default_factory=list)

    @property
    def processes(self) -> list[subprocess.Popen]:
        return [self.nginx, *(p for _, p in self.backends)]

    def exited(self) -> subprocess.Popen | None:
        return next((p for p in self.processes if p.poll() is not None), None)

    def access_log(self) -> list[str]:
        path = self.run_dir / "access.log"
        return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []


def _last_line(*logs: Path) -> str:
    """Why a process would not start, from its logs (the run directory may be removed after): nginx's first
    [emerg] line (its last only says it gave up), else the last line."""
    for log in logs:
        try:
            lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        except OSError:
            continue
        if lines:
            return next((line for line in lines if "[emerg]" in line), lines[-1])[-300:]
    return ""


def _wait_healthy(url: str, process: subprocess.Popen, deadline: float, what: str, *logs: Path) -> None:
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            if process.poll() is not None:
                why = _last_line(*logs)
                raise ServeError(f"{what} 启动失败（退出码 {process.returncode}）/ {what} exited with "
                                 f"{process.returncode} while starting" + (f": {why}" if why else "")) from None
            if time.monotonic() > deadline:
                raise ServeError(f"{what} 未能在规定时间内启动 / {what} did not start in time") from None
            time.sleep(0.3)


def _stop(processes: list[subprocess.Popen], timeout: float = 20) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()  # nginx: fast shutdown; Streamlit: closes its sessions
    deadline = time.monotonic() + timeout
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextlib.contextmanager
def served(processes: int = 2, port: int = 0, address: str = "127.0.0.1", env: dict | None = None,
           run_dir: Path | None = None, script: Path = ROOT / "dashboard.py", start_timeout: float = 120,
           streamlit_args: list[str] | None = None):
    """N Streamlit processes and nginx in front of them; yields a Served; stops them all on leaving."""
    nginx = nginx_binary()
    if nginx is None:
        raise ServeError("未安装 nginx：请运行 sudo apt-get install nginx-light（或 nginx）/ nginx is not "
                         "installed: sudo apt-get install nginx-light (or nginx)")
    if not 1 <= processes <= MAX_PROCESSES:
        raise ServeError(f"进程数须为 1 到 {MAX_PROCESSES} / processes must be 1..{MAX_PROCESSES}")
    own_dir = run_dir is None
    run_dir = Path(run_dir or tempfile.mkdtemp(prefix="kpi-serve-"))  # mkdtemp: 0700
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(run_dir, 0o700)
    port = port or free_port(address)
    started: list[subprocess.Popen] = []
    try:
        backends = []
        for _ in range(processes):
            backend_port = free_port()
            log = open(run_dir / f"streamlit-{backend_port}.log", "wb")  # noqa: SIM115 (the child keeps it)
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(backend_port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", *(streamlit_args or [])],
                cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            log.close()
            started.append(proc)
            backends.append((backend_port, proc))
        deadline = time.monotonic() + start_timeout
        for backend_port, proc in backends:
            _wait_healthy(f"http://127.0.0.1:{backend_port}", proc, deadline, f"Streamlit :{backend_port}",
                          run_dir / f"streamlit-{backend_port}.log")
        listen = f"{address}:{port}" if ":" not in address else f"[{address}]:{port}"
        config = write_config(run_dir, listen, [p for p, _ in backends])
        checked = check_config(config)
        if checked.returncode != 0:
            raise ServeError(f"nginx 配置无效 / the nginx config is invalid: {checked.stderr.strip()[-500:]}")
        with open(run_dir / "nginx.stderr", "wb") as stderr:
            proxy = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(config), "-e", str(run_dir / "error.log")],
                                     cwd=run_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                     preexec_fn=_die_with_parent)
        started.append(proxy)
        host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
        url = f"http://{host}:{port}"
        _wait_healthy(url, proxy, deadline, "nginx", run_dir / "nginx.stderr", run_dir / "error.log")
        yield Served(url, run_dir, proxy, backends)
    finally:
        _stop(started)
        if own_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m deploy.serve",
                                     description="N Streamlit processes behind nginx (sticky by cookie)")
    parser.add_argument("--processes", type=int, default=min(os.cpu_count() or 2, 4), metavar=f"1..{MAX_PROCESSES}")
    parser.add_argument("--port", type=int, default=8501, help="the one port viewers open (nginx)")
    parser.add_argument("--address", default="0.0.0.0", help="where nginx listens (127.0.0.1: this machine only)")
    parser.add_argument("--run-dir", type=Path, help="nginx's pid, logs and temporary files, and each process's "
                                                     "log (default: a private temporary directory, removed on exit)")
    args, streamlit_args = parser.parse_known_args(argv)
    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with served(args.processes, args.port, args.address, run_dir=args.run_dir,
                    streamlit_args=streamlit_args) as s:
            print(f"看板已启动 / serving: http://{args.address}:{args.port}  ({args.processes} 个 Streamlit 进程 / "
                  f"processes on ports {', '.join(str(p) for p, _ in s.backends)}; nginx; logs in {s.run_dir})",
                  flush=True)
            # Each process's first visit made now, not by the first person (dashboard_ui/warmup.py).
            _, base_path = warmup.server_address(streamlit_args)
            threading.Thread(target=warmup.warm_processes, args=([p for p, _ in s.backends], base_path),
                             daemon=True).start()
            while stop["signal"] is None:
                gone = s.exited()
                if gone is not None:
                    print(f"进程 {gone.pid} 已退出（{gone.returncode}），全部停止 / process {gone.pid} exited "
                          f"({gone.returncode}); stopping all", file=sys.stderr, flush=True)
                    return 1
                time.sleep(0.5)
    except ServeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
