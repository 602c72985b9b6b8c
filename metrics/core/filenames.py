"""File names from outside (an evidence upload) kept within what every filesystem and unzip tool accepts.

Linux, macOS and Windows cap one name at 255 bytes (UTF-8 on Linux: a Chinese character is 3 bytes), and a name
with control characters cannot be typed, shown or, on Windows, created. A 292-byte evidence name made the
acceptance zip impossible to extract ("File name too long", issue 25). So: names are refused at upload when too
long or holding control characters (`problem`), and names written into a zip are shortened (`fit`), keeping the
extension and a hash of the whole name, so two long names that share a beginning stay two files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_NAME_BYTES = 200  # under 255 with room for the pack's own prefix ("A01-03_") and an unzip tool's suffixes
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def problem(name: str) -> str | None:
    """Why an uploaded file's name is refused (a message key), or None."""
    if _CONTROL.search(name):
        return "filename_control_characters"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return "filename_too_long"
    return None


def fit(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """The name itself when it fits in `limit` bytes of UTF-8, else its beginning (cut on a character), "~", an
    8-hex hash of the whole name, and its extension."""
    name = unicodedata.normalize("NFC", name)
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) > 16:  # no real extension: cut the whole name
        stem, suffix = name, ""
    tail = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8] + ("." + suffix if suffix else "")
    room = limit - len(tail.encode("utf-8"))
    head = stem.encode("utf-8")[:room].decode("utf-8", "ignore")  # never half a character
    return head + tail


def shown(name: str, chars: int = 60) -> str:
    """A refused name as a message may quote it: control characters escaped (\\x1b), at most `chars` characters."""
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), name)
    return text if len(text) <= chars else text[:chars] + "…"
