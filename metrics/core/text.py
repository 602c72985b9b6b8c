"""How text from outside is normalised before anything compares, checks or hashes it (datasets.md, "Keys and
references"): invisible characters removed, full-width forms folded by NFKC, and digits that are not ASCII seen
for what they are. One place for these rules, used by the loader (metrics.load.parsing) and by the personal-data
code (metrics.platform.privacy, metrics.platform.pii) alike.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Characters that print as nothing: zero-width spaces and joiners, the byte-order mark, the word joiner, soft hyphen,
# direction marks and variation selectors. A key or a township pasted from a web page or a chat app carries them
# unseen (`PXB-2303\u200b`): they are removed wherever text is normalised, and shown as ⟨U+200B⟩ in reports.
INVISIBLE = ("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
             "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb")
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# The same set for Arrow's RE2 (a vectorised "does any cell hold one" test).
INVISIBLE_RE2 = "[" + re.sub(r"[\u0080-\uffff]", lambda m: f"\\x{{{ord(m.group(0)):x}}}", INVISIBLE) + "]"


def strip_invisible(text: str) -> str:
    """The text without invisible characters (ASCII text, the common case, is returned at once)."""
    return text if text.isascii() else _INVISIBLE.sub("", text)


def visible(text: str) -> str:
    """The text with each invisible character written out, for a report: `PXB-2303⟨U+200B⟩`."""
    if text.isascii():
        return text
    return _INVISIBLE.sub(lambda m: f"⟨U+{ord(m.group(0)):04X}⟩", text)


def fold(text: str) -> str:
    """NFKC (full-width `６５４３` to `6543`, `ＰＸ` to `PX`) without invisible characters."""
    return text if text.isascii() else unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


@functools.lru_cache(maxsize=1)
def _digit_table() -> dict[int, str]:
    """Every non-ASCII character that is a digit to Python (`\\d`, int(), str.isdigit: full-width ６, Arabic-Indic ٦,
    circled ⑥, superscript ⁶ ...) to its ASCII digit. Built once, on the first text that needs it."""
    return {code: str(unicodedata.digit(chr(code))) for code in range(0x80, 0x20000) if chr(code).isdigit()}


def ascii_digits(text: str) -> str:
    """The text with every digit of any script written as ASCII, for the personal-data screen: a phone number typed
    in full-width or Arabic-Indic digits is still a phone number."""
    if text.isascii() or not any(ch.isdigit() and not ch.isascii() for ch in text):
        return text
    return text.translate(_digit_table())
