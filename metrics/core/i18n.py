"""Translation: one function, `t(key, lang, **values)`, over the catalogues in `metrics/core/locales/`.

A problem in a ledger is reported as a message key plus parameters; the text is chosen only when it is shown, so
one load can be reported in either language. The dashboard's `dashboard_ui.state.t(key, **values)` is this function
with the viewer's language filled in.
"""

from __future__ import annotations

from metrics.core.locales import CATALOGUES, SOURCE_LANGUAGE

LANGUAGES = tuple(CATALOGUES)


def t(message_key: str, lang: str = SOURCE_LANGUAGE, /, **values) -> str:
    """The message in the chosen language (positional-only names, so a value may be called `key`).

    A key missing from a language falls back to the source language, then to the key itself, so a gap shows as
    text rather than an error; tests/test_messages.py fails on any such gap before it ships.
    """
    text = CATALOGUES.get(lang, {}).get(message_key)
    if text is None:
        text = CATALOGUES[SOURCE_LANGUAGE].get(message_key, message_key)
    if not values:
        return text
    try:
        return text.format_map(_Values(values))
    except (KeyError, IndexError):
        return text


class _Values(dict):
    """A message's values; `{x_en}` falls back to `x` when only that was given (a warning kept in the load log
    from before its English value existed)."""

    def __missing__(self, name: str):
        base, _, suffix = name.rpartition("_")
        if suffix in CATALOGUES and base in self:
            return self[base]
        raise KeyError(name)


def severity(level: str, lang: str = SOURCE_LANGUAGE) -> str:
    """错误 / 提醒 (error / warning) for a problem's level."""
    return t(f"severity_{level}", lang)
