"""The acceptance pack's fixture shared by tests/test_acceptance.py and tests/test_acceptance_delivery.py: five small
ledgers whose answers are computed by hand in the comments, a copy of county.toml with the two training KPIs'
targets lowered to 4 (so that their proportional scores are not rounded away), and the pack built from them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

from metrics import actions
from metrics.core.config import DEFAULT_CONFIG, load_config
from metrics.load import ingest
from metrics.outputs import acceptance, acceptance_pack
from metrics.platform.auth import User

from .ledgers import csv_bytes

D = dt.date
AS_OF = D(2024, 10, 31)
EDITOR = User("clerk", "李会计", "editor", "local")
VIEWER = User("anonymous", "访客", "viewer", "anonymous")
RAW_ID = "11010519491231002X"
RAW_PHONE = "13812340119"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n"
# A twice (S1, S2), B once: 3 person-times, 2 people. B is known only by an ID number, A has a phone.
ATTENDANCE = f"场次编号,学员编号,身份证号,姓名,手机号\nS1,A,,张三,{RAW_PHONE}\nS1,,{RAW_ID},李四,\nS2,A,,张三,\n"
EVENTS = """活动编号,活动名称,类型,日期,地点,参与主体
HD1,乌鲁木齐推介会,推介活动,2023-08-18,乌鲁木齐,甲公司、乙合作社
HD2,创业大赛,电商创业大赛,2023-11-08,县城,
"""
BRANDS = """品牌名称,品牌类型,完成日期
冷水鱼,特色产业品牌,2023-09-30
山蜂蜜,特色产业品牌,2023-10-30
雪菊,特色产业品牌,2023-11-30
奶疙瘩,特色产业品牌,2024-01-30
"""
# Stage acceptance in county.toml: 阶段拨付 from 2023-04-28, 尾款 from 2024-04-12. V3 is a 阶段拨付 paid on
# 2023-03-10, before it: early. Total paid by 2024-10-31: 40 + 30 + 10 + 20 = 100 万元.
EXPENDITURES = """凭证号,支付日期,预算科目,金额（万元）,收款单位,拨付阶段
V1,2023-01-10,3.3,40,甲公司,预拨
V2,2023-06-10,3.3,30,甲公司,阶段拨付
V3,2023-03-10,4.1,10,乙培训学校,阶段拨付
V4,2024-05-01,4.1,20,乙培训学校,尾款
"""


def county_config(tmp_path):
    """county.toml with the two training KPIs' targets lowered to 4 (the `config` fixture of both test files)."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for kpi in ("training_person_times", "training_people"):
        text = re.sub(rf"(\[targets\.{kpi}\]\nmin = )\d+", r"\g<1>4", text)
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.targets["training_people"].min == 4 and cfg.targets["training_person_times"].min == 4
    return cfg


def built_pack(con, config):
    """The five ledgers loaded, one evidence PDF attached, and the pack built (the `pack` fixture): (data, files)."""
    files = [("sessions.csv", SESSIONS), ("attendance.csv", ATTENDANCE), ("events.csv", EVENTS),
             ("brands.csv", BRANDS), ("expenditures.csv", EXPENDITURES)]
    result = ingest.ingest_files(con, [(name, csv_bytes(text)) for name, text in files])
    assert result.committed, [e.as_text() for e in result.errors]
    events_load = con.execute("SELECT load_id FROM loads WHERE dataset = 'events'").fetchone()[0]
    actions.attach_evidence(con, EDITOR, events_load, "推介会签到表.pdf", PDF)
    data = acceptance.collect(con, AS_OF, "zh", config)
    return data, acceptance_pack.build(data)


@dataclasses.dataclass(frozen=True)
class BuiltPack:
    """The pack built once per test session and worker (`acceptance_built` in tests/conftest.py): the database file it
    was built from (tests copy it, never open it), the configuration and (data, files)."""
    path: Path
    config: object
    pack: tuple


def build_template(folder: Path, empty_template: Path) -> BuiltPack:
    """Load the five ledgers into a copy of the empty database, build the pack and close the file: building it per
    test cost ~1 s of setup each, and the tests only read the pack (a test that writes gets a copy of the file)."""
    from metrics.platform import store

    config = county_config(folder)
    path = folder / "acceptance.duckdb"
    shutil.copyfile(empty_template, path)
    con = store.connect(path)
    try:
        pack = built_pack(con, config)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return BuiltPack(path, config, pack)
