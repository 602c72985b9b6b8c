"""Many viewers at once, measured with a light client instead of N browsers (the benchmark's crowd rows).

A viewer is what a browser tab is to the server: a websocket on /_stcore/stream that sends one BackMsg asking for a
script run and receives ForwardMsgs until the run's end (script_finished). Streamlit's own protobuf classes
(streamlit.proto) are used both ways, over the `websockets` client Streamlit itself depends on; the messages
are the server's own warm-up visit's (dashboard_ui/warmup.py). Timed from the
start of the connection to the script_finished message; no drawing, so 50 viewers fit on a two-core machine.

Bounds: the host is always 127.0.0.1 (only a port is taken), at most MAX_VIEWERS viewers, each waits at most
`timeout` seconds, and the whole crowd is cancelled after its arrival window plus `timeout`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

from dashboard_ui.warmup import await_run_end, rerun_message

MAX_VIEWERS = 200
MAX_RUNS_PER_VIEWER = 50


@dataclass
class Visit:
    seconds: float | None  # connection start to script_finished; None when the run did not finish in time
    error: str | None = None


@dataclass
class CrowdResult:
    visits: list[Visit] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return sorted(v.seconds for v in self.visits if v.seconds is not None and v.error is None)

    @property
    def errors(self) -> int:
        return sum(1 for v in self.visits if v.error is not None or v.seconds is None)

    def percentile(self, p: float) -> float | None:
        times = self.times
        if not times:
            return None
        return times[min(len(times) - 1, max(0, round(p / 100 * len(times) + 0.5) - 1))]  # nearest rank

    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


async def _viewer(port: int, delay: float, timeout: float, runs: int = 1, query_string: str = "") -> list[Visit]:
    """One viewer: wait `delay`, open a session, ask for `runs` script runs one after another (a first visit,
    then reruns as a viewer's clicks cause), timing each."""
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)
    visits = []
    start = time.monotonic()
    try:
        async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                           open_timeout=timeout, close_timeout=2) as ws:
            for _ in range(min(runs, MAX_RUNS_PER_VIEWER)):
                await ws.send(rerun_message(query_string))
                error = await await_run_end(ws, start + timeout)
                visits.append(Visit(time.monotonic() - start, error))
                start = time.monotonic()
    except Exception as exc:  # noqa: BLE001  (every failure is a counted error)
        visits.append(Visit(None, f"{type(exc).__name__}: {exc}"[:200]))
    return visits


async def _crowd(port: int, viewers: int, window: float, timeout: float, runs: int, query_string: str) -> CrowdResult:
    if not 1 <= viewers <= MAX_VIEWERS:
        raise ValueError(f"viewers must be 1..{MAX_VIEWERS}")
    # Arrivals spread evenly over the window (a meeting room opening the link within seconds).
    delays = [window * i / viewers for i in range(viewers)]
    tasks = [_viewer(port, d, timeout, runs, query_string) for d in delays]
    done = await asyncio.wait_for(asyncio.gather(*tasks), timeout=window + timeout * runs + 10)
    return CrowdResult([v for visits in done for v in visits])


def crowd(port: int, viewers: int, window: float = 5.0, timeout: float = 60.0, runs: int = 1,
          query_string: str = "") -> CrowdResult:
    """`viewers` sessions arriving evenly within `window` seconds on the server at 127.0.0.1:`port`."""
    return asyncio.run(_crowd(port, viewers, window, timeout, runs, query_string))


def browse_while(port: int, viewers: int, busy, timeout: float = 60.0) -> CrowdResult:
    """`viewers` sessions rerunning the page one after another for as long as `busy()` is true (a CLI load runs),
    each at most MAX_RUNS_PER_VIEWER runs."""

    async def one() -> list[Visit]:
        from websockets.asyncio.client import connect

        visits: list[Visit] = []
        try:
            async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                               open_timeout=timeout, close_timeout=2) as ws:
                while busy() and len(visits) < MAX_RUNS_PER_VIEWER:
                    start = time.monotonic()
                    await ws.send(rerun_message())
                    error = await await_run_end(ws, start + timeout)
                    visits.append(Visit(time.monotonic() - start, error))
                    await asyncio.sleep(0.2)  # a viewer reads before the next click
        except Exception as exc:  # noqa: BLE001
            visits.append(Visit(None, f"{type(exc).__name__}: {exc}"[:200]))
        return visits

    async def all_of_them() -> CrowdResult:
        done = await asyncio.wait_for(asyncio.gather(*[one() for _ in range(viewers)]),
                                      timeout=timeout * MAX_RUNS_PER_VIEWER)
        return CrowdResult([v for visits in done for v in visits])

    return asyncio.run(all_of_them())
