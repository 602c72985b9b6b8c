"""Sending to a channel (a webhook robot over HTTP(S), a mail server over SMTP), bounded and contained.

Each send has one overall deadline (HTTP_TIMEOUT), whatever the server does: connecting, then every read, is cut
when it passes. A webhook's redirect is refused, never followed. Every answer is returned as text for the
digest's log (`digest_sends`), which the data page shows to administrators only: it may name recipients.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage

HTTP_TIMEOUT = 15  # seconds for a whole send


class _Deadline:
    """One overall deadline for a send (HTTP_TIMEOUT): when it passes, the send's socket is shut down, so a server
    trickling a byte every few seconds (each within the per-read timeout) cannot stretch a 15 s send to a minute."""

    def __init__(self, seconds: float):
        self.seconds, self.expired, self._sockets = seconds, False, []
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def watch(self, current_socket: Callable[[], socket.socket | None]) -> None:
        self._sockets.append(current_socket)  # a callable: STARTTLS and https replace the socket object

    def _cut(self) -> None:
        self.expired = True
        for current in self._sockets:
            try:
                sock = current()
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _watched(base, deadline: _Deadline):
    class Watched(base):
        def connect(self):
            deadline.watch(lambda: self.sock)
            super().connect()
    return Watched


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot's webhook answers itself; a redirect is refused (ends in HTTPError 30x), never followed: following one
    sent the digest to, and stored the answer of, whatever internal address the redirect named (issue 25)."""

    def redirect_request(self, *args, **kwargs):
        return None


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_watched(http.client.HTTPConnection, deadline), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_watched(http.client.HTTPSConnection, deadline), req, context=self._context)

    # The standard proxy handlers stay (an office's http_proxy); the redirect and connection handlers are ours.
    return urllib.request.build_opener(_NoRedirect, Http, Https(context=ssl.create_default_context()))


def post_json(url: str, payload: dict) -> tuple[bool, str]:
    """POST the payload; (ok, answer). Both robots answer HTTP 200 with {"errcode": 0} on success."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with _Deadline(HTTP_TIMEOUT) as deadline:
        try:
            with _opener(deadline).open(request, timeout=HTTP_TIMEOUT) as response:
                body = response.read(4096).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                return False, f"no answer within {HTTP_TIMEOUT} s"
            return False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    if deadline.expired:
        return False, f"no answer within {HTTP_TIMEOUT} s"
    try:
        ok = json.loads(body).get("errcode") == 0
    except (ValueError, AttributeError):
        ok = False
    return ok, body[:500]


def send_email(message: EmailMessage, config: dict) -> tuple[bool, str]:
    host, port = config["host"], int(config["port"])
    security = config.get("security", "starttls")
    deadline = _Deadline(HTTP_TIMEOUT)
    try:
        # The server's certificate is always verified; `cafile` adds the CA of an office's own mail server.
        context = ssl.create_default_context(cafile=config.get("cafile")) if security != "none" else None
        with deadline:  # the connection's own timeout bounds connecting; the deadline bounds the whole send
            # Made unconnected, watched, then connected: the greeting is read while connecting, and a server
            # trickling it must meet the deadline too.
            server = (smtplib.SMTP_SSL(timeout=HTTP_TIMEOUT, context=context) if security == "ssl"
                      else smtplib.SMTP(timeout=HTTP_TIMEOUT))
            deadline.watch(lambda: getattr(server, "sock", None))
            server._host = host  # what the constructor would have set: the name TLS checks the certificate for
            server.connect(host, port)
            with server:
                if security == "starttls":
                    server.starttls(context=context)
                if config.get("user"):
                    server.login(config["user"], config.get("password", ""))
                refused = server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        if deadline.expired:
            return False, f"no answer within {HTTP_TIMEOUT} s"
        # The answer may name refused recipients' addresses: stored, and shown to administrators only.
        return False, f"{type(exc).__name__}: {exc}"[:500]
    if refused:
        return False, f"{len(refused)} recipient(s) refused"
    return True, f"250 accepted for {len(config['recipients'])} recipient(s)"
