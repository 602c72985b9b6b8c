"""Is a page wholly in the language the person chose? Ledger values (names, places, as typed by the county) stay
as written, and the language switch names both languages; everything else is the UI's and must follow the choice."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]{3,}(?![A-Za-z0-9_@/-])")
# Words a Chinese county office writes in Latin letters itself, and the switch to English.
LATIN_IN_CHINESE = {"KPI", "PDF", "PPTX", "CSV", "XLSX", "xlsx", "csv", "Excel", "SQL", "SELECT", "FROM", "GROUP",
                    "English", "PageDown", "PageUp", "Esc", "LOGO", "Logo", "logo", "JPG", "PNG",
                    "yyyy"}  # yyyy: Streamlit's own placeholder of an empty date field
SWITCH = {"中文"}
NOT_LEDGERS = {"loads", "meta", "user_roles", "evidence", "evidence_files"}  # the system's own tables


def ledger_values(con) -> list[str]:
    """Every distinct text value in the database's tables, longest first (so a name is removed before a part)."""
    values: set[str] = set()
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'main'").fetchall()]
    for table in tables:
        if table in NOT_LEDGERS or table.endswith("__replaced"):
            continue
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'",
            [table]).fetchall()]
        for column in columns:
            rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
            values.update(str(r[0]) for r in rows if str(r[0]).strip())
    return sorted(values, key=len, reverse=True)


def _without(text: str, values) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, " ")
    return text


def _solid(text: str) -> str:
    """Without white space: a chart label wrapped over lines reads as its lines run together."""
    return re.sub(r"\s+", "", text)


def chinese_in_english(text: str, ledger: list[str]) -> list[str]:
    """Lines of an English page that still hold a Chinese character once ledger values and the switch are removed."""
    solid = sorted({_solid(v) for v in [*ledger, *SWITCH] if CJK.search(v)}, key=len, reverse=True)
    found = []
    for line in text.splitlines():
        if CJK.search(line) and CJK.search(_without(_solid(line), solid)):
            found.append(line.strip())
    return found


def english_in_chinese(text: str, ledger: list[str]) -> list[str]:
    """English UI words on a Chinese page (ledger values and the few Latin words Chinese offices use removed)."""
    solid = sorted({_solid(v) for v in ledger}, key=len, reverse=True)
    found = []
    for line in text.splitlines():
        rest = _without(_without(line, ledger), solid) if ENGLISH_WORD.search(line) else ""
        words = [w for w in ENGLISH_WORD.findall(rest) if w not in LATIN_IN_CHINESE and _solid(w) == w
                 and not any(w in v for v in solid)]
        if words:
            found.append(f"{' '.join(words)}  ←  {line.strip()[:120]}")
    return found
