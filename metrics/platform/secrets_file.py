"""The secrets file's problems (.streamlit/secrets.toml, or $KPI_SECRETS): one type, and the checks of the sections
the platform owns (local accounts, OIDC sign-in). The digest channels' check lives with the channels
(metrics/outputs/digest_channels.py); metrics/outputs/secrets_check.py reads the file once and runs every check.

A problem names its place (a TOML key path such as `local_users.li.role`) and says what is wrong; it never quotes
a secret (a password hash, a webhook, a cookie secret): only which key holds a bad one.
"""

from __future__ import annotations

import re

from metrics.core.i18n import LANGUAGES, t

HASH_FORMAT = re.compile(r"pbkdf2_sha256\$[1-9][0-9]{0,9}\$[0-9A-Za-z]+\$[0-9a-f]{64}")  # auth.hash_password's
LOGIN = re.compile(r"[0-9A-Za-z_@\-][0-9A-Za-z_@.\-]*")  # auth.add_local_account's rule for a login
OIDC_SHARED = ("redirect_uri", "cookie_secret")  # Streamlit's st.login: in [auth] itself
OIDC_PROVIDER = ("client_id", "client_secret", "server_metadata_url")  # in [auth] or in each [auth.<provider>]


class SecretsProblem(str):
    """One problem of the secrets file: where it is, a message key and its values. As a str, both languages at
    once (it is written to logs as well as shown); `text(lang)` in the reader's language."""

    def __new__(cls, where: str, key: str, /, **values):
        both = " / ".join(t(key, lang, **values) for lang in LANGUAGES)
        problem = super().__new__(cls, f"{where}: {both}")
        problem.where, problem.key, problem.values = where, key, values
        return problem

    def text(self, lang: str = "zh") -> str:
        return f"{self.where}: {t(self.key, lang, **self.values)}"


def account_problems(data: dict) -> list[SecretsProblem]:
    """[local_users.<login>]: a usable login, a role of auth.ROLES, a password hash as auth.hash_password writes it.
    Before: a bad role signed in as a viewer without a word, a hash with a non-number cost was a traceback at
    sign-in."""
    from metrics.platform.auth import ROLES

    section = data.get("local_users", {})
    if not isinstance(section, dict):
        return [SecretsProblem("local_users", "secrets_not_a_table")]
    problems = []
    for login, entry in section.items():
        where = f"local_users.{login}"
        if not LOGIN.fullmatch(login):
            problems.append(SecretsProblem(where, "secrets_bad_login"))
        if not isinstance(entry, dict):
            problems.append(SecretsProblem(where, "secrets_not_a_table"))
            continue
        if entry.get("role", "viewer") not in ROLES:
            problems.append(SecretsProblem(f"{where}.role", "secrets_bad_role", role=str(entry.get("role"))[:40],
                                           roles=", ".join(ROLES)))
        if not entry.get("password_hash"):
            problems.append(SecretsProblem(f"{where}.password_hash", "secrets_missing"))
        elif not HASH_FORMAT.fullmatch(str(entry["password_hash"])):  # the hash itself is not shown
            problems.append(SecretsProblem(f"{where}.password_hash", "secrets_bad_hash"))
    return problems


def oidc_problems(data: dict) -> list[SecretsProblem]:
    """[auth] (OIDC by st.login): redirect_uri and cookie_secret, and a provider's three settings in [auth] or in
    each [auth.<provider>] table."""
    section = data.get("auth")
    if section is None:
        return []
    if not isinstance(section, dict):
        return [SecretsProblem("auth", "secrets_not_a_table")]
    problems = [SecretsProblem(f"auth.{key}", "secrets_missing") for key in OIDC_SHARED if not section.get(key)]
    redirect = section.get("redirect_uri")
    if redirect and not (str(redirect).startswith(("https://", "http://")) and str(redirect).endswith("/oauth2callback")):
        problems.append(SecretsProblem("auth.redirect_uri", "secrets_bad_redirect", value=str(redirect)[:200]))
    providers = {name: entry for name, entry in section.items() if isinstance(entry, dict)}
    places = {f"auth.{name}": entry for name, entry in providers.items()} or {"auth": section}
    for where, entry in places.items():
        problems += [SecretsProblem(f"{where}.{key}", "secrets_missing") for key in OIDC_PROVIDER if not entry.get(key)]
    return problems
