"""Column headers and milestone states still as (中文, English) pairs: to move into metrics/locales (issue 16)."""

from __future__ import annotations

COLUMNS: dict[str, tuple[str, str]] = {
    "month": ("月份", "Month"), "sessions": ("场次", "Sessions"), "person_times": ("人次", "Person-times"),
    "new_people": ("新增学员", "New trainees"), "person_times_total": ("累计人次", "Cumulative person-times"),
    "people_total": ("累计人数", "Cumulative people"), "category": ("类别", "Category"),
    "conversions": ("转化记录", "Conversions"), "counted": ("计入转化率", "Counted"),
    "first_session": ("首次参训", "First session"), "total_12m": ("近12个月合计（万元）", "Trailing 12 months (10k yuan)"),
    "agri_12m": ("农产品近12个月（万元）", "Agri trailing 12 months (10k yuan)"),
    "growth_vs_baseline": ("较基准年增长", "Growth vs baseline"), "agri_yoy": ("农产品同比", "Agri YoY"),
    "followers": ("粉丝数", "Followers"), "all_platforms": ("各平台合计（不计入）", "All platforms (not counted)"),
    "counts": ("计入万粉主播", "Counts"), "talents": ("达人数", "Talents"), "completed": ("已完成", "Completed"),
    "launched": ("已上线", "Launched"), "participant_count": ("参与主体数", "Participants"),
    "stations": ("站点数", "Stations"), "operating": ("运营中", "Operating"), "pickup_points": ("自提点", "Pickup points"),
    "places": ("数量", "Places"), "covered": ("已覆盖", "Covered"), "all_three": ("三项全部完成", "All three done"),
    "accepted": ("已验收", "Accepted"), "orders": ("补贴单数", "Orders"), "amount_yuan": ("补贴金额（元）", "Subsidy (yuan)"),
    "per_order": ("单均补贴（元）", "Per order (yuan)"), "year": ("年度", "Year"), "items": ("篇（次）数", "Items"),
    "reads": ("阅读量", "Reads"), "state": ("状态", "State"), "participant": ("参与主体", "Participant"),
    "events": ("参加场次", "Events"), "first_event": ("首次参加", "First event"), "home": ("学员乡镇", "Trainee's township"),
    "line_id": ("序号", "Line"), "plan_wan": ("计划（万元）", "Plan (10k yuan)"), "spent_wan": ("已支付（万元）", "Spent (10k yuan)"),
    "execution": ("执行率", "Execution"), "expected_wan": ("按进度应支（万元）", "Expected by pace (10k yuan)"),
    "over_plan": ("超出计划", "Over plan"), "name_zh": ("细项", "Item"), "name_en": ("细项", "Item"),
    "group_zh": ("支持内容", "Group"), "group_en": ("支持内容", "Group"), "group_id": ("序号", "No."),
}

MILESTONE_STATES = {
    "done": ("按期完成", "done on time"), "done_late": ("延期完成", "done late"), "overdue": ("已逾期", "overdue"),
    "in_progress": ("进行中", "in progress"), "not_started": ("未开始", "not started"),
}
