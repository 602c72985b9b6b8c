"""ui.per_version: a page's figure is built once per (builder, arguments, language) for every viewer, and a change in
any of them builds it anew (issue 26: building five Plotly figures was most of 培训与转化's warm run)."""

from __future__ import annotations

import sys
import textwrap

from streamlit.testing.v1 import AppTest

# Two pages' builders, alike in name and arguments, that must not share a cache entry; each build is recorded in
# the module `builds_log` (a list in this test process: AppTest runs the script here).
PAGE = textwrap.dedent("""
    import plotly.graph_objects as go
    import streamlit as st

    import builds_log
    from dashboard_ui import ui

    def figure(version, as_of):
        builds_log.BUILDS.append(("{page}", version, as_of, st.session_state.get("lang", "zh")))
        return go.Figure(go.Bar(x=[1], y=[{height}]))

    args = st.session_state.get("args", ("v1", "2024-06-30"))
    fig = ui.per_version(figure)(*args)
    st.session_state["shown"] = fig.data[0].y[0]
    ui.chart(fig, key="f")
""")


def run(script, **state) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_figure_is_built_once_per_builder_arguments_and_language(tmp_path, monkeypatch):
    log = tmp_path / "builds_log.py"
    log.write_text("BUILDS = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("builds_log", None)
    import builds_log

    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text(PAGE.replace("{page}", "first").replace("{height}", "1"))
    second.write_text(PAGE.replace("{page}", "second").replace("{height}", "2"))

    # Three viewers of the first page with the same data: one build, the same figure for each.
    for _ in range(3):
        assert run(first).session_state["shown"] == 1
    assert builds_log.BUILDS == [("first", "v1", "2024-06-30", "zh")]
    # The second page's builder has the same name and arguments: its own build, its own figure.
    assert run(second).session_state["shown"] == 2
    assert builds_log.BUILDS[-1] == ("second", "v1", "2024-06-30", "zh")
    # A new data version, another as-of date, another language: each builds anew, once.
    run(first, args=("v2", "2024-06-30"))
    run(first, args=("v1", "2024-05-31"))
    run(first, lang="en")
    run(first, lang="en")
    assert builds_log.BUILDS[2:] == [("first", "v2", "2024-06-30", "zh"), ("first", "v1", "2024-05-31", "zh"),
                                     ("first", "v1", "2024-06-30", "en")]
