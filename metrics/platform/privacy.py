"""Personal data of trainees: ID numbers become keyed hashes, phone numbers are masked.

The raw values never reach the database, a log or an error report. The hashing key comes from the environment
(KPI_HASH_KEY) or a key file generated on first use beside the database (git ignores it); it is never in the repo.
The same key must be used for every load so the same person gets the same trainee_id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from metrics.core.config import PROJECT_ROOT
from metrics.core.text import fold

DEFAULT_KEY_FILE = PROJECT_ROOT / "data" / ".hash_key"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d would take ６ or ٦ as a digit
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def hash_key(key_file: Path | None = None) -> bytes:
    """The hashing key (a chain of keys, one per line, after a rotation)."""
    env = os.environ.get("KPI_HASH_KEY")
    if env:
        return env.encode("utf-8")
    path = Path(os.environ.get("KPI_HASH_KEY_FILE") or key_file or DEFAULT_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written once with owner-only permissions; losing it means new hashes no longer match old ones.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def key_fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it, so a database can refuse hashes made with a different key."""
    return hmac.new(key, b"kpi-dashboard key fingerprint", hashlib.sha256).hexdigest()[:16]


def normalise_id_number(raw: str) -> str:
    """Folded (NFKC: full-width `６５４３…` is `6543…`; invisible characters removed), spaces out, upper case."""
    return re.sub(r"\s", "", fold(raw)).upper()


def id_number_is_well_formed(id_number: str) -> bool:
    return bool(_ID_PATTERN.match(id_number))


def id_number_checksum_ok(id_number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(id_number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == id_number[17]


def hash_id_number(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the ID number through the key chain (one key per line; a rotation appends one).

    With keys k1, k2 the hash is HMAC(k2, HMAC(k1, id)): what rotate-key turned the stored hashes into.
    """
    # Strict: a character left that is not ASCII is an error, never dropped (dropping the full-width digits of
    # three people's ID numbers once made them one person).
    value = normalise_id_number(id_number).encode("ascii")
    digest = ""
    for link in [k for k in key.split(b"\n") if k.strip()] or [key]:
        digest = hmac.new(link.strip(), value, hashlib.sha256).hexdigest()
        value = digest.encode()
    return digest


def trainee_id_from_hash(id_hash: str) -> str:
    """The trainee_id given to a person known only by an ID number: stable, short, not reversible."""
    return "H" + id_hash[:16]


def mask_id_number(raw: str) -> str:
    """For error reports: enough to find the row, not enough to identify the person."""
    text = normalise_id_number(str(raw))
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(raw: str) -> str:
    digits = re.sub(r"[^0-9]", "", fold(str(raw)))  # not \D: a full-width digit is not kept raw in the mask
    if len(digits) >= 11:
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    return "*" * len(digits)
