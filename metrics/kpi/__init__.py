"""The KPIs at a date: status (pace and the status rule), scorecard (value, status, gap, forecast, history),
formatting, budget (plan vs spent), views (what pages show) and explore (the analyst's joined tables).
"""
