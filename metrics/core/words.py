"""A name the county gives in each of its languages, read in one place.

data/county.toml writes a name once per language beside each other (`zh = "…"`, `en = "…"`, or
`name_zh`/`name_en`, `project_zh`/`project_en`); the code never picks one by an if on the language: it holds a
`Words` and asks `words.in_(lang)`. A third language is one catalogue (metrics/core/locales) and one more key per
name in county.toml; where the file has no text in a language yet, the source language's is shown.
Tables of such names carry one column per language (`name_zh`, `name_en`, …): `column("name", lang)` names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from metrics.core.i18n import LANGUAGES
from metrics.core.locales import SOURCE_LANGUAGE


@dataclass(frozen=True)
class Words:
    texts: tuple[tuple[str, str], ...] = ()  # (language, text) pairs: hashable, as the configuration is frozen

    @classmethod
    def of(cls, **texts: str) -> Words:
        return cls(tuple((lang, str(text)) for lang, text in texts.items() if text not in (None, "")))

    @classmethod
    def read(cls, table: dict, prefix: str = "") -> Words:
        """The texts of `table` under `<prefix>_<lang>` (or `<lang>` with no prefix), for every language."""
        return cls.of(**{lang: table.get(f"{prefix}_{lang}" if prefix else lang) for lang in LANGUAGES})

    def in_(self, lang: str) -> str:
        """The text in `lang`, else in the source language (Chinese), else ""."""
        texts = dict(self.texts)
        return texts.get(lang) or texts.get(SOURCE_LANGUAGE, "")

    def __bool__(self) -> bool:
        return any(text for _, text in self.texts)

    def columns(self, prefix: str) -> dict[str, str]:
        """{`<prefix>_<lang>`: text} for every language: the columns of a table row holding this name."""
        return {column(prefix, lang): self.in_(lang) for lang in LANGUAGES}


def column(prefix: str, lang: str) -> str:
    """The column of a table that holds a name in `lang` (`column("name", "en")` = "name_en")."""
    return f"{prefix}_{lang}"


def in_row(row, prefix: str, lang: str) -> str:
    """A row's name in `lang`: `row.name_en` of an itertuples() row or a Series, `row["name_en"]` of a dict."""
    key = column(prefix, lang)
    return row[key] if isinstance(row, dict) else getattr(row, key)
