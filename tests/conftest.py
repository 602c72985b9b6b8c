"""Shared fixtures: a fresh database per test in tmp_path and a fixed hashing key."""

from __future__ import annotations

import pytest

from metrics import store

from .ledgers import TEST_KEY


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch):
    monkeypatch.setenv("KPI_HASH_KEY", TEST_KEY)


@pytest.fixture
def con(tmp_path):
    connection = store.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()
