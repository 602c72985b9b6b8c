"""Sending the digest to hostile servers (issue 25, item 6), all on 127.0.0.1: a webhook that redirects to an
internal address, a server that trickles its answer, a mail server that trickles, a mail server that refuses the
recipients (their addresses are kept for administrators)."""

from __future__ import annotations

import socket
import threading
import time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics.outputs import transport


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # Polled every 0.05 s, not serve_forever's 0.5 s: shutdown() waits for the next poll (~0.45 s a test).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def internal():
    """An internal service the robot's redirect points at: it must never be asked."""
    asked = []

    class Handler(Quiet):
        def do_GET(self):  # noqa: N802
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0,"secret":"internal"}')

        do_POST = do_GET  # noqa: N815

    server = serve(Handler)
    yield f"http://127.0.0.1:{server.server_address[1]}/admin", asked
    server.shutdown()


def test_a_webhook_that_redirects_is_refused_not_followed(internal):
    target, asked = internal

    class Redirect(Quiet):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)  # urllib follows a 302 after a POST with a GET, and took its answer
            self.send_header("Location", target)
            self.end_headers()

    robot = serve(Redirect)
    ok, answer = transport.post_json(f"http://127.0.0.1:{robot.server_address[1]}/send", {"msgtype": "markdown"})
    robot.shutdown()
    assert (ok, answer) == (False, "HTTP 302 Found")
    assert asked == []  # the internal service never heard of it, and its answer was never stored


# The trickling servers send a byte every 0.12 s against a deadline (and per-read timeout) of 0.6 s: each read is
# well within its timeout, so only the one deadline for the whole send can end it; without it the webhook's answer
# would arrive whole after 64 x 0.12 = 7.7 s and the mail server's greeting after 50 x 0.12 = 6.0 s.
TRICKLE_DEADLINE, TRICKLE_EVERY = 0.6, 0.12


def test_a_trickling_webhook_is_cut_at_one_deadline_for_the_whole_send(monkeypatch):
    monkeypatch.setattr(transport, "HTTP_TIMEOUT", TRICKLE_DEADLINE)

    class Trickle(Quiet):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"errcode\":0}":
                    self.wfile.write(bytes([byte]))  # one byte at a time: each read well within its timeout
                    self.wfile.flush()
                    time.sleep(TRICKLE_EVERY)
            except OSError:
                pass

    robot = serve(Trickle)
    started = time.monotonic()
    ok, answer = transport.post_json(f"http://127.0.0.1:{robot.server_address[1]}/send", {})
    took = time.monotonic() - started
    robot.shutdown()
    # 64 bytes at 0.12 s would take 7.7 s; the send ends at its 0.6 s deadline.
    assert (ok, answer) == (False, "no answer within 0.6 s")
    assert took < 3.0, took


def smtp_server(script):
    """A mail server on 127.0.0.1 that runs `script(connection)`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def run():
        connection, _ = listener.accept()
        with connection:
            try:
                script(connection)
            except OSError:
                pass

    threading.Thread(target=run, daemon=True).start()
    return listener


def message() -> EmailMessage:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "digest", "kpi@county.example", "a@county.example, b@county.example"
    m.set_content("text")
    return m


def test_a_trickling_mail_server_is_cut_at_the_deadline(monkeypatch):
    monkeypatch.setattr(transport, "HTTP_TIMEOUT", TRICKLE_DEADLINE)

    def trickle(connection):
        for byte in b"220 slow.example ESMTP ready, very slowly indeed\r\n":
            connection.sendall(bytes([byte]))
            time.sleep(TRICKLE_EVERY)

    listener = smtp_server(trickle)
    started = time.monotonic()
    ok, answer = transport.send_email(message(), {"host": "127.0.0.1", "port": listener.getsockname()[1],
                                                   "security": "none", "recipients": ["a@county.example"]})
    took = time.monotonic() - started
    listener.close()
    assert (ok, answer) == (False, "no answer within 0.6 s")
    assert took < 3.0, took
