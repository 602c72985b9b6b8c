"""The dashboard: the router and the frame every page shares.

Run:  bash scripts/start.sh   (or: streamlit run dashboard.py)
The frame draws the language switch, the as-of date, the township filter and the 演示数据 banner, then runs the
chosen page. Pages live in pages/, one file each; they lay out charts and call the metrics library.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import streamlit as st

from dashboard_ui import session, state, ui
from dashboard_ui.navigation import DEFAULT_PAGE, NAVIGATION, PAGES_DIR
from dashboard_ui.state import Frame
from metrics.core import i18n
from metrics.core.locales import SOURCE_LANGUAGE
from metrics.platform import faults
from metrics.platform.faults import DatabaseDamaged


def draw_frame() -> Frame:
    """The sidebar controls every page shares; their values are kept in session state for the pages."""
    sidebar = st.sidebar
    # The language switch has no value of its own after a menu entry is clicked (Streamlit 1.67 forgets a segmented
    # control's state on a page change when it was given no default): every page then ran without a language, and
    # 资金使用 failed on its name_None column. The language is kept outside the widget (state.LANG_KEPT) and is the
    # widget's default; the first visit's comes from ?lang=, else the source language.
    asked = st.query_params.get("lang")
    kept = st.session_state.get(state.LANG_KEPT) or (asked if asked in i18n.LANGUAGES else SOURCE_LANGUAGE)
    st.session_state[state.LANG_KEPT] = kept  # the switch's own label is in it on a first visit (?lang=en)
    chosen = sidebar.segmented_control(state.t("language"), list(i18n.LANGUAGES), key="lang", required=True,
                                       default=kept,
                                       format_func=lambda code: i18n.t("language_name", code))  # each in its own
    st.session_state[state.LANG_KEPT] = chosen if chosen in i18n.LANGUAGES else kept
    version, demo = state.data_version()
    latest = state.latest_data_date(version)
    as_of = sidebar.date_input(state.t("as_of"), value=latest, min_value=dt.date(2020, 1, 1),
                               max_value=max(latest, dt.date.today()), key="as_of", help=state.t("as_of_help"),
                               format="YYYY-MM-DD")
    townships = [t.name for t in state.config().townships]
    # "*" rather than None for the whole county: a None option reads as "nothing chosen" to the widget. Streamlit
    # keeps a selectbox's choice by its label, and "全县" becomes "Whole county" in English, so the widget has one
    # key per language and the choice itself is carried across in `township_choice`.
    options = ["*", *townships]
    choice = st.session_state.get("township_choice", "*")
    whole_county = state.t("all_county")  # bound now: a format_func may be called outside this run
    township = sidebar.selectbox(state.t("township"), options, index=options.index(choice) if choice in options else 0,
                                 key=state.lang_key("township"),
                                 format_func=lambda t: whole_county if t == "*" else t)
    st.session_state["township_choice"] = township
    sidebar.caption(state.t("township_note"))
    st.session_state["_user"] = session.draw_login(sidebar)
    frame = Frame(state.lang(), as_of, None if township == "*" else township, version, demo)
    st.session_state["_frame"] = frame
    return frame


def run() -> None:
    # An emoji favicon: Streamlit draws it as an inline SVG. A material icon (here or a page's) makes every browser
    # fetch the favicon from fonts.gstatic.com, another host, unreachable from many county networks
    # (tests/test_browser_plain_text.py).
    st.set_page_config(page_title=state.t("browser_title"), page_icon="📊", layout="wide")
    config_file, config_problems = state.config_problems()
    secrets_file, secrets_problems = state.secrets_problems()
    for heading, problems in ((state.t("config_unusable", path=config_file), config_problems),
                              (state.t("secrets_unusable", path=secrets_file), secrets_problems)):
        if problems:  # plain text: the file's words are shown, never rendered
            st.error(heading, icon="⚠️")
            st.code("\n".join(problems), language=None, wrap_lines=True)
            st.stop()
    state.ensure_database(str(state.db_path()))
    frame = draw_frame()
    ui.frame_extras()
    sections: dict[str, list] = {}
    for section, file, title, icon in NAVIGATION:
        sections.setdefault(state.t(section), []).append(
            st.Page(PAGES_DIR / file, title=state.t(title), icon=icon, default=file == DEFAULT_PAGE))
    page = st.navigation(sections, position="sidebar", expanded=True)  # every page, no "view more"
    return_to = st.session_state.pop("_return_to", None)
    if return_to in {file for _, file, _, _ in NAVIGATION}:  # see state.current(): back to the page first asked for
        st.switch_page(PAGES_DIR / return_to, query_params=st.query_params.to_dict())
    if frame.demo:
        st.warning(state.t("demo_banner"), icon=":material/science:")
    page.run()


def maintenance(exc) -> None:
    """The page shown instead of any page while the database file is damaged: what happened and how to restore,
    never DuckDB's traceback."""
    st.title(state.t("fault_maintenance_title"))
    st.warning(state.t("fault_maintenance_body"), icon=":material/construction:")
    st.code(exc.message(state.lang()), language=None, wrap_lines=True)  # plain text: a path is not markdown


try:
    with state.page_run():  # the run's reads share one connection
        run()
except DatabaseDamaged as exc:
    maintenance(exc)
except duckdb.Error as exc:
    if not faults.is_damage(exc):  # a bad block found by a page's query, after the file opened
        raise
    maintenance(DatabaseDamaged(state.db_path(), faults.first_line(exc)))
