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
import logging
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from metrics.core.config import PROJECT_ROOT
from metrics.core.errors import DashboardError
from metrics.core.i18n import t

ROLES = ("viewer", "editor", "admin")
PERMISSIONS = {  # action -> the lowest role allowed
    "load": "editor", "undo": "editor", "attach": "editor", "sql": "editor", "acceptance": "editor",
    "manage_users": "admin",
    "publish": "editor", "approve_publication": "admin",  # 政务公开: an editor prepares, an administrator approves
}
DEFAULT_SECRETS = PROJECT_ROOT / ".streamlit" / "secrets.toml"
PBKDF2_ROUNDS = 600_000  # read at each hash (new accounts, the decoy), never bound at import


class AccountRefused(DashboardError, ValueError):
    """The secrets file cannot take the change (a bad role or login, an unreadable file); nothing was changed."""


def role_name(role: str, lang: str = "zh") -> str:
    """查看者 / viewer …: each role's name is `auth_role_<role>` in the catalogues."""
    return t(f"auth_role_{role}", lang)


class PermissionDenied(DashboardError):
    code = "permission_denied"

    def __init__(self, user: User, action: str):
        super().__init__()
        self.user, self.action = user, action

    def __str__(self) -> str:
        return f"{self.user.login} ({self.user.role}) may not {self.action}"

    def message(self, lang: str = "zh") -> str:
        return t("auth_needs_role", lang, needed=role_name(PERMISSIONS[self.action], lang),
                 role=role_name(self.user.role, lang))


@dataclass(frozen=True)
class User:
    login: str
    name: str
    role: str = "viewer"
    source: str = "anonymous"  # "local", "oidc" or "anonymous"


ANONYMOUS = User("anonymous", t("auth_guest"), "viewer", "anonymous")


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


def hash_password(password: str, salt: str | None = None, rounds: int | None = None) -> str:
    rounds = rounds or PBKDF2_ROUNDS
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), rounds).hex()
    return f"pbkdf2_sha256${rounds}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256" or not rounds.isdigit() or not salt.isascii():  # a hand-edited hash: no match,
        return False  # not a traceback at sign-in (the secrets file's validator names it when the file loads)
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


def _decoy_hash() -> str:
    """An unknown login is checked against this hash, of the same cost as a new account's: both answers take as
    long."""
    return f"pbkdf2_sha256${PBKDF2_ROUNDS}${'0' * 32}${'0' * 64}"


def authenticate(login: str, password: str, path: Path | None = None) -> User | None:
    """A local account's user when the password matches; None otherwise (same answer, same time, for unknown logins)."""
    account = local_accounts(path).get(login.strip())
    if not account:
        verify_password(password, _decoy_hash())
        return None
    if not verify_password(password, account.get("password_hash", "")):
        return None
    role = account.get("role", "viewer")
    return User(login.strip(), account.get("name", login), role if role in ROLES else "viewer", "local")


def add_local_account(login: str, password: str, role: str, name: str | None = None, path: Path | None = None) -> None:
    """Add (or replace) an account in the secrets file, keeping everything else in it (see `update_secrets`)."""
    if role not in ROLES:
        raise AccountRefused("auth_bad_role", roles=", ".join(ROLES))
    if not login or not all(c.isalnum() or c in "-_@." for c in login) or login.startswith("."):
        raise AccountRefused("auth_bad_login")
    entry = {"name": name or login, "role": role, "password_hash": hash_password(password)}

    def change(data: dict) -> None:
        data.setdefault("local_users", {})[login] = entry

    def check(data: dict) -> None:
        if data.get("local_users", {}).get(login) != entry:
            raise AccountRefused("auth_not_written")

    update_secrets(change, check, path)


def update_secrets(change: Callable[[dict], None], check: Callable[[dict], None] | None = None,
                   path: Path | None = None) -> None:
    """The one writer of the secrets file (password hashes, webhook and SMTP secrets).

    `change` edits the parsed file in place. The result is written by a TOML library (a name like `Bob\\` or `"]`
    cannot break it), read back and given to `check` (which raises to refuse: the file is then unchanged), written
    to a temporary made by mkstemp (mode 0600 from its first byte, whatever the umask: never readable by group or
    others, even for a moment) and only then put in place of the old one (os.replace: a crash leaves the old file
    or the new, never half; the new one keeps the temporary's 0600).
    """
    import tempfile

    import tomli_w

    path = path or secrets_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise AccountRefused("auth_secrets_not_toml", path=path, detail=exc) from None
    change(data)
    text = tomli_w.dumps(data)
    if check is not None:
        check(tomllib.loads(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".secrets-", suffix=".toml", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# ------------------------------------------------------------------------------------------ brute force

log = logging.getLogger("metrics.platform.auth")


class LoginThrottle:
    """Backoff after failed sign-ins, per account and per client (an address).

    FREE_FAILURES wrong passwords in a row cost nothing; each one after doubles the wait before the next attempt
    is even checked (2 s, 4 s, ... up to MAX_WAIT_S). Each backoff is logged. A success clears the account's and
    the client's count; a quiet FORGET_S clears it too.

    With `path`, the counts live in that file (JSON, under an exclusive flock for each read-and-update), so every
    dashboard process serving one database (scripts/serve.sh) counts the same failures: otherwise N processes
    behind nginx would give a guesser N times the attempts (dropping the stickiness cookie picks another
    process). At most MAX_ENTRIES keys are kept (the oldest dropped), so the file stays small whatever is tried.
    Without `path` (tests, one process), a dict in memory.
    """

    FREE_FAILURES = 5
    MAX_WAIT_S = 15 * 60
    FORGET_S = 60 * 60
    MAX_ENTRIES = 10_000

    def __init__(self, clock=time.time, path: Path | None = None):
        self.clock = clock  # wall clock: the file is read by other processes
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}  # key -> (count, time of the last)

    @contextmanager
    def _counts(self):
        """The failure counts, for reading and updating (written back when changed)."""
        with self._lock:
            if self.path is None:
                yield self._failures
                return
            import fcntl
            import json

            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            with os.fdopen(fd, "r+", encoding="utf-8") as f:
                fcntl.flock(f, fcntl.LOCK_EX)  # released when the file is closed
                try:
                    stored = json.loads(f.read() or "{}")
                    counts = {(kind, value): (int(c), float(t)) for kind, value, c, t in stored}
                except (ValueError, TypeError):  # damaged: start counting again rather than lock everyone out
                    counts = {}
                before = dict(counts)
                yield counts
                if counts != before:
                    now = self.clock()
                    kept = sorted(((k, v) for k, v in counts.items() if now - v[1] <= self.FORGET_S),
                                  key=lambda item: item[1][1])[-self.MAX_ENTRIES:]
                    f.seek(0)
                    f.truncate()
                    json.dump([[k[0], k[1], c, t] for k, (c, t) in kept], f)

    def _keys(self, login: str, client: str | None) -> list[tuple[str, str]]:
        # No address (Streamlit gives None for connections from localhost; behind deploy/nginx.conf it sees the
        # visitor's address): per account only, or one guesser would lock everyone out.
        account = ("account", login.strip().lower())
        return [account, ("client", client)] if client else [account]

    def _wait_for(self, counts, key) -> float:
        count, last = counts.get(key, (0, 0.0))
        now = self.clock()
        if count <= self.FREE_FAILURES or now - last > self.FORGET_S:
            return 0.0
        wait = min(2.0 ** (count - self.FREE_FAILURES), self.MAX_WAIT_S)
        return max(0.0, last + wait - now)

    def wait(self, login: str, client: str | None) -> float:
        """Seconds before this account may be tried again from this client (0: go ahead)."""
        with self._counts() as counts:
            return max(self._wait_for(counts, k) for k in self._keys(login, client))

    def reserve(self, login: str, client: str | None) -> float:
        """Check the wait and take the attempt in one step under the lock (0: go ahead, counted as a failure until
        `succeeded` clears it), else the seconds to wait. Checking first and counting after the password was
        checked let twelve attempts sent at once all pass one 2 s wait (issue 25): each read the count before
        any of them wrote it. Now, once backoff starts, one attempt per wait is checked, across processes."""
        with self._counts() as counts:
            wait = max(self._wait_for(counts, k) for k in self._keys(login, client))
            if wait == 0:
                self._count(counts, login, client)
            return wait

    def failed(self, login: str, client: str | None) -> None:
        with self._counts() as counts:
            self._count(counts, login, client)

    def _count(self, counts, login: str, client: str | None) -> None:
        now = self.clock()
        for key in self._keys(login, client):
            count, last = counts.get(key, (0, 0.0))
            count = 1 if now - last > self.FORGET_S else count + 1
            counts[key] = (count, now)
            if count > self.FREE_FAILURES:
                log.warning("sign-in backoff: %s %r has failed %d times; next attempt in %.0f s",
                            key[0], key[1], count, min(2.0 ** (count - self.FREE_FAILURES), self.MAX_WAIT_S))

    def succeeded(self, login: str, client: str | None) -> None:
        with self._counts() as counts:
            for key in self._keys(login, client):
                counts.pop(key, None)


_throttles: dict[str, LoginThrottle] = {}


def shared_throttle(db_path: Path | str | None = None) -> LoginThrottle:
    """The throttle of the dashboard serving `db_path` (default: the database in use): its counts are in
    `<database>.login-failures` beside it, shared by every process serving that database."""
    from metrics.platform.store import default_db_path

    db = Path(db_path or default_db_path())
    if str(db) == ":memory:":
        return _throttles.setdefault(":memory:", LoginThrottle())
    path = db.with_name(db.name + ".login-failures")
    if str(path) not in _throttles:
        path.parent.mkdir(parents=True, exist_ok=True)
        _throttles[str(path)] = LoginThrottle(path=path)
    return _throttles[str(path)]


def sign_in(login: str, password: str, client: str | None, path: Path | None = None,
            throttle: LoginThrottle | None = None) -> tuple[User | None, float]:
    """(the user, 0) on success; (None, seconds to wait) when refused. During a backoff the password is not
    even checked, so guessing on costs the guesser time, not the server."""
    throttle = throttle or shared_throttle()
    wait = throttle.reserve(login, client)  # counted as a failure now: concurrent attempts see it at once
    if wait > 0:
        return None, wait
    user = authenticate(login, password, path)
    if user is None:
        return None, throttle.wait(login, client)
    throttle.succeeded(login, client)
    return user, 0.0


def display_name(login: str | None, path: Path | None = None) -> str:
    """What viewers see for whoever loaded or attached something: a local account's name, or an e-mail with its
    mailbox hidden; never the login itself, which would tell a guesser which accounts exist."""
    if not login or login == "demo":
        return login or ""
    account = local_accounts(path).get(login)
    if account and account.get("name") and account.get("name") != login:
        return str(account["name"])
    if "@" in login:
        user, _, domain = login.partition("@")
        return f"{user[:1]}***@{domain}"
    return login[:1] + "***"
