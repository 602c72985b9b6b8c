"""The digest's channels: one table, name -> what its [digest.<name>] table in the secrets file must hold and how
a stored digest is sent there. Adding a channel is one `Channel` row here (its sender and its settings' check)
and its name `digest_channel_<name>` in every catalogue; the sender (metrics/outputs/digest.py), the secrets
file's validator (metrics/outputs/secrets_check.py) and the admin's channel form read the table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from metrics.core.i18n import t
from metrics.outputs import transport
from metrics.platform.secrets_file import SecretsProblem

WECOM_MAX_BYTES = 4096  # 企业微信 refuses a markdown message longer than this
EMAIL_SECURITY = ("starttls", "ssl", "none")


def dingtalk_url(webhook: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The webhook with 钉钉's signature: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in webhook else "?"
    return f"{webhook}{joiner}timestamp={timestamp}&sign={sign}"


def wecom_payload(markdown: str) -> dict:
    content = markdown
    if len(content.encode("utf-8")) > WECOM_MAX_BYTES:  # cut at a character boundary, and say so
        suffix = "\n\n" + t("digest_cut_short", "zh")  # 企业微信 is read in Chinese
        budget_bytes = WECOM_MAX_BYTES - len(suffix.encode("utf-8"))
        content = content.encode("utf-8")[:budget_bytes].decode("utf-8", "ignore") + suffix
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_payload(title: str, markdown: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}


def email_message(record: dict, config: dict, pdf: bytes | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = record["subject"]
    message["From"] = config.get("sender") or config.get("user") or "kpi-dashboard@localhost"
    message["To"] = ", ".join(config["recipients"])
    message.set_content(record["text"])
    message.add_alternative(record["html"], subtype="html")
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf",
                               filename=f"briefing-{record['as_of']:%Y-%m-%d}.pdf")
    return message


def _send_wecom(record: dict, settings: dict, pdf: bytes | None) -> tuple[bool, str]:
    return transport.post_json(settings["webhook"], wecom_payload(record["markdown"]))


def _send_dingtalk(record: dict, settings: dict, pdf: bytes | None) -> tuple[bool, str]:
    return transport.post_json(dingtalk_url(settings["webhook"], settings["secret"]),
                               dingtalk_payload(record["subject"], record["markdown"]))


def _send_email(record: dict, settings: dict, pdf: bytes | None) -> tuple[bool, str]:
    return transport.send_email(email_message(record, settings, pdf), settings)


def _webhook_problems(where: str, entry: dict) -> list[SecretsProblem]:
    if "webhook" in entry and not str(entry["webhook"]).startswith(("https://", "http://")):
        return [SecretsProblem(f"{where}.webhook", "digest_problem_not_url")]  # the webhook itself is a secret
    return []


def _email_problems(where: str, entry: dict) -> list[SecretsProblem]:
    if entry.get("security", "starttls") not in EMAIL_SECURITY:
        return [SecretsProblem(f"{where}.security", "digest_problem_security")]
    return []


@dataclass(frozen=True)
class Field:
    """One setting of a channel as the admin's form asks for it (dashboard_ui/digest_panel.py)."""
    key: str  # its key in [digest.<channel>]
    label_key: str  # its label in the catalogues
    kind: str = "text"  # text, secret (never shown again), port, choice (of `choices`), lines (one per line)
    choices: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return t(self.label_key, lang)


WEBHOOK = Field("webhook", "digest_panel_webhook", "secret")


@dataclass(frozen=True)
class Channel:
    name: str
    required: tuple[str, ...]  # keys its [digest.<name>] table must fill
    send: Callable[[dict, dict, bytes | None], tuple[bool, str]]  # (stored digest, settings, briefing PDF) -> (ok, answer)
    check: Callable[[str, dict], list[SecretsProblem]]  # the settings' own rules, beyond the required keys
    fields: tuple[Field, ...] = ()  # what the admin's form asks for, in order
    attaches_briefing: bool = False  # sent with the briefing PDF when the digest asks for it


CHANNELS: dict[str, Channel] = {c.name: c for c in (
    Channel("wecom", ("webhook",), _send_wecom, _webhook_problems, (WEBHOOK,)),
    Channel("dingtalk", ("webhook", "secret"), _send_dingtalk, _webhook_problems,
            (WEBHOOK, Field("secret", "digest_panel_signing_secret", "secret"))),
    Channel("email", ("host", "port", "recipients"), _send_email, _email_problems,
            (Field("host", "digest_panel_smtp_host"), Field("port", "digest_panel_port", "port"),
             Field("security", "digest_panel_security", "choice", ("ssl", "starttls", "none")),
             Field("user", "digest_panel_user"), Field("password", "login_password", "secret"),
             Field("sender", "digest_panel_sender"), Field("recipients", "digest_panel_recipients", "lines")),
            attaches_briefing=True),
)}


def channel_problems(data: dict) -> list[SecretsProblem]:
    """Every problem of a parsed secrets file's [digest.*] tables, at once."""
    raw = data.get("digest", {})
    if not isinstance(raw, dict):
        return [SecretsProblem("digest", "secrets_not_a_table")]
    problems = [SecretsProblem(f"digest.{name}", "digest_problem_unknown_channel", known=", ".join(CHANNELS))
                for name in raw if name not in CHANNELS]
    for name, channel in CHANNELS.items():
        entry, where = raw.get(name), f"digest.{name}"
        if entry is None:
            continue
        if not isinstance(entry, dict):
            problems.append(SecretsProblem(where, "secrets_not_a_table"))
            continue
        problems += [SecretsProblem(f"{where}.{key}", "secrets_missing")
                     for key in channel.required if not entry.get(key)]
        problems += channel.check(where, entry)
    return problems
