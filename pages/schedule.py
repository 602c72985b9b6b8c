"""进度计划 Schedule: the plan's phases and milestones on a timeline, with the as-of date marked."""

from __future__ import annotations

import pandas as pd
import plotly.express as px

from dashboard_ui import state, tables, ui
from metrics.kpi import views
from metrics.outputs import charts

frame = state.current()
ui.page_header(state.t("page_schedule"))
cfg = state.config()

phases = pd.DataFrame([{"task": p.name(frame.lang), "start": p.start, "end": p.end, "kind": state.t("schedule_phase")}
                       for p in cfg.phases])
milestones = state.view(views.milestones, frame.version, frame.as_of)
state_names = {"done": state.t("milestone_done"), "done_late": state.t("milestone_done_late"),
               "overdue": state.t("milestone_overdue"), "in_progress": state.t("milestone_in_progress"),
               "not_started": state.t("milestone_not_started")}
rows = [phases.assign(state=(state.t("schedule_plan_phase")))]
if not milestones.empty:
    rows.append(pd.DataFrame({"task": (milestones["milestone_id"] + " " + milestones["task"]).map(lambda n: charts.wrap(n, 14)),
                              "start": milestones["planned_start"], "end": milestones["planned_end"],
                              "state": milestones["state"].map(state_names)}))
timeline = pd.concat(rows, ignore_index=True)
timeline["start"] = pd.to_datetime(timeline["start"])
timeline["end"] = pd.to_datetime(timeline["end"]) + pd.Timedelta(days=1)
colors = {state_names["done"]: "#009E73", state_names["done_late"]: "#56B4E9", state_names["overdue"]: "#D55E00",
          state_names["in_progress"]: "#E69F00", state_names["not_started"]: "#999999",
          (state.t("schedule_plan_phase")): "#0072B2"}
fig = px.timeline(timeline, x_start="start", x_end="end", y="task", color="state", color_discrete_map=colors)
fig.update_yaxes(autorange="reversed")
fig.update_layout(legend_title_text="")  # not the column name "state"
fig.update_xaxes(dtick="M12", tickformat=state.t("schedule_year_tick_format"))  # years: short enough beside long task names on a phone
fig.add_vline(x=pd.Timestamp(frame.as_of).timestamp() * 1000, line_dash="dash", line_color="#D55E00",
              annotation_text=state.t("as_of"), annotation_position="top left")
ui.chart(ui.layout(fig, state.t("date"), state.t("schedule_phase_task"), charts.bar_height(timeline["task"]), dates=True), key="timeline")

if not milestones.empty:
    shown = milestones.copy()
    shown["state"] = shown["state"].map(state_names)
    tables.table(shown, "milestones")
