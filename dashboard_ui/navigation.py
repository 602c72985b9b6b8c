"""The router's list of pages: the one list the dashboard, the tests and the benchmark read.

Plain data (no streamlit import), so tests can read it without running the app.
"""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
DEFAULT_PAGE = "overview.py"

# (section key, file, title key, material icon); titles are data, shown in the chosen language.
NAVIGATION = [
    ("section_progress", "overview.py", "page_overview", ":material/dashboard:"),
    ("section_progress", "meeting.py", "page_meeting", ":material/slideshow:"),
    ("section_areas", "training.py", "page_training", ":material/school:"),
    ("section_areas", "retail.py", "page_retail", ":material/shopping_cart:"),
    ("section_areas", "talent.py", "page_talent", ":material/live_tv:"),
    ("section_areas", "brands.py", "page_brands", ":material/storefront:"),
    ("section_areas", "service.py", "page_service", ":material/local_shipping:"),
    ("section_areas", "publicity.py", "page_publicity", ":material/campaign:"),
    ("section_areas", "budget.py", "page_budget", ":material/account_balance:"),
    ("section_reference", "schedule.py", "page_schedule", ":material/event:"),
    ("section_reference", "acceptance.py", "page_acceptance", ":material/task:"),
    ("section_reference", "definitions.py", "page_definitions", ":material/menu_book:"),
    ("section_data", "explore.py", "page_explore", ":material/query_stats:"),
    ("section_data", "region.py", "page_region", ":material/map:"),
    ("section_data", "data_import.py", "page_import", ":material/upload_file:"),
]


def page_names() -> list[str]:
    """Every page by its file stem, in menu order (`overview`, `meeting`, ...)."""
    return [Path(file).stem for _, file, _, _ in NAVIGATION]


def url_path(name: str) -> str:
    """The page's URL path as Streamlit serves it: the default page at the root, the others by file stem."""
    return "" if f"{name}.py" == DEFAULT_PAGE else name
