"""The briefing's output formats: one table, name -> writer, file suffix and MIME type.

Read by everything that offers or makes a briefing: `export` below (the command line's `report`), the command
line's `--format` choices, the renderer child of `briefing_jobs` and the meeting page's download buttons. Adding a
format is one writer function and one row here (docs/architecture.md, "add an output format"). A format not in the
table is refused with a catalogue error, never quietly replaced by another.

The writers are imported when called: the command line reads the table to build its options without loading
python-pptx, plotly or the briefing model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from metrics.core.errors import DashboardError


class UnknownFormat(DashboardError):
    """A briefing format that is not in FORMATS."""

    code = "briefing_format_unknown"


def _pptx(brief) -> bytes:
    from metrics.outputs.briefing_pptx import to_pptx

    return to_pptx(brief)


def _pdf(brief) -> bytes:
    from metrics.outputs.briefing import to_pdf

    return to_pdf(brief)


@dataclass(frozen=True)
class BriefingFormat:
    name: str  # as typed on the command line (`--format pptx`) and used as the key of a made briefing's files
    suffix: str  # the downloaded or written file's ending
    mime: str
    writer: Callable[[object], bytes]  # a briefing.Briefing -> the file's bytes

    @property
    def label(self) -> str:
        """The button's word: the format's own name (PPTX, PDF), the same in every language."""
        return self.name.upper()

    def write(self, brief) -> bytes:
        return self.writer(brief)


FORMATS: dict[str, BriefingFormat] = {f.name: f for f in (
    BriefingFormat("pptx", ".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", _pptx),
    BriefingFormat("pdf", ".pdf", "application/pdf", _pdf),
)}


def briefing_format(name: str) -> BriefingFormat:
    """The format called `name`; UnknownFormat (naming it and the known ones) otherwise."""
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise UnknownFormat(name=str(name), known=", ".join(FORMATS)) from None


def export(con, fmt: str, as_of: dt.date | None = None, compare: dt.date | None = None, lang: str = "zh") -> bytes:
    """The briefing in format `fmt`; UnknownFormat before any work when the table has no such format."""
    from metrics.outputs.briefing import build

    writer = briefing_format(fmt)
    return writer.write(build(con, as_of, compare, lang))
