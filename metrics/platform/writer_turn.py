"""A writer's turn at the database file: readers step aside for a load that is waiting.

DuckDB lets one process write a file or many read it, and its file lock has no queue: a load that finds readers
tries again every 0.2 s, and dashboards reading back to back (or a page run holding its read connection, see
dashboard_ui/state.py) can leave the file free so rarely that the load's tries run out (CI saw it refused one
time in ten with two readers 0.02 s apart). So a writer that finds the file taken says so with a marker file beside
the database, touched at each of its tries; a reader that sees a fresh marker opens nothing new until the writer is
in (the marker gone) or has given up (the marker stale), and a page run lets go of the connection it holds.

The marker is only a courtesy between our own processes: a stale one (a writer killed while waiting) is ignored
after FRESH_SECONDS, and a directory where it cannot be written leaves things as they were without it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

FRESH_SECONDS = 1.0  # a waiting writer touches the marker at least every 0.2 s


def marker(path: Path | str) -> Path:
    return Path(f"{path}.writer-waiting")


class Turn:
    """One writer's request for a turn at one file, from its first refused try until it is in or gives up."""

    def __init__(self, path: Path | str):
        self.path = path
        self.announced = False

    def announce(self) -> None:
        """The file is taken: ask readers for a turn (again at each try, so the marker stays fresh)."""
        try:
            marker(self.path).touch()
            self.announced = True
        except OSError:  # a read-only directory: wait without the courtesy, as before
            pass

    def withdraw(self) -> None:
        """The writer is in, or gave up. Another writer still waiting touches the marker again at its next try."""
        if self.announced:
            try:
                marker(self.path).unlink(missing_ok=True)
            except OSError:
                pass
            self.announced = False


def waiting(path: Path | str) -> bool:
    """A writer is waiting for this file now (a marker touched within FRESH_SECONDS). A marker dated ahead of now
    by more than that (left by a killed writer, then the clock stepped back) is stale too, not fresh for hours."""
    try:
        return abs(time.time() - os.stat(marker(path)).st_mtime) < FRESH_SECONDS
    except OSError:
        return False
