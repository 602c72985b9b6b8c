"""Tables that fit a phone: on a wide screen the sortable table; on a phone (narrower than PHONE_PX) each row as a
card, its first column as the card's title and every other column as "label: value" beneath, so no column is cut
off and nothing needs sideways scrolling (issue 24).

Both are in the page and CSS shows one (a server does not know the window's width). Every text is escaped: cells
can hold ledger text.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

PHONE_PX = 640

CSS = f"""<style>
@media (max-width: {PHONE_PX}px) {{ [class*="st-key-widetable_"] {{ display: none !important; }} }}
@media (min-width: {PHONE_PX + 1}px) {{ [class*="st-key-cards_"] {{ display: none !important; }} }}
.phone-cards {{ display: flex; flex-direction: column; gap: 8px; }}
.phone-card {{ border: 1px solid #d9d9d9; border-radius: 8px; padding: 8px 12px; }}
.phone-card .title {{ font-weight: 600; margin-bottom: 4px; overflow-wrap: anywhere; }}
.phone-card .field {{ display: flex; justify-content: space-between; gap: 12px; font-size: 0.95rem; }}
.phone-card .field span:first-child {{ color: #555; flex: 0 0 auto; }}
.phone-card .field span:last-child {{ text-align: right; overflow-wrap: anywhere; }}
</style>"""


def _text(value) -> str:
    if isinstance(value, (bool, np.bool_)):  # a tick, as the wide table draws it
        return "✓" if value else "—"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def cards_html(frame: pd.DataFrame, title_columns: int = 1) -> str:
    """The rows as cards: the first `title_columns` columns make the title (a line number and its name), the
    others "label  value" lines (all escaped)."""
    columns = [str(c) for c in frame.columns]
    cards = []
    for row in frame.itertuples(index=False):
        title = " ".join(_text(v) for v in row[:title_columns])
        fields = "".join(f'<div class="field"><span>{html.escape(label)}</span><span>{html.escape(_text(value))}'
                         f"</span></div>" for label, value in zip(columns[title_columns:], row[title_columns:]))
        cards.append(f'<div class="phone-card"><div class="title">{html.escape(title)}</div>{fields}</div>')
    return f'<div class="phone-cards">{"".join(cards)}</div>'


def table(frame: pd.DataFrame, key: str, title_columns: int = 1, **dataframe_args) -> None:
    """`frame` (already in the reader's words) as a sortable table on a wide screen and as cards on a phone."""
    st.html(CSS)
    with st.container(key=f"widetable_{key}"):
        st.dataframe(frame, hide_index=True, width="stretch", **dataframe_args)
    with st.container(key=f"cards_{key}"):
        st.html(cards_html(frame, title_columns))
