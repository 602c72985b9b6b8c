"""数据探索 Explore: any ledger filtered, grouped by one or two dimensions, measured, charted and downloaded.
The view lives in the URL, so it can be bookmarked or sent. Editors also get a sandboxed SQL box."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard_ui import state, tables, ui
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.kpi import explore, views
from metrics.kpi.explore import Filter, Spec
from metrics.outputs import charts
from metrics.platform.auth import can

frame = state.current()
user = st.session_state.get("_user")
st.title(state.t("page_explore"))
cfg = state.config()

# First visit with a view in the URL: put it into the widgets.
if "explore_loaded" not in st.session_state:
    st.session_state["explore_loaded"] = True
    spec_in_url = explore.from_params(st.query_params.to_dict())
    if spec_in_url:
        st.session_state["ex_ds"] = spec_in_url.dataset
        st.session_state["ex_filter_cols"] = [f.column for f in spec_in_url.filters]
        for f in spec_in_url.filters:
            # Each column type has one widget; a value that does not fit it (a hand-edited URL) is left out.
            col = next((c for c in explore.columns(spec_in_url.dataset) if c.key == f.column), None)
            wkey = f"ex_f_{f.column}"
            if col is None or not f.values:
                continue
            if col.type in ("date", "month") and f.op == "between":
                st.session_state[wkey] = tuple(v for v in f.values if isinstance(v, dt.date))
            elif col.type in ("int", "number") and f.op == "between":
                low, high = (f.values + [None, None])[:2]
                st.session_state[f"{wkey}_lo"] = low if isinstance(low, (int, float)) else None
                st.session_state[f"{wkey}_hi"] = high if isinstance(high, (int, float)) else None
            elif col.type in ("enum", "township", "budget_line") and f.op == "in":
                st.session_state[wkey] = [str(v) for v in f.values]
            elif col.type == "bool" and f.op == "is":
                st.session_state[wkey] = bool(f.values[0])
            elif col.type in ("text", "list"):
                st.session_state[wkey] = str(f.values[0])
        st.session_state["ex_group"] = spec_in_url.group_by
        st.session_state["ex_measure"] = spec_in_url.measure
        if spec_in_url.measure_column:
            st.session_state["ex_measure_col"] = spec_in_url.measure_column


def label(dataset: str, key: str) -> str:
    return explore.column_label(dataset, key, frame.lang)


def dim_label(dataset: str, dim: str) -> str:
    if ":" in dim:
        part, key = dim.split(":", 1)
        base = label(dataset, key)
        period = {"month": state.t("explore_period_month"), "year": state.t("explore_period_year")}[part]
        return f"{base} · {period}"
    return label(dataset, dim)


dataset = st.selectbox(state.t("dataset"), list(DATASETS), key="ex_ds",
                       format_func=lambda d: DATASETS[d].label(frame.lang))
cols = explore.columns(dataset)
by_key = {c.key: c for c in cols}

# ------------------------------------------------------------------------------------------------ filters
filter_cols = st.multiselect(state.t("explore_filter_on"), [c.key for c in cols], key="ex_filter_cols", select_all=False,
                             placeholder=state.t("explore_choose_columns"),
                             format_func=lambda k: label(dataset, k) if k in by_key else k)
filters: list[Filter] = []
for key in [k for k in filter_cols if k in by_key]:
    col = by_key[key]
    wkey = f"ex_f_{key}"
    if col.type in ("date", "month"):
        picked = st.date_input(label(dataset, key), value=st.session_state.get(wkey, ()), key=wkey, format="YYYY-MM-DD")
        values = list(picked) if isinstance(picked, (tuple, list)) else [picked]
        if values:
            filters.append(Filter(key, "between", [values[0], values[-1]]))
    elif col.type in ("enum", "township", "budget_line"):
        choices = (list(col.choices) if col.type == "enum" else [t.name for t in cfg.townships] if col.type == "township"
                   else [line.id for line in cfg.budget_lines])
        picked = st.multiselect(label(dataset, key), choices, key=wkey, placeholder=state.t("explore_all"),
                                select_all=False)
        if picked:
            filters.append(Filter(key, "in", picked))
    elif col.type == "bool":
        picked = st.selectbox(label(dataset, key), [True, False], key=wkey, format_func=lambda b: state.t("explore_yes") if b else state.t("explore_no"))
        filters.append(Filter(key, "is", [picked]))
    elif col.type in ("int", "number"):
        left, right = st.columns(2)
        low = left.number_input(state.t("explore_from", label=label(dataset, key)), value=None, key=f"{wkey}_lo")
        high = right.number_input(state.t("explore_to", label=label(dataset, key)), value=None, key=f"{wkey}_hi")
        if low is not None or high is not None:
            filters.append(Filter(key, "between", [low, high]))
    else:
        text = st.text_input(state.t("explore_contains", label=label(dataset, key)), key=wkey)
        if text:
            filters.append(Filter(key, "contains", [text]))

# --------------------------------------------------------------------------------------- group, measure
dims = explore.dimensions(dataset)
group = st.multiselect(state.t("explore_group_by"), dims, key="ex_group", max_selections=2, select_all=False,
                       placeholder=state.t("explore_no_grouping"),
                       format_func=lambda d: dim_label(dataset, d) if d in dims else d)
group = [g for g in group if g in dims]
measure_names = {"count": state.t("explore_count"), "count_distinct": state.t("explore_distinct_count"),
                 "sum": state.t("explore_sum"), "avg": state.t("explore_average")}
numeric = [c.key for c in explore.numeric_columns(dataset)]
measures = ["count", "count_distinct"] + (["sum", "avg"] if numeric else [])
measure = st.selectbox(state.t("explore_measure"), measures, key=state.lang_key("ex_measure_widget"),
                       index=measures.index(st.session_state.get("ex_measure", "count"))
                       if st.session_state.get("ex_measure", "count") in measures else 0,
                       format_func=lambda m: measure_names[m])
st.session_state["ex_measure"] = measure
measure_col = None
if measure != "count":
    options = numeric if measure in ("sum", "avg") else [c.key for c in cols]
    remembered = st.session_state.get("ex_measure_col")
    measure_col = st.selectbox(state.t("explore_measure_column"), options, key=state.lang_key("ex_measure_col_widget"),
                               index=options.index(remembered) if remembered in options else 0,
                               format_func=lambda k: label(dataset, k))
    st.session_state["ex_measure_col"] = measure_col

spec = Spec(dataset, filters, group, measure, measure_col)
st.query_params.from_dict({**explore.to_params(spec), "lang": frame.lang})
st.caption(state.t("explore_as_of_note", as_of=frame.as_of))

def group_value(value) -> str:
    """A group's value as a label: months as months, a missing value as "—"."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return ui.month_label(value)
    return str(value)


# ----------------------------------------------------------------------------------------------- results
try:
    result = state.view(views.explore_run, frame.version, spec, frame.as_of)
except explore.ExploreError as exc:
    st.error(ui.plain(str(exc)))
    st.stop()

value_label = (state.t("explore_measure_of", measure=measure_names[measure], column=label(dataset, measure_col))
               if measure_col else measure_names[measure])
shown = result.rename(columns={**{g: dim_label(dataset, g) for g in group}, "value": value_label})
st.subheader(state.t("explore_result"))
st.dataframe(tables.readable(shown), hide_index=True, width="stretch", height=min(420, 40 + 35 * len(shown)))
pivot = explore.pivot(result, spec)
if pivot is not None:
    st.subheader(state.t("explore_pivot"))
    # Month groups arrive as midnight timestamps: "2022年10月", never "2022-10-01 00:00:00", in rows and columns.
    pivot = pivot.rename(index=group_value, columns=group_value)
    st.dataframe(tables.readable(pivot.rename_axis(index=dim_label(dataset, group[0]), columns=dim_label(dataset, group[1]))),
                 width="stretch")

if group and not result.empty:
    kinds = {"bar": state.t("explore_bar"), "line": state.t("explore_line"), "stacked": state.t("explore_stacked"),
             "pie": state.t("explore_pie")}
    available = ["bar", "line"] + (["stacked"] if len(group) == 2 else ["pie"])
    kind = st.segmented_control(state.t("explore_chart"), available, key=state.lang_key("ex_chart"), default="bar",
                                format_func=lambda k: kinds[k]) or "bar"
    x = result[group[0]].astype(str) if ":" not in group[0] or group[0].startswith("year") else result[group[0]]
    if kind == "pie":
        fig = go.Figure(go.Pie(labels=result[group[0]].astype(str), values=result["value"]))
    elif len(group) == 2:
        fig = go.Figure()
        parts = list(result.groupby(group[1], dropna=False))
        for (name, part), (color, dash) in zip(parts, charts.series_colors(len(parts))):
            xs = part[group[0]].astype(str) if not group[0].startswith("month") else part[group[0]]
            trace = go.Scatter(x=xs, y=part["value"], mode="lines+markers", name=group_value(name),
                               line=dict(color=color, dash=dash)) if kind == "line" else \
                go.Bar(x=xs, y=part["value"], name=group_value(name), marker_color=color)
            fig.add_trace(trace)
        if kind == "stacked":
            fig.update_layout(barmode="stack")
    else:
        fig = go.Figure(go.Scatter(x=x, y=result["value"], mode="lines+markers") if kind == "line"
                        else go.Bar(x=x, y=result["value"], marker_color="#0072B2"))
    ui.chart(ui.layout(fig, dim_label(dataset, group[0]), value_label, 420,
                              dates=group[0].startswith("month")), key="ex_chart_fig")

left, right = st.columns(2)
name = f"{DATASETS[dataset].label(frame.lang)}_{'_'.join(group) or 'total'}".replace(":", "-")
left.download_button(state.t("explore_download_csv"), explore.csv_bytes(shown),
                     file_name=f"{name}.csv", mime="text/csv", key="ex_csv")
right.download_button(state.t("explore_download_xlsx"), explore.xlsx_bytes(tables.readable(shown)),
                      file_name=f"{name}.xlsx", key="ex_xlsx")

with st.expander(state.t("explore_rows")):
    detail = state.view(views.explore_rows, frame.version, spec, frame.as_of)
    tables.table(detail, dataset, height=360)
    st.download_button(state.t("explore_download_rows"), explore.csv_bytes(tables.labelled(detail, dataset)),
                       file_name=f"{DATASETS[dataset].label(frame.lang)}_rows.csv", mime="text/csv", key="ex_rows_csv")

# --------------------------------------------------------------------------------------------------- SQL
st.subheader("SQL")
if not can(user, "sql"):
    st.caption(state.t("explore_sql_needs_role"))
else:
    st.caption(state.t("explore_sql_note"))
    query = st.text_area("SELECT …", key="ex_sql", height=120,
                         placeholder="SELECT township, count(*) FROM training_sessions GROUP BY 1")
    if st.button(state.t("explore_run"), key="ex_sql_run") and query.strip():
        from metrics.platform.auth import require
        from metrics.platform.sandbox import run_query

        try:
            require(user, "sql")  # checked where the query runs, not only by hiding the box
            answer = run_query(state.sandbox(frame.version), query)
            st.dataframe(tables.readable(answer.frame), hide_index=True, width="stretch")
            if answer.truncated:
                st.warning(state.t("explore_sql_truncated"))
            st.download_button("CSV", explore.csv_bytes(answer.frame), file_name="query.csv", mime="text/csv",
                               key="ex_sql_csv")
        except DashboardError as exc:  # a refused query, or a viewer without the editor role
            st.error(exc.message(frame.lang))
