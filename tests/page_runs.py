"""The (page, language) pairs the page checks run over: every page of the router, in every language."""

from __future__ import annotations

import pytest


def page_params():
    """(page, language) for every page of the router, each pinned to one xdist group: the checks that read a
    page's run (tests/test_pages.py, tests/test_charts_tables.py) share it on one worker (`--dist loadgroup`)."""
    from dashboard_ui.navigation import page_names
    from metrics.core.i18n import LANGUAGES

    return [pytest.param(page, lang, id=f"{page}-{lang}", marks=pytest.mark.xdist_group(f"page-{page}-{lang}"))
            for page in page_names() for lang in LANGUAGES]
