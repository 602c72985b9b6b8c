"""One visitor cannot lock out a room (issue 25, item 4): nginx (deploy/nginx.conf) in front of one Streamlit
process; a meeting room's 150 phones behind one address are all served, while a client holding 600 websockets from
another address (127.0.0.2) is cut off at 200 and a third address still gets its page and its websocket.

Run under `flock /tmp/kpi-heavy.lock` (hundreds of sockets and a server). Raw sockets, not a websocket library:
what is counted is nginx's answer to each upgrade (101, or 429 over the limit).
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from deploy import serve

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("KPI_SKIP_NGINX") == "1" or serve.nginx_binary() is None,
                                 reason="nginx is not installed (scripts/system-packages.sh installs it)")]

APP = "import streamlit as st\nst.write('room')\n"
PER_ADDRESS = 200  # deploy/nginx.conf: limit_conn per_address


def open_websocket(port: int, source: str) -> tuple[int, socket.socket | None]:
    """An upgrade to the app's websocket from `source`: (nginx's status, the open socket when 101)."""
    sock = socket.socket()
    sock.settimeout(30)
    sock.bind((source, 0))
    try:
        sock.connect(("127.0.0.1", port))
        sock.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    except OSError:
        sock.close()
        return 0, None  # reset or timed out: not served
    status = int(head.split()[1]) if head.startswith(b"HTTP/") else 0
    if status != 101:
        sock.close()
        return status, None
    return status, sock


def page_from(port: int, source: str) -> int:
    """GET / from `source` (a page of the app): its status."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    with sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        return int(sock.recv(1024).split()[1])


def many(port: int, source: str, n: int) -> list[tuple[int, socket.socket | None]]:
    with ThreadPoolExecutor(32) as pool:
        return list(pool.map(lambda _: open_websocket(port, source), range(n)))


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    app = tmp_path_factory.mktemp("room") / "room.py"
    app.write_text(APP, encoding="utf-8")
    with serve.served(1, script=app) as served:
        yield int(served.url.rsplit(":", 1)[1])


def test_a_full_room_behind_one_address_is_served(room):
    opened = many(room, "127.0.0.1", 150)
    try:
        assert [status for status, _ in opened] == [101] * 150
        assert page_from(room, "127.0.0.1") == 200
    finally:
        for _, sock in opened:
            if sock:
                sock.close()


def test_a_greedy_address_is_cut_off_at_its_limit_and_a_third_still_gets_its_page(room):
    greedy = many(room, "127.0.0.2", 600)
    try:
        statuses = [status for status, _ in greedy]
        assert statuses.count(101) == PER_ADDRESS, sorted(set(statuses))
        assert statuses.count(429) == 600 - PER_ADDRESS  # told at once, not left hanging
        # Someone else, while the 200 are held: the page and a websocket of their own.
        assert page_from(room, "127.0.0.3") == 200
        status, sock = open_websocket(room, "127.0.0.3")
        assert status == 101
        sock.close()
    finally:
        for _, sock in greedy:
            if sock:
                sock.close()
