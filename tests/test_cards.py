"""Tables as cards on a phone (dashboard_ui.cards): every column of every row, the text escaped."""

from __future__ import annotations

import pandas as pd

from dashboard_ui import cards


def test_a_card_holds_every_column_and_escapes_ledger_text():
    frame = pd.DataFrame({"指标": ["电商培训人次", '<a href="x">点我</a>'], "2024年6月30日": ["3,950 人次 · 存在风险", "1"],
                          "2024年10月31日": ["4,482 人次 · 已达标", None], "超计划": [True, False]})
    html = cards.cards_html(frame)
    assert html.count('class="phone-card"') == 2
    first = html.split('class="phone-card"')[1]
    # the title, then each other column as label and value: the current value is in the card, not cut off
    for text in ("电商培训人次", "2024年6月30日", "3,950 人次 · 存在风险", "2024年10月31日", "4,482 人次 · 已达标", "✓"):
        assert text in first, text
    assert "<a href" not in html and "&lt;a href=&quot;x&quot;&gt;点我&lt;/a&gt;" in html
    assert "—" in html.split('class="phone-card"')[2]  # a missing value reads "—", never None or nan
    assert "None" not in html and "nan" not in html


def test_two_title_columns_make_the_title():
    html = cards.cards_html(pd.DataFrame({"序号": ["1.1"], "细项": ["提升电商服务站点"], "计划": [60]}), title_columns=2)
    assert '<div class="title">1.1 提升电商服务站点</div>' in html and "<span>计划</span><span>60</span>" in html


def test_the_phone_shows_cards_and_the_desktop_the_table():
    assert f"@media (max-width: {cards.PHONE_PX}px)" in cards.CSS and 'st-key-widetable_' in cards.CSS
    assert f"@media (min-width: {cards.PHONE_PX + 1}px)" in cards.CSS and 'st-key-cards_' in cards.CSS
    assert 390 < cards.PHONE_PX < 1440  # a phone gets cards, a laptop the sortable table
