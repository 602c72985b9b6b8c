"""issue 27 step 4: the secrets file is validated once, when the dashboard or the command line starts; every
problem of every section is listed at once, in the reader's language, naming the key and never the secret."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from metrics.__main__ import main
from metrics.core.i18n import LANGUAGES
from metrics.outputs.secrets_check import SecretsError, check_secrets, secrets_problems
from metrics.platform.auth import hash_password

from .conftest import copy_demo

ROOT = Path(__file__).resolve().parent.parent
GOOD_HASH = hash_password("pw", rounds=1000)
# Two problems in two sections: an account's role that is no role, a 钉钉 channel without its signing secret.
# The webhook and the hash are secrets: neither may appear in any problem's words.
TWO_SECTIONS = f'''[local_users.li]
name = "李"
role = "boss"
password_hash = "{GOOD_HASH}"

[digest.dingtalk]
webhook = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN-4711"
'''


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_problems_in_two_sections_are_both_listed_in_each_language(tmp_path):
    path = write(tmp_path, TWO_SECTIONS)
    with pytest.raises(SecretsError) as caught:
        check_secrets(path)
    texts = {lang: caught.value.problem_texts(lang) for lang in LANGUAGES}
    assert texts["zh"] == ["local_users.li.role: 角色“boss”无效（可用：viewer, editor, admin）",
                           "digest.dingtalk.secret: 缺少"]
    assert texts["en"] == ["local_users.li.role: role “boss” is not a role (use viewer, editor, admin)",
                           "digest.dingtalk.secret: missing"]
    for lang in LANGUAGES:
        assert "TOKEN-4711" not in caught.value.message(lang) and GOOD_HASH not in caught.value.message(lang)


def test_a_hand_edited_hash_and_an_incomplete_oidc_section_are_named_without_their_values(tmp_path):
    bad_hash = "pbkdf2_sha256$many$salt$SECRETHASH"
    path = write(tmp_path, f'''[local_users."bad login"]
password_hash = "{bad_hash}"

[auth]
redirect_uri = "http://kpi.example/"
client_id = "id"
''')
    texts = [p.text("en") for p in secrets_problems(path)]
    assert texts == [
        "local_users.bad login: a login may hold letters, digits and - _ @ . only, and may not start with .",
        "local_users.bad login.password_hash: not a password hash as python -m metrics user-add writes it; "
        "set the password again with that command",
        "auth.cookie_secret: missing",
        "auth.redirect_uri: “http://kpi.example/” must be the dashboard's full address ending in /oauth2callback",
        "auth.client_secret: missing", "auth.server_metadata_url: missing"]
    assert not any("SECRETHASH" in text for text in texts)


def test_a_usable_file_an_absent_one_and_one_that_is_not_toml(tmp_path):
    good = write(tmp_path, f'''[local_users.li]
role = "admin"
password_hash = "{GOOD_HASH}"

[auth]
redirect_uri = "https://kpi.example/oauth2callback"
cookie_secret = "c"

[auth.office]
client_id = "i"
client_secret = "s"
server_metadata_url = "https://idp.example/.well-known/openid-configuration"

[digest.wecom]
webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
''')
    assert secrets_problems(good) == []
    assert secrets_problems(tmp_path / "none.toml") == []
    broken = tmp_path / "broken.toml"
    broken.write_text('[local_users.li\nrole = "admin"\n', encoding="utf-8")
    (problem,) = secrets_problems(broken)
    assert problem.text("en").startswith(f"{broken}: not valid TOML: ")


def test_the_command_line_refuses_with_every_problem_but_lets_user_add_mend_an_account(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KPI_SECRETS", str(write(tmp_path, TWO_SECTIONS)))
    db = str(tmp_path / "k.duckdb")
    assert main(["--db", db, "--lang", "en", "loads"]) == 1
    err = capsys.readouterr().err
    assert "the secrets file" in err and "local_users.li.role: role “boss”" in err
    assert "digest.dingtalk.secret: missing" in err and "TOKEN-4711" not in err
    # user-add is let through (it is how an account is mended); afterwards only the channel's problem is left.
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\na long password\n"))
    assert main(["--db", db, "user-add", "li", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "loads"]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == ["  digest.dingtalk.secret: 缺少"]


def test_the_dashboard_lists_the_problems_before_any_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_SECRETS", str(write(tmp_path, TWO_SECTIONS)))
    monkeypatch.setenv("KPI_DB", str(tmp_path / "d.duckdb"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and at.error[0].value.startswith("服务器的密钥文件有误")
    assert at.code[0].value.splitlines() == ["local_users.li.role: 角色“boss”无效（可用：viewer, editor, admin）",
                                             "digest.dingtalk.secret: 缺少"]
    assert "TOKEN-4711" not in at.code[0].value
    assert not at.get("plotly_chart") and not at.metric  # no page ran


def test_signing_in_against_a_hand_edited_hash_is_a_refusal_not_a_traceback(tmp_path):
    """Before: `int("many")` raised out of verify_password at sign-in."""
    from metrics.platform.auth import authenticate

    path = write(tmp_path, '[local_users.li]\nrole = "admin"\npassword_hash = "pbkdf2_sha256$many$salt$00"\n')
    assert authenticate("li", "pw", path) is None


def test_a_channel_added_to_the_table_is_checked_and_sent_with_no_other_edit(tmp_path, monkeypatch):
    """The recipe of docs/architecture.md: one Channel row (its sender, its settings' rule) and its name."""
    from metrics.outputs import digest, digest_channels

    sent = []
    sms = digest_channels.Channel("sms", ("gateway",), lambda record, settings, pdf: sent.append(
        (record["subject"], settings["gateway"])) or (True, "ok"), lambda where, entry: [])
    monkeypatch.setitem(digest_channels.CHANNELS, "sms", sms)
    path = write(tmp_path, '[digest.sms]\nsender = "county"\n')
    assert [p.text("en") for p in secrets_problems(path)] == ["digest.sms.gateway: missing"]
    path.write_text('[digest.sms]\ngateway = "https://sms.example"\n', encoding="utf-8")
    assert secrets_problems(path) == [] and digest.load_channels(path) == {"sms": {"gateway": "https://sms.example"}}
    assert digest.deliver("sms", {"subject": "周报"}, {"gateway": "https://sms.example"}) == (True, "ok")
    assert sent == [("周报", "https://sms.example")]


def test_the_admins_channel_form_asks_for_the_fields_of_the_channels_row(tmp_path, monkeypatch, demo_template):
    import time

    from streamlit.testing.v1 import AppTest

    from metrics.outputs.digest_channels import CHANNELS
    from metrics.platform.auth import User

    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "none.toml"))
    # The database a first visit makes (the demo loaded into it), copied rather than loaded again by the frame.
    monkeypatch.setenv("KPI_DB", str(copy_demo(demo_template, tmp_path / "d.duckdb")))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["user"] = User("root", "管理员", "admin", "local")
    at.session_state["user_seen"] = time.time()
    at.run()
    at.switch_page("pages/data_import.py").run()
    for name, channel in CHANNELS.items():
        at.selectbox(key="digest_channel").select(name).run()
        assert not at.exception, [e.value for e in at.exception]
        widgets = [*at.text_input, *at.number_input, *at.selectbox, *at.text_area]
        asked = [w.key for w in widgets if (w.key or "").startswith("digest_") and w.key != "digest_channel"]
        assert sorted(asked) == sorted(f"digest_{field.key}" for field in channel.fields), name
    secrets = [w.key for w in at.text_input if w.proto.type == w.proto.PASSWORD]
    assert secrets == ["digest_password"]  # email's one secret, typed into a password box
