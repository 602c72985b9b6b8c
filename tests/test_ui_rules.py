"""Rules every page's source keeps, read from the code (fast): what a person sees in a field or in the frame."""

from __future__ import annotations

import ast

from . import source_tree


def calls(name: str):
    """(file, call) for every call of `<something>.name(...)` in pages/ and dashboard_ui/."""
    for path in sorted(source_tree.files("pages", "ui")):
        for node in source_tree.walk(path):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                yield path.name, node


def test_every_date_field_shows_a_date_in_the_dashboards_format():
    """Issue 24: the region's date field opened empty, showing Streamlit's placeholder "yyyy/mm/dd" in the Chinese
    UI. Every st.date_input names its format (YYYY-MM-DD, as every date the dashboard prints) and opens at a date,
    never at None."""
    found = []
    for file, call in calls("date_input"):
        keywords = {k.arg: k.value for k in call.keywords}
        fmt = keywords.get("format")
        if fmt is None:
            found.append(f"{file}:{call.lineno}: no format")
        elif not (isinstance(fmt, ast.Constant) and fmt.value == "YYYY-MM-DD") and not isinstance(fmt, ast.Name):
            found.append(f"{file}:{call.lineno}: format {ast.unparse(fmt)}")
        value = keywords.get("value", call.args[1] if len(call.args) > 1 else None)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            found.append(f"{file}:{call.lineno}: opens empty (value None): the field shows a placeholder")
    assert found == [], "\n".join(found)
