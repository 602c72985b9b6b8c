"""The message catalogues: one module per language (`zh.py`, `en.py`), each one dict `MESSAGES` from a key to its
text. Every string a person reads (the dashboard, the command line, reports, errors) has a key there.

Why Python dicts and not gettext `.po` files: the team and the county's IT staff edit Python already; a dict needs
no compile step or extra tool (Babel) on the county's machine; tests read it directly (tests/test_messages.py checks
every language has every key with the same placeholders). Adding a language = one more module here, listed below.
"""

from __future__ import annotations

from metrics.core.locales import en, zh

SOURCE_LANGUAGE = "zh"  # Simplified Chinese first: every key is written here first
CATALOGUES: dict[str, dict[str, str]] = {"zh": zh.MESSAGES, "en": en.MESSAGES}
