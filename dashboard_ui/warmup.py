"""The server's first visit, made by the server's own start instead of the first person (issue 17's first-visit row).

A Streamlit process imports pandas, numpy, Plotly's validators and the pages, and computes the scorecard and the
overview's figures, only when a session first runs a page: on this machine 1.2-2.0 s of the server for that first
visitor against 0.07 s for the next (py-spy: a third imports, a quarter the first scorecard and history, the rest
the frame and the figures). `scripts/start.sh` and `scripts/serve.sh` therefore make one visit per process, in each
language, as soon as it answers its health check, with the light client the benchmark's crowds use: a websocket
on /_stcore/stream, one BackMsg asking for a run, ForwardMsgs read until the run ends.

The visit is local (127.0.0.1 only), bounded in time, and never holds the server up: a failure is one line on
stderr, and the server serves as before.

    python -m dashboard_ui.warmup [streamlit run's arguments]   (scripts/start.sh passes its own "$@")
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.request

from metrics.core import i18n

HEALTH_WAIT_S = 120.0  # a first start installs nothing here (start.sh did), but a busy machine imports slowly
VISIT_TIMEOUT_S = 60.0


def rerun_message(query_string: str = "", page_script_hash: str = "") -> bytes:
    """The BackMsg a browser sends to ask for a run of the page (Streamlit's own protobuf classes)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query_string
    msg.rerun_script.page_script_hash = page_script_hash
    return msg.SerializeToString()


async def await_run_end(ws, deadline: float) -> str | None:
    """Read ForwardMsgs until the script run ends; None when it finished cleanly, else what went wrong."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    error = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        data = await asyncio.wait_for(ws.recv(), timeout=left)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                and msg.delta.new_element.WhichOneof("type") == "exception":
            error = "exception: " + msg.delta.new_element.exception.message[:200]
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # an st.rerun inside the script: the run goes on
            if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                error = error or f"script_finished={msg.script_finished}"
            return error


async def _visit(url: str, query_string: str, timeout: float) -> str | None:
    from websockets.asyncio.client import connect

    deadline = time.monotonic() + timeout
    async with connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout, close_timeout=2) as ws:
        await ws.send(rerun_message(query_string))
        return await await_run_end(ws, deadline)


def visit(port: int, query_string: str = "", base_path: str = "", timeout: float = VISIT_TIMEOUT_S) -> str | None:
    """One session's run of the default page on 127.0.0.1:`port`: None when it ended cleanly, else why not."""
    path = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    try:
        return asyncio.run(asyncio.wait_for(_visit(f"ws://127.0.0.1:{port}{path}/_stcore/stream", query_string,
                                                   timeout), timeout + 5))
    except Exception as exc:  # noqa: BLE001  (said, never raised: the server serves without its warm-up)
        return f"{type(exc).__name__}: {exc}"[:200]


def wait_healthy(port: int, base_path: str = "", limit_s: float = HEALTH_WAIT_S) -> bool:
    path = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def warm(port: int, base_path: str = "") -> list[str]:
    """The overview once in every language of the catalogues; what went wrong, if anything."""
    problems = []
    for lang in i18n.LANGUAGES:
        error = visit(port, f"lang={lang}", base_path)
        if error:
            problems.append(f"{lang}: {error}")
    return problems


def report(problems: list[str]) -> None:
    for problem in problems:
        print(f"warm-up visit: {problem}", file=sys.stderr, flush=True)


def warm_processes(ports: list[int], base_path: str = "") -> None:
    """scripts/serve.sh's processes, each in turn once all answer (they share the machine's cores)."""
    for port in ports:
        report(warm(port, base_path))


def server_address(argv: list[str]) -> tuple[int, str]:
    """The port and base path `streamlit run` was given (`--server.port 8599`, `--server.port=8599`; the same
    for `--server.baseUrlPath`), else Streamlit's defaults (8501, none) or the project's config."""
    values: dict[str, str] = {}
    for i, arg in enumerate(argv):
        for name in ("--server.port", "--server.baseUrlPath"):
            if arg == name and i + 1 < len(argv):
                values[name] = argv[i + 1]
            elif arg.startswith(name + "="):
                values[name] = arg.split("=", 1)[1]
    if "--server.port" not in values or "--server.baseUrlPath" not in values:
        from streamlit import config

        values.setdefault("--server.port", str(config.get_option("server.port")))
        values.setdefault("--server.baseUrlPath", config.get_option("server.baseUrlPath") or "")
    return int(values["--server.port"]), values["--server.baseUrlPath"]


def main(argv: list[str]) -> int:
    try:
        port, base_path = server_address(argv)
    except ValueError as exc:
        print(f"warm-up skipped: {exc}", file=sys.stderr)
        return 0
    if not wait_healthy(port, base_path):
        print(f"warm-up skipped: no answer on port {port} within {HEALTH_WAIT_S:.0f} s", file=sys.stderr)
        return 0
    report(warm(port, base_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
