"""Who may do what. Roles: viewer (sees everything, changes nothing; the default), editor (loads, undoes, attaches
evidence, runs SQL), admin (also manages users).

Checked where the action runs (metrics.actions), not only by hiding buttons: a viewer who crafts a request still
gets PermissionDenied. Accounts come from two places:
- local accounts in a secrets file (`[local_users.<login>]` with a PBKDF2 password hash and a role), for a county
  office without an identity provider; `python -m metrics user-add` writes them;
- OIDC logins (st.login), whose role an admin assigns by e-mail; assignments live in the database (`user_roles`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .config import PROJECT_ROOT
from .errors import DashboardError

ROLES = ("viewer", "editor", "admin")
ROLE_NAMES = {"viewer": ("查看者", "viewer"), "editor": ("编辑", "editor"), "admin": ("管理员", "admin")}
PERMISSIONS = {  # action -> the lowest role allowed
    "load": "editor", "undo": "editor", "attach": "editor", "sql": "editor", "acceptance": "editor",
    "manage_users": "admin",
}
DEFAULT_SECRETS = PROJECT_ROOT / ".streamlit" / "secrets.toml"
PBKDF2_ROUNDS = 600_000


class PermissionDenied(DashboardError):
    code = "permission_denied"

    def __init__(self, user: User, action: str):
        super().__init__()
        self.user, self.action = user, action

    def __str__(self) -> str:
        return f"{self.user.login} ({self.user.role}) may not {self.action}"

    def message(self, lang: str = "zh") -> str:
        needed = PERMISSIONS[self.action]
        if lang == "en":
            return f"Not allowed: this needs the {needed} role; you are signed in as {self.user.role}."
        return f"没有权限：此操作需要「{ROLE_NAMES[needed][0]}」角色，当前为「{ROLE_NAMES[self.user.role][0]}」。"


@dataclass(frozen=True)
class User:
    login: str
    name: str
    role: str = "viewer"
    source: str = "anonymous"  # "local", "oidc" or "anonymous"


ANONYMOUS = User("anonymous", "访客", "viewer", "anonymous")


def command_line_user(login: str | None = None) -> User:
    """Whoever runs `python -m metrics` on the county's machine is a local admin: they can open the database file
    anyway, so a role check there would protect nothing. Their changes still go through metrics.actions (one path,
    one load log, the login recorded)."""
    if not login:
        import getpass

        try:
            login = getpass.getuser()
        except Exception:  # no user name in some containers
            login = "unknown"
    return User(login, login, "admin", "local")


def can(user: User, action: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(PERMISSIONS[action])


def require(user: User, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(user, action)


def hash_password(password: str, salt: str | None = None, rounds: int = PBKDF2_ROUNDS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), rounds).hex()
    return f"pbkdf2_sha256${rounds}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), int(rounds)).hex()
    return hmac.compare_digest(candidate, digest)


def secrets_path() -> Path:
    return Path(os.environ.get("KPI_SECRETS") or DEFAULT_SECRETS)


def local_accounts(path: Path | None = None) -> dict[str, dict]:
    path = path or secrets_path()
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {login: dict(entry) for login, entry in data.get("local_users", {}).items()}


def authenticate(login: str, password: str, path: Path | None = None) -> User | None:
    """A local account's user when the password matches; None otherwise (same answer for unknown logins)."""
    account = local_accounts(path).get(login.strip())
    if not account:
        verify_password(password, hash_password("timing", "0" * 32, 1000))  # spend similar time either way
        return None
    if not verify_password(password, account.get("password_hash", "")):
        return None
    role = account.get("role", "viewer")
    return User(login.strip(), account.get("name", login), role if role in ROLES else "viewer", "local")


def add_local_account(login: str, password: str, role: str, name: str | None = None, path: Path | None = None) -> None:
    """Append (or replace) an account in the secrets file, keeping everything else in it."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not login or any(c in login for c in ' ."[]=\n'):
        raise ValueError("login must be a simple name (letters, digits, - or _)")
    path = path or secrets_path()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    header = f"[local_users.{login}]"
    if header in lines:  # drop the old entry: its header and the key lines under it
        start = lines.index(header)
        end = start + 1
        while end < len(lines) and not lines[end].startswith("["):
            end += 1
        lines = lines[:start] + lines[end:]
    entry = [header, f'name = "{(name or login).replace(chr(34), "")}"', f'role = "{role}"',
             f'password_hash = "{hash_password(password)}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*lines, "", *entry]).lstrip("\n"), encoding="utf-8")
    os.chmod(path, 0o600)
