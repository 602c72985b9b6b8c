"""The one family of errors a user may read.

Every error the library raises for a person (a refused file, a missing permission, a busy database, a bad query)
derives from `DashboardError`: it has a `code` and renders itself with `message(lang)` in Chinese or English, so the
pages and the command line catch one class and show `exc.message(lang)`. Errors that are bugs stay Python's own.
"""

from __future__ import annotations

from metrics.core import i18n


class DashboardError(Exception):
    """An error with a code, rendered from the message catalogue (metrics.core.i18n) with its parameters."""

    code = "error"

    def __init__(self, code: str | None = None, /, **params):
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.code)

    def message(self, lang: str = "zh") -> str:
        return i18n.t(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.message("en")


class FileProblem(DashboardError):
    """A file as a whole cannot be used (not a spreadsheet, too large, no header): `code` is a message key."""

    def __init__(self, code: str, **params):
        super().__init__(code, **params)
