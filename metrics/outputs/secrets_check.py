"""The secrets file's one validator: read once when the dashboard or the command line starts, every problem of
every section listed at once in the reader's language, before any page or command runs (as data/county.toml's
problems are, metrics/core/config.py).

Each section's rules live with the code that uses the section; SECTIONS lists them, so a new section (a new digest
channel, a new sign-in method) is checked by adding its rule here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.outputs.digest_channels import channel_problems
from metrics.platform.auth import secrets_path
from metrics.platform.secrets_file import SecretsProblem, account_problems, oidc_problems

MAX_BYTES = 1_000_000  # a secrets file is a few kB; a larger one is refused unread (untrusted input, bounded)

SECTIONS: tuple[tuple[str, Callable[[dict], list[SecretsProblem]]], ...] = (
    ("local_users", account_problems),  # local accounts (metrics/platform/auth.py)
    ("auth", oidc_problems),  # OIDC sign-in (st.login)
    ("digest", channel_problems),  # digest channels (metrics/outputs/digest_channels.py)
)


class SecretsError(DashboardError):
    """The secrets file is unusable; `problems` lists every reason (SecretsProblem)."""

    code = "secrets_problems"

    def __init__(self, path: Path, problems: list[SecretsProblem]):
        super().__init__(path=path)
        self.path, self.problems = path, problems

    def problem_texts(self, lang: str = "zh") -> list[str]:
        return [p.text(lang) for p in self.problems]

    def message(self, lang: str = "zh") -> str:
        """The heading, then one problem a line (as the command line prints it)."""
        return "\n  ".join([t(self.code, lang, path=self.path), *self.problem_texts(lang)])


def secrets_problems(path: Path | None = None) -> list[SecretsProblem]:
    """Every problem of the secrets file at `path` (default: $KPI_SECRETS, else .streamlit/secrets.toml); [] when
    there is no such file (nobody signs in with a password, no digest is sent)."""
    path = Path(path or secrets_path())
    try:  # read once, bounded: every dashboard run asks (a few kB of TOML, well under a millisecond)
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [SecretsProblem(str(path), "secrets_unreadable", detail=exc.strerror or type(exc).__name__)]
    if len(raw) > MAX_BYTES:
        return [SecretsProblem(str(path), "secrets_too_large", limit=MAX_BYTES)]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [SecretsProblem(str(path), "secrets_not_toml", detail=str(exc)[:300])]
    return [problem for _, check in SECTIONS for problem in check(data)]


def check_secrets(path: Path | None = None) -> None:
    """SecretsError listing every problem of the secrets file; nothing when it is usable or absent."""
    problems = secrets_problems(path)
    if problems:
        raise SecretsError(Path(path or secrets_path()), problems)
