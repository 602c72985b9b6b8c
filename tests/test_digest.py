"""The digest against a local HTTP server (企业微信 and 钉钉 robots) and a local SMTP server, both on 127.0.0.1.

The fixture county: two training sessions and three attendances (with ID numbers, phones and names, which must
never leave), later one payment. Status changes by hand (default county.toml, start 2022-10-01):
- at 2023-02-01 no trainee yet: the conversion rate has no denominator -> 暂无数据;
  at 2023-03-31 two trainees, none converted: 0 / 2 = 0.0 % < 0.7 x 2 % -> 进度滞后.
- person-times: 0 at 2023-02-01 and 3 at 2023-03-31; expected 4000 x 181/761 = 951 -> behind both times: no change.
- budget execution after the 10 万元 payment: 10 / 500 = 2.0 %; expected 1.0 x 181/761 = 23.8 %; 2.0 < 0.7 x 23.8
  -> 进度滞后 (it was 暂无数据 with no payment at all).
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from metrics import __main__ as cli
from metrics.load import ingest
from metrics.outputs import digest
from metrics.platform import store

from .ledgers import csv_bytes

AS_OF = dt.date(2023, 3, 31)
SECRET = "SECtest-dingtalk-secret"
ID_NUMBERS = ("654321199001011234", "65432119850505432X")
PHONES = ("13800001111", "13912345678")
NAMES = ("阿依古丽", "巴特尔")
SESSIONS = """场次编号,培训日期,乡镇,培训主题,培训形式
S1,2023-03-01,禾木,直播带货,线下
S2,2023-03-05,冲乎尔,网店运营,线下
"""
ATTENDANCE = f"""场次编号,身份证号,姓名,手机号
S1,{ID_NUMBERS[0]},{NAMES[0]},{PHONES[0]}
S1,{ID_NUMBERS[1]},{NAMES[1]},{PHONES[1]}
S2,{ID_NUMBERS[0]},{NAMES[0]},{PHONES[0]}
"""
PAYMENT = """凭证号,支付日期,预算科目,金额（万元）,收款单位,拨付阶段
PZ1,2023-03-10,1.1,10,新疆某电商运营公司,预拨
"""


# ------------------------------------------------------------------------------------------ local servers

class Robot(ThreadingHTTPServer):
    """A webhook robot: records each POST (path with query, JSON body) and answers from a queue, else errcode 0."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RobotHandler)
        self.requests: list[tuple[str, dict]] = []
        self.answers: list[tuple[int, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send?key=abc"


class RobotHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, json.loads(body.decode("utf-8"))))
        status, answer = self.server.answers.pop(0) if self.server.answers else (200, '{"errcode":0,"errmsg":"ok"}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Just enough SMTP (RFC 5321) for smtplib: records each message's envelope and bytes, and whether it came
    over TLS (`tls`: None, "starttls" or "ssl", with the server's certificate in `context`)."""

    allow_reuse_address = True

    def __init__(self, tls: str | None = None, context=None):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.messages: list[tuple[list[str], bytes]] = []
        self.tls, self.context, self.encrypted = tls, context, []


class SMTPHandler(socketserver.StreamRequestHandler):
    def _wrap(self):
        self.request = self.server.context.wrap_socket(self.request, server_side=True)
        self.rfile, self.wfile = self.request.makefile("rb"), self.request.makefile("wb", buffering=0)

    def handle(self):
        if self.server.tls == "ssl":
            self._wrap()
        self.wfile.write(b"220 127.0.0.1 fake ESMTP\r\n")
        recipients, data, in_data = [], [], False
        while line := self.rfile.readline():
            if in_data:
                if line == b".\r\n":
                    self.server.messages.append((recipients, b"".join(data)))
                    self.server.encrypted.append(hasattr(self.request, "cipher"))
                    recipients, data, in_data = [], [], False
                    self.wfile.write(b"250 2.0.0 queued\r\n")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"RCPT":
                recipients.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
            if verb == b"EHLO" and self.server.tls == "starttls" and not hasattr(self.request, "cipher"):
                self.wfile.write(b"250-127.0.0.1\r\n250 STARTTLS\r\n")
            elif verb == b"STAR":
                self.wfile.write(b"220 go ahead\r\n")
                self._wrap()
            elif verb == b"DATA":
                in_data = True
                self.wfile.write(b"354 end with .\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def servers():
    wecom, dingtalk, smtp = Robot(), Robot(), FakeSMTP()
    # Polled every 0.05 s, not serve_forever's 0.5 s: each shutdown() below waits for its server's next poll.
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
               for s in (wecom, dingtalk, smtp)]
    for thread in threads:
        thread.start()
    yield wecom, dingtalk, smtp
    for server in (wecom, dingtalk, smtp):
        server.shutdown()
        server.server_close()


def channels_for(wecom, dingtalk, smtp) -> dict:
    return {"wecom": {"webhook": wecom.url}, "dingtalk": {"webhook": dingtalk.url, "secret": SECRET},
            "email": {"host": "127.0.0.1", "port": smtp.server_address[1], "security": "none",
                      "sender": "kpi@county.example", "recipients": ["leader@county.example", "office@county.example"]}}


@pytest.fixture
def county(ledgers_db):
    return ledgers_db((("场次.csv", SESSIONS), ("签到.csv", ATTENDANCE)), "county.duckdb", user="clerk1")


def load_payment(db):
    con = store.connect(db)
    result = ingest.ingest_files(con, [("支出.csv", csv_bytes(PAYMENT))], user="finance2@county.example")
    assert result.committed, [e.as_text() for e in result.errors]
    con.close()


def sends(db) -> list[tuple]:
    con = store.connect(db, read_only=True)
    try:
        return con.execute("SELECT digest_id, channel, ok FROM digest_sends ORDER BY attempted_at, channel").fetchall()
    finally:
        con.close()


def expected_sign(timestamp: str) -> str:
    mac = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def assert_no_personal_data(blob: str) -> None:
    # File names and the e-mail domain of an OIDC login stay home too.
    for secret in (*ID_NUMBERS, *PHONES, *NAMES, "场次.csv", "签到.csv", "支出.csv", "finance2@county.example"):
        assert secret not in blob


# ------------------------------------------------------------------------------------------------- tests

def test_digest_reaches_each_channel_retries_the_refused_one_and_never_sends_twice(county, servers):
    wecom, dingtalk, smtp = servers
    channels = channels_for(wecom, dingtalk, smtp)
    dingtalk.answers = [(500, "refused")]  # the 钉钉 robot refuses the first request

    first = digest.run(county, dt.date(2023, 2, 1), AS_OF, "zh", channels=channels)

    record_md = first.composed.markdown()
    # 企业微信: exactly one markdown message carrying the digest.
    assert wecom.requests == [("/send?key=abc", {"msgtype": "markdown", "markdown": {"content": record_md}})]
    lines = record_md.splitlines()
    assert "- 培训创业就业转化率：暂无数据 → 进度滞后（当前 0.0%）" in lines
    assert [line for line in lines if "→" in line] == ["- 培训创业就业转化率：暂无数据 → 进度滞后（当前 0.0%）"]
    assert sum(line.startswith("- 培训场次：新增 2 行，替换 0 行（clerk1，") for line in lines) == 1
    assert sum(line.startswith("- 培训签到：新增 3 行，替换 0 行（clerk1，") for line in lines) == 1
    assert "- 本期支付 0.0 万元；累计 0.0 / 500.0 万元（0.0%）" in lines
    # 钉钉: the signature verifies with the secret; the refusal is recorded and reported.
    path, payload = dingtalk.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["key"] == ["abc"]
    assert query["sign"] == [expected_sign(query["timestamp"][0])]
    assert abs(int(query["timestamp"][0]) / 1000 - dt.datetime.now().timestamp()) < 60
    assert payload == {"msgtype": "markdown", "markdown": {"title": first.composed.subject, "text": record_md}}
    assert [(c, ok) for _, c, ok, _ in first.sent] == [("wecom", True), ("dingtalk", False), ("email", True)]
    assert first.failed[0][3] == "HTTP 500 Internal Server Error"
    # E-mail: plain text and HTML alternatives of the same digest, to both recipients, no attachment unasked.
    envelope, raw = smtp.messages[0]
    assert envelope == ["leader@county.example", "office@county.example"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == first.composed.subject
    assert message.get_body(("plain",)).get_content().rstrip("\n") == first.composed.text()
    assert message.get_body(("html",)).get_content().rstrip("\n") == first.composed.html()
    assert "<li>培训创业就业转化率：暂无数据 → 进度滞后（当前 0.0%）</li>" in first.composed.html()
    assert list(message.iter_attachments()) == []

    # Second run, nothing new: only the refused 钉钉 message is retried, with the same content.
    second = digest.run(county, None, AS_OF, "zh", channels=channels)
    assert second.nothing_new
    assert [(d, c, ok) for d, c, ok, _ in second.sent] == [(1, "dingtalk", True)]
    assert dingtalk.requests[1][1] == payload
    assert len(wecom.requests) == 1 and len(smtp.messages) == 1

    # Third run: nothing pending, nothing new: nothing sent.
    third = digest.run(county, None, AS_OF, "zh", channels=channels)
    assert third.sent == [] and third.nothing_new
    # Asking again for the same period recomposes the same changes: each channel had them already.
    again = digest.run(county, dt.date(2023, 2, 1), AS_OF, "zh", channels=channels)
    assert again.sent == [] and sorted(c for c, _ in again.skipped) == ["dingtalk", "email", "wecom"]
    assert (len(wecom.requests), len(dingtalk.requests), len(smtp.messages)) == (1, 2, 1)
    assert sends(county) == [(1, "wecom", True), (1, "dingtalk", False), (1, "email", True), (1, "dingtalk", True)]

    # A payment: the next digest reports it, with the budget KPI's change, and attaches the briefing when asked.
    load_payment(county)
    fourth = digest.run(county, None, AS_OF, "zh", attach_briefing=True, channels=channels,
                        briefing_pdf=lambda as_of, lang: b"%PDF-1.4 briefing " + str(as_of).encode())
    md = fourth.composed.markdown().splitlines()
    assert [line for line in md if "→" in line] == ["- 资金执行率：暂无数据 → 进度滞后（当前 2.0%）"]
    assert "- 本期支付 10.0 万元；累计 10.0 / 500.0 万元（2.0%）" in md
    assert [line for line in md if "新增" in line][0].startswith("- 资金支出：新增 1 行，替换 0 行（finance2，")
    assert not any("培训签到" in line for line in md)  # loads already reported are not repeated
    assert [(d, c, ok) for d, c, ok, _ in fourth.sent] == [(2, "wecom", True), (2, "dingtalk", True), (2, "email", True)]
    attachment = list(email.message_from_bytes(smtp.messages[1][1], policy=email.policy.default).iter_attachments())
    assert [(a.get_content_type(), a.get_filename(), a.get_content()) for a in attachment] == [
        ("application/pdf", "briefing-2023-03-31.pdf", b"%PDF-1.4 briefing 2023-03-31")]

    # No personal data anywhere: what the servers received, and what the database keeps of the digests.
    blob = json.dumps([wecom.requests, dingtalk.requests], ensure_ascii=False)
    blob += "".join(raw.decode("utf-8", "replace") for _, raw in smtp.messages)
    con = store.connect(county, read_only=True)
    blob += json.dumps(con.execute("SELECT * FROM digests").fetchall(), ensure_ascii=False, default=str)
    con.close()
    assert_no_personal_data(blob)
    for message in smtp.messages:  # the e-mail parts are encoded: check them decoded too
        parsed = email.message_from_bytes(message[1], policy=email.policy.default)
        assert_no_personal_data(parsed.get_body(("plain",)).get_content() + parsed.get_body(("html",)).get_content())


def test_dingtalk_signature_matches_the_documented_example_shape():
    # The sign is computed on "<timestamp>\n<secret>" with the secret as the HMAC key, base64'd, then URL-encoded:
    # base64 may hold '+', '/' and '=', which must arrive percent-encoded.
    url = digest.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", SECRET, 1700000000000)
    sign = expected_sign("1700000000000")
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign="
                   + urllib.parse.quote_plus(sign))


def test_wecom_markdown_is_cut_to_its_limit_on_a_character_boundary():
    payload = digest.wecom_payload("指" * 3000)  # 9,000 bytes of UTF-8
    content = payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= digest.WECOM_MAX_BYTES
    assert content.endswith("（内容过长已截断，完整内容见看板）")


def test_cli_prints_without_sending_and_sends_with_the_secrets_file(county, servers, tmp_path, monkeypatch, capsys):
    wecom, dingtalk, smtp = servers
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[digest.wecom]\nwebhook = "{wecom.url}"\n', encoding="utf-8")
    monkeypatch.setenv("KPI_SECRETS", str(secrets))
    args = ["--db", str(county), "digest", "--since", "2023-02-01", "--as-of", "2023-03-31"]
    assert cli.main(args + ["--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "  · Training conversion rate: No data → Behind (now 0.0%)" in printed.splitlines()
    assert wecom.requests == [] and sends(county) == []  # printing sends and records nothing
    assert cli.main(args + ["--send"]) == 0
    assert len(wecom.requests) == 1 and sends(county) == [(1, "wecom", True)]
    assert "#1 企业微信：已送达" in capsys.readouterr().out


def test_cli_names_every_bad_channel_setting(county, tmp_path, monkeypatch, capsys):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[digest.dingtalk]\nwebhook = "ftp://x"\n[digest.sms]\nx = 1\n', encoding="utf-8")
    monkeypatch.setenv("KPI_SECRETS", str(secrets))
    assert cli.main(["--db", str(county), "digest", "--send"]) == 1
    err = capsys.readouterr().err
    # Refused before the command runs, by the secrets file's validator, in the reader's language (issue 27).
    assert "digest.sms: 未知渠道（可用：wecom, dingtalk, email）" in err
    assert "digest.dingtalk.secret: 缺少" in err and "missing" not in err
    assert "digest.dingtalk.webhook: 应为 http(s) 地址" in err


def test_the_data_page_shows_the_last_digests_and_admins_see_the_channels(county, servers, tmp_path, monkeypatch):
    import time as time_module
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from metrics.platform.auth import ANONYMOUS, User

    wecom, dingtalk, smtp = servers
    dingtalk.answers = [(200, '{"errcode":310000,"errmsg":"sign not match"}')]  # 钉钉 answers 200 with an error
    channels = {"wecom": {"webhook": wecom.url}, "dingtalk": {"webhook": dingtalk.url, "secret": SECRET}}
    digest.run(county, dt.date(2023, 2, 1), AS_OF, "zh", channels=channels)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[digest.wecom]\nwebhook = "{wecom.url}"\n', encoding="utf-8")
    monkeypatch.setenv("KPI_DB", str(county))
    monkeypatch.setenv("KPI_SECRETS", str(secrets))
    root = Path(__file__).resolve().parent.parent

    def page(user):
        at = AppTest.from_file(str(root / "dashboard.py"), default_timeout=90)
        at.session_state["as_of"] = AS_OF
        at.session_state["user"] = user
        at.session_state["user_seen"] = time_module.time()
        at.run()
        at.switch_page("pages/data_import.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    viewer = page(ANONYMOUS)
    table = next(df.value for df in viewer.dataframe if "渠道" in df.value.columns)
    assert sorted(zip(table["渠道"], table["结果"])) == [("企业微信", "已送达"), ("钉钉", "失败，下次重试")]
    assert "对方应答" not in table.columns  # a channel's answer may name recipients: administrators only
    assert not any("已配置的渠道" in c.value for c in viewer.caption)  # configuration is for admins
    admin = page(User("root", "管理员", "admin", "local"))
    table = next(df.value for df in admin.dataframe if "渠道" in df.value.columns)
    assert "sign not match" in " ".join(table["对方应答"])
    configured = [c.value for c in admin.caption if "已配置的渠道" in c.value]
    assert configured and configured[0].startswith("已配置的渠道：企业微信。")
    assert not any("key=abc" in c.value for c in admin.caption)  # the webhook's key is a secret


def test_only_admins_configure_a_channel_and_a_bad_one_changes_nothing(tmp_path, monkeypatch):
    from metrics import actions
    from metrics.platform.auth import ANONYMOUS, PermissionDenied, User

    secrets = tmp_path / "secrets.toml"
    original = '[local_users.li]\nname = "李"\nrole = "admin"\npassword_hash = "x"\n'
    secrets.write_text(original, encoding="utf-8")
    monkeypatch.setenv("KPI_SECRETS", str(secrets))
    with pytest.raises(PermissionDenied):
        actions.configure_digest_channel(User("ed", "编辑", "editor", "local"), "wecom", {"webhook": "https://x"})
    with pytest.raises(PermissionDenied):
        actions.configure_digest_channel(ANONYMOUS, "wecom", {"webhook": "https://x"})
    admin = User("li", "李", "admin", "local")
    with pytest.raises(digest.DigestConfigError) as exc:
        actions.configure_digest_channel(admin, "dingtalk", {"webhook": "ftp://x", "secret": ""})
    assert exc.value.problems == ["digest.dingtalk.secret: 缺少 / missing",
                                  "digest.dingtalk.webhook: 应为 http(s) 地址 / must be an http(s) URL"]
    assert secrets.read_text(encoding="utf-8") == original  # nothing changed
    actions.configure_digest_channel(admin, "dingtalk", {"webhook": "https://oapi.dingtalk.com/robot/send?a=1",
                                                         "secret": 'SEC"q\\'})
    assert digest.load_channels()["dingtalk"]["secret"] == 'SEC"q\\'  # quotes and backslashes survive TOML
    actions.configure_digest_channel(admin, "email", {"host": "smtp.x", "port": 465, "security": "ssl",
                                                      "recipients": ["a@x", "b@x"]})
    actions.configure_digest_channel(admin, "dingtalk", {"webhook": "https://oapi.dingtalk.com/robot/send?a=2",
                                                         "secret": "SEC2"})  # replaces, not duplicates
    assert digest.load_channels() == {
        "dingtalk": {"webhook": "https://oapi.dingtalk.com/robot/send?a=2", "secret": "SEC2"},
        "email": {"host": "smtp.x", "port": 465, "security": "ssl", "recipients": ["a@x", "b@x"]}}
    assert "[local_users.li]" in secrets.read_text(encoding="utf-8")  # the accounts are kept


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, for the local SMTP server, and an SSL context serving it."""
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_verifies_the_servers_certificate(county, tmp_path, security):
    cert, context = self_signed(tmp_path)
    smtp = FakeSMTP(security, context)
    threading.Thread(target=smtp.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        email_channel = {"host": "127.0.0.1", "port": smtp.server_address[1], "security": security,
                         "recipients": ["leader@county.example"]}
        # Without the office's CA the self-signed certificate is refused: recorded as failed, nothing delivered.
        first = digest.run(county, dt.date(2023, 2, 1), AS_OF, "zh", channels={"email": email_channel})
        assert [(c, ok) for _, c, ok, _ in first.sent] == [("email", False)]
        assert "CERTIFICATE_VERIFY_FAILED" in first.sent[0][3] and smtp.messages == []
        # With it (cafile), the retry goes through, encrypted.
        second = digest.run(county, None, AS_OF, "zh", channels={"email": {**email_channel, "cafile": str(cert)}})
        assert [(d, c, ok) for d, c, ok, _ in second.sent] == [(1, "email", True)]
        assert smtp.encrypted == [True]
        message = email.message_from_bytes(smtp.messages[0][1], policy=email.policy.default)
        assert message["Subject"] == first.composed.subject
    finally:
        smtp.shutdown()
        smtp.server_close()


@pytest.mark.parametrize("write", ["channel", "account"])
def test_the_secrets_file_and_its_temporaries_are_never_readable_by_others(tmp_path, monkeypatch, write):
    """Both writers of the secrets file (a digest channel, an account) go through auth.update_secrets. With a
    permissive umask, every file in the folder is looked at whenever the new text is read back and when it is put
    in place: none may ever be readable or writable by group or others (password hashes, webhook secrets)."""
    import os
    import stat
    import tomllib

    from metrics.platform import auth

    secrets = tmp_path / "secrets.toml"
    fd = os.open(secrets, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'[local_users.li]\nname = "li"\nrole = "admin"\npassword_hash = "x"\n')
    os.close(fd)
    seen = []

    def look(moment):
        for f in tmp_path.iterdir():
            seen.append((moment, f.name, stat.S_IMODE(f.stat().st_mode)))

    real_loads, real_replace = tomllib.loads, os.replace
    monkeypatch.setattr(tomllib, "loads", lambda *a, **k: (look("read back"), real_loads(*a, **k))[1])
    monkeypatch.setattr(os, "replace", lambda *a, **k: (look("replace"), real_replace(*a, **k))[1])
    old_umask = os.umask(0o022)
    try:
        if write == "channel":
            digest.write_channel("dingtalk", {"webhook": "https://oapi.dingtalk.com/robot/send?a=1",
                                              "secret": "SEC-top"}, secrets)
        else:
            auth.add_local_account("bob", "pw-long-enough", "viewer", path=secrets)
    finally:
        os.umask(old_umask)
    look("after")
    assert {m for m, _, _ in seen} == {"read back", "replace", "after"}
    assert any(name != "secrets.toml" for m, name, _ in seen if m == "replace")  # the temporary was looked at
    exposed = [(m, name, oct(mode)) for m, name, mode in seen if mode & 0o077]
    assert exposed == []
    assert [f.name for f in tmp_path.iterdir()] == ["secrets.toml"]  # no temporary left behind
    data = real_loads(secrets.read_text(encoding="utf-8"))
    assert "li" in data["local_users"]  # the rest of the file is kept


def test_upcoming_deadlines_follow_the_status_rule(con):
    """The digest lists a deadline while it is still open: the day before, not on the day (kpis.md: on the
    deadline day the period is over, the status module's one rule)."""
    from metrics.kpi.scorecard import scorecard

    def listed(as_of):
        names = {d["name"] for d in digest._deadlines(con, scorecard(con, as_of, with_forecast=False), as_of, "zh")}
        return "电商培训人次" in names

    assert listed(dt.date(2024, 10, 30))  # one day left
    assert not listed(dt.date(2024, 10, 31))  # the deadline day: over, missed, no longer "upcoming"
