"""Results shared by every viewer and every serving process, computed once per data version (single flight).

A coordination meeting puts a hundred phones on the link right after a clerk loaded the latest ledgers: every
cache is empty, and Streamlit's caches let each of the sessions that miss at once compute the same scorecard
itself (one process went from 2.3 s p95 with warm caches to 7.5 s with empty ones, issue 26). Here the first
caller of a key computes it while every other caller of that key waits for it and then reads the same result:

- inside one process (Streamlit runs each session in a thread), a lock per key;
- across the processes of `scripts/serve.sh`, an exclusive `flock` on a file per key in a folder beside the
  database, and the result written there (pickle, written to a temporary name and renamed, so a reader never sees
  half a file). The operating system releases the lock of a process that dies, and a file that does not unpickle is
  a miss, computed again: nothing is lost, at worst time.

The folder holds one sub-folder per data version; a new version's first result removes the older ones that no
process has used for a minute. The key
carries the data version, so a load or undo makes every result new. Streamlit's `clear_cache` message, which any
visitor can send, does not reach this store: results are read from here again instead of recomputed.

The folder is the server's own (created 0700 beside the database, as the database itself): whoever can write there
can already write the database, so its pickles are trusted as the database is.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _code_stamp() -> str:
    """The library's code as it is on disk (each module's path, size and time): part of every result's folder, so a
    result pickled by an older version of the code is never read by a newer one after an upgrade, even while the
    data version stays the same."""
    library = Path(__file__).resolve().parents[1]
    parts = sorted(f"{p.relative_to(library)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in library.rglob("*.py"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


CODE_STAMP = _code_stamp()
PRUNE_AFTER_S = 60  # an older data version's folder is removed once untouched this long
MEMORY_ENTRIES = 512  # results kept in memory per process (scorecards, views: a few KB to a few MB each)


class SharedResults:
    def __init__(self, directory: Path | str, memory_entries: int = MEMORY_ENTRIES):
        self.directory = Path(directory)
        self.memory_entries = memory_entries
        self._memory: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()  # over _memory and _locks
        self.computed = 0  # how many results this process computed (tests and the benchmark read it)

    def get(self, version: str, key: tuple, compute: Callable[[], Any]) -> Any:
        """The result of `compute()` for (data version, key), computed once by whichever caller comes first."""
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        slot = (version, name)
        with self._guard:
            if slot in self._memory:
                self._memory.move_to_end(slot)
                return self._memory[slot]
            lock = self._locks.setdefault(slot, threading.Lock())
        with lock:  # the threads of this process wait for the first
            with self._guard:
                if slot in self._memory:
                    return self._memory[slot]
            value = self._from_disk_or_compute(version, name, compute)
            with self._guard:
                self._memory[slot] = value
                while len(self._memory) > self.memory_entries:
                    self._memory.popitem(last=False)
                self._locks.pop(slot, None)
            return value

    def _from_disk_or_compute(self, version: str, name: str, compute: Callable[[], Any]) -> Any:
        folder = self.directory / hashlib.sha256(f"{CODE_STAMP}:{version}".encode()).hexdigest()[:16]
        try:
            fresh_version = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if fresh_version:
                self._prune(keep=folder)
            handle = open(folder / f"{name}.lock", "a+b")  # noqa: SIM115 -- held while computing, closed below
        except OSError:  # a read-only or full disk: compute here, shared by this process only
            return self._compute(compute)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the other processes wait for the first
            path = folder / f"{name}.pickle"
            if path.exists():
                try:
                    with open(path, "rb") as file:
                        return pickle.load(file)  # noqa: S301 -- written by this server (see the module's note)
                except Exception:  # noqa: BLE001 -- cut short or damaged: a miss, computed again below
                    pass
            value = self._compute(compute)
            try:
                temporary = folder / f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
                with open(temporary, "wb") as file:
                    pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                pass  # the disk is full, or the value cannot be kept: still returned, just not shared
            return value
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def _compute(self, compute: Callable[[], Any]) -> Any:
        self.computed += 1
        return compute()

    def _prune(self, keep: Path) -> None:
        """Older data versions' results, once no process can still be reading them: a serving process notices a
        new data version within 2 s (dashboard_ui.state.data_version), so a folder untouched for a minute is not
        in use (removing it sooner would make a lagging process write it again, and prune the new one)."""
        now = time.time()
        for other in self.directory.iterdir():
            try:
                if other != keep and other.is_dir() and now - other.stat().st_mtime > PRUNE_AFTER_S:
                    shutil.rmtree(other, ignore_errors=True)
            except OSError:
                continue
