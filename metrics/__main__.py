"""The command line: python -m metrics [--db PATH] [--lang zh|en] COMMAND ...

Exit codes: 0 success, 1 refused (bad input, with the full problem report), 2 usage error. Bad input never
produces a Python traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from metrics import actions
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.i18n import LANGUAGES, t
from metrics.load import ingest
from metrics.outputs.briefing_formats import FORMATS
from metrics.outputs.secrets_check import check_secrets
from metrics.platform import store
from metrics.platform.auth import ROLES, command_line_user

# Control characters a terminal would act on (ESC sequences retitle the window, clear the screen, fake output; bidi
# overrides reorder what is read): C0 but newline and tab, DEL, C1, and the bidi controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text with every control character shown escaped (\\x1b), as it is printed by every command."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def _print(text: str = "") -> None:
    print(terminal_safe(text), flush=True)


def _err(text: str) -> None:
    print(terminal_safe(text), file=sys.stderr, flush=True)


def cmd_ingest(args, con) -> int:
    tokens = list(args.items)
    dataset = None
    if tokens and tokens[0] in DATASETS and not Path(tokens[0]).exists():
        dataset = tokens.pop(0)
    if not tokens:
        _err(_both("cli_usage", " ") + ": python -m metrics ingest [DATASET] FILE...")
        return 2
    missing = [t for t in tokens if not Path(t).is_file()]
    if missing:
        _err(t("cli_file_not_found", args.lang) + ", ".join(missing))
        return 2
    result = actions.load_paths(con, command_line_user(args.user), [Path(t) for t in tokens], dataset, replace=args.replace)
    for outcome in result.outcomes:
        _print(outcome.summary(args.lang))
    if not result.committed:
        # Every error, so the clerk can fix the whole file in one go; warnings after them.
        for problem in result.errors:
            _err("  " + problem.as_text(args.lang))
        _err(ingest.t("refused_batch", args.lang))
    warnings = [p for p in result.problems if not p.is_error]
    for problem in warnings[:50]:
        _print("  " + problem.as_text(args.lang))
    if len(warnings) > 50:
        _print(f"  … {len(warnings) - 50} " + t("cli_more_warnings", args.lang))
    return 0 if result.committed else 1


def cmd_loads(args, con) -> int:
    log = ingest.load_log(con)
    if log.empty:
        _print(t("cli_no_loads_yet", args.lang))
        return 0
    for row in log.itertuples():  # the ledger's name, or its id where the catalogue says so (English)
        name = t("cli_loads_dataset", args.lang, name_zh=DATASETS[row.dataset].label(args.lang), name_en=row.dataset)
        status = {"active": t("cli_active", args.lang), "undone": t("cli_undone", args.lang)}[row.status]
        _print(f"{row.load_id:>5}  {row.loaded_at:%Y-%m-%d %H:%M}  {name:<10}  {row.file_name}  "
               f"+{row.rows_added} ~{row.rows_replaced} ={row.rows_unchanged}  {row.loaded_by}  {status}"
               f"  {row.sha256[:12]}")
    return 0


def cmd_undo(args, con) -> int:
    result = actions.undo_load(con, command_line_user(args.user), args.load_id)
    (_print if result.ok else _err)(result.message(args.lang))
    return 0 if result.ok else 1


def cmd_templates(args, con) -> int:
    from metrics.load.templates import write_templates

    for path in write_templates(Path(args.dir)):
        _print(str(path))
    return 0


def cmd_demo(args, con) -> int:
    from metrics.demo import load_demo, load_demo_if_empty

    result = load_demo_if_empty(con) if args.if_empty else load_demo(con)
    if result is None:  # --if-empty on a database that has loads: nothing to do
        return 0
    for outcome in result.outcomes:
        _print(outcome.summary(args.lang))
    if not result.committed:
        for problem in result.errors:
            _err("  " + problem.as_text(args.lang))
        return 1
    return 0


def _parse_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def cmd_scorecard(args, con) -> int:
    import json

    from metrics.core.config import ConfigError
    from metrics.kpi.scorecard import scorecard

    try:
        results = scorecard(con, args.as_of, lang=args.lang)
    except ConfigError as exc:
        _err(_both("cli_config_problems", " ") + ":\n  " + "\n  ".join(exc.problems))
        return 1
    if args.json:
        from metrics.core.config import default_config

        config = default_config()  # each KPI carries its reference series (value, year, source)
        _print(json.dumps([{**r.as_json(), "references": [ref.as_json() for ref in config.references_for(r.id)]}
                           for r in results], ensure_ascii=False, indent=2))
        return 0
    from metrics.kpi.formatting import scorecard_table

    _print(scorecard_table(results, args.lang))
    return 0


def _new_password() -> str | None:
    """The password, asked twice: at a terminal by prompt, otherwise two lines on stdin. Never a command-line
    argument, which every user of the machine can read in the process list and the shell history."""
    import getpass as gp

    if sys.stdin.isatty():
        first, second = gp.getpass(_both("cli_password", " ") + ": "), gp.getpass(_both("cli_again", " ") + ": ")
    else:
        lines = sys.stdin.read().splitlines()
        first, second = (lines + ["", ""])[:2]
    return first if first == second else None


def cmd_user_add(args, con) -> int:
    from metrics.platform.auth import add_local_account, secrets_path

    password = _new_password()
    if password is None:
        _err(_both("cli_passwords_differ"))
        return 1
    if len(password) < 8:
        _err(_both("cli_password_short"))
        return 1
    try:
        add_local_account(args.login, password, args.role, args.name)
    except ValueError as exc:
        _err(exc.message(args.lang) if isinstance(exc, DashboardError) else str(exc))
        return 2
    _print(f"{args.login} ({args.role}) -> {secrets_path()}")
    return 0


def cmd_sql(args, con) -> int:
    from metrics.platform.sandbox import SandboxError, build_sandbox, run_query

    try:
        result = run_query(build_sandbox(con), args.query)
    except SandboxError as exc:
        _err(exc.message(args.lang))
        return 1
    if args.csv:
        from metrics.kpi.explore import neutralised

        # Formulas neutralised as in the dashboard's downloads; control characters escaped as in every message.
        sys.stdout.write(terminal_safe(neutralised(result.frame).to_csv(index=False)))
    else:
        _print(result.frame.to_string(index=False, max_rows=200))
    if result.truncated:
        _err(t("cli_result_truncated", args.lang))
    return 0


def cmd_report(args, con) -> int:
    from metrics.outputs.briefing_formats import export

    try:
        content = export(con, args.format, args.as_of, args.compare, args.lang)
    except RuntimeError as exc:  # no Chromium for the PDF (a format not in the table: main says so)
        _err(str(exc))
        return 1
    Path(args.out).write_bytes(content)
    _print(f"{args.out} ({len(content):,} bytes)")
    return 0


def cmd_acceptance(args, con) -> int:
    import time

    from metrics.core.config import ConfigError
    from metrics.outputs.acceptance import PackTooLarge, collect
    from metrics.outputs.acceptance_pack import build

    started = time.perf_counter()
    try:
        data = collect(con, args.as_of, args.lang)
    except ConfigError as exc:
        _err(_both("cli_config_problems", " ") + ":\n  " + "\n  ".join(exc.problems))
        return 1
    except PackTooLarge as exc:
        _err(exc.message(args.lang))
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in build(data).items():
        (out / name).write_bytes(content)
        _print(f"{out / name} ({len(content):,} bytes)")
    _print(t("cli_took", args.lang) + f" {time.perf_counter() - started:.1f} s")
    return 0


def cmd_publish(args, con) -> int:
    """政务公开: write the public site into --out and record it as prepared (an administrator approves it in the
    dashboard before the zip can be downloaded there)."""
    from metrics.core.config import ConfigError
    from metrics.outputs.publish import PublicationRefused, files_digest

    try:
        number, files = actions.prepare_publication(con, command_line_user(args.user), args.as_of, args.lang,
                                                    with_pdf=not args.no_pdf)
    except ConfigError as exc:
        _err(_both("cli_config_problems", " ") + ":\n  " + "\n  ".join(exc.problem_texts(args.lang)))
        return 1
    except PublicationRefused as exc:
        _err(exc.message(args.lang))
        return 1
    out = Path(args.out)
    for name, content in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(0o644)  # public by design: the webmaster's server must read it (the process umask is 077)
        _print(f"{target} ({len(content):,} bytes)")
    _print(t("cli_publish_recorded", args.lang, number=number, digest=files_digest(files)[:12]))
    return 0


def cmd_backup(args) -> int:
    from metrics.platform.maintenance import MaintenanceError, backup

    try:
        target = backup(store.default_db_path() if not args.db else Path(args.db), args.dir and Path(args.dir),
                        keep=args.keep or None)
    except (MaintenanceError, store.StoreBusy) as exc:
        _err(exc.message(args.lang))
        return 1
    _print(str(target))
    return 0


def cmd_restore(args) -> int:
    from metrics.platform.maintenance import MaintenanceError, restore

    try:
        kept = restore(Path(args.file), store.default_db_path() if not args.db else Path(args.db))
    except (MaintenanceError, store.StoreBusy) as exc:
        _err(exc.message(args.lang))
        return 1
    _print(t("cli_restored", args.lang) + str(kept))
    return 0


def cmd_rotate_key(args, con) -> int:
    from metrics.platform.maintenance import MaintenanceError, rotate_key

    try:
        count = rotate_key(con)
    except MaintenanceError as exc:
        _err(exc.message(args.lang))
        return 1
    _print(f"re-keyed {count} rows")
    return 0


def cmd_digest(args) -> int:
    from metrics.core.config import ConfigError
    from metrics.outputs import digest

    if not args.send:  # print only: nothing recorded, so the next sent digest still covers these changes
        try:
            con = store.connect(args.db, read_only=True, retries=5)
        except store.StoreBusy as exc:
            _err(ingest.t("db_busy", args.lang, detail=str(exc)))
            return 1
        try:
            composed = digest.compose(con, args.since, args.as_of, args.lang)
        except ConfigError as exc:
            _err(_both("cli_config_problems", " ") + ":\n  " + "\n  ".join(exc.problems))
            return 1
        finally:
            con.close()
        _print(composed.text())
        return 0
    try:
        channels = digest.load_channels()
    except digest.DigestConfigError as exc:
        _err(t("cli_digest_config", args.lang) + ":\n  " + "\n  ".join(exc.problem_texts(args.lang)))
        return 1
    if not channels:
        _err(_both("cli_no_channel", "/ "))
        return 1
    try:
        report = digest.run(args.db, args.since, args.as_of, args.lang, args.attach_briefing, channels)
    except store.StoreBusy as exc:
        _err(ingest.t("db_busy", args.lang, detail=str(exc)))
        return 1
    except ConfigError as exc:
        _err(_both("cli_config_problems", " ") + ":\n  " + "\n  ".join(exc.problems))
        return 1
    for line in digest.report_lines(report, args.lang):
        (_err if t("digest_failed_retried", args.lang) in line else _print)(line)
    return 1 if report.failed else 0


def cmd_region(args) -> int:
    from metrics.demo import demo_needs_writing, write_demo
    from metrics.outputs.region import RegionError, default_cache_dir, read_region, region_text

    directory = Path(args.dir)
    if args.demo_if_needed:  # scripts/start.sh: the demo counties on the first start, again after an upgrade
        if not demo_needs_writing(directory):
            return 0
        args.demo = True
    if args.demo:
        for path in write_demo(directory):
            _print(str(path))
    if not directory.is_dir():
        _err(f"{_both('cli_no_folder')}: {directory}")
        return 2
    try:
        region = read_region(directory, args.as_of, args.lang, None if args.no_cache else default_cache_dir())
    except RegionError as exc:
        _err(exc.message(args.lang))
        return 1
    if not region.counties:
        _err(_both("cli_no_snapshots", "/ ", directory=directory))
        return 1
    _print(region_text(region, args.lang, args.kpi))
    return 0
class _Parser(argparse.ArgumentParser):
    """Usage errors quote what was typed (an unknown command, a bad date): escaped like every other message."""

    def _print_message(self, message: str, file=None) -> None:
        super()._print_message(terminal_safe(message) if message else message, file)


def _both(key: str, separator: str = " / ", **values) -> str:
    """A message in every language at once, for what is said before (or whatever) --lang is read."""
    return separator.join(t(key, lang, **values) for lang in LANGUAGES)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m metrics", description=t("cli_description"))
    parser.add_argument("--db", help="DuckDB file (default: $KPI_DB, else data/kpi.duckdb)")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh")
    parser.add_argument("--user", default=None, help="who is loading (recorded in the load log)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="load ledger files (the dataset is recognised from the headers if omitted)")
    p.add_argument("items", nargs="+", metavar="[DATASET] FILE")
    p.add_argument("--replace", action="store_true",
                   help="the files are each ledger whole: remove stored rows they do not hold (undo puts them back)")
    p.set_defaults(func=cmd_ingest)
    sub.add_parser("loads", help="the load log").set_defaults(func=cmd_loads)
    p = sub.add_parser("undo", help="undo a load, restoring the state before it")
    p.add_argument("load_id", type=int)
    p.set_defaults(func=cmd_undo)
    p = sub.add_parser("templates", help="write an .xlsx template per dataset")
    p.add_argument("dir")
    p.set_defaults(func=cmd_templates)
    p = sub.add_parser("demo", help="load the demo ledgers")
    p.add_argument("--if-empty", action="store_true",
                   help="only into a database nothing was ever loaded into (what scripts/start.sh does)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("user-add", help="add or change a local dashboard account (written to the secrets file); "
                       "the password is asked twice (or read as two lines from stdin)")
    p.add_argument("login")
    p.add_argument("--role", choices=ROLES, default="editor")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_user_add)
    p = sub.add_parser("sql", help="a read-only SELECT over the ledgers, in a sandbox")
    p.add_argument("query")
    p.add_argument("--csv", action="store_true")
    p.set_defaults(func=cmd_sql)
    p = sub.add_parser("report", help="the meeting briefing as PPTX or PDF")
    p.add_argument("--as-of", type=_parse_date, default=None)
    p.add_argument("--compare", type=_parse_date, default=None, help="an earlier date: say what changed since")
    p.add_argument("--format", choices=list(FORMATS), required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("acceptance", help="the acceptance pack: Word report, self-evaluation sheet and evidence zip at a date")
    p.add_argument("--as-of", type=_parse_date, default=None,
                   help="YYYY-MM-DD (a stage, or the final date); default: the latest KPI deadline the data reaches")
    p.add_argument("--out", required=True, help="folder for the three files")
    p.set_defaults(func=cmd_acceptance)
    p = sub.add_parser("publish", help="the public static site of progress and spending for the county website, into a folder")
    p.add_argument("--as-of", type=_parse_date, default=None, help="YYYY-MM-DD (default: the latest data date)")
    p.add_argument("--out", required=True, help="folder for index.html, style.css, charts/, print.html, print.pdf")
    p.add_argument("--no-pdf", action="store_true", help="without print.pdf (a machine without Chromium)")
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser("backup", help="a consistent copy of the database into DIR (default: $KPI_BACKUP_DIR, else "
                       "data/backups; safe while the dashboard runs), keeping the newest --keep copies")
    p.add_argument("dir", nargs="?", default=None)
    p.add_argument("--keep", type=int, default=14, help="copies kept (default 14; 0: keep all)")
    p.set_defaults(func=cmd_backup, no_connection=True)
    p = sub.add_parser("restore", help="replace the database with a backup (the current one is kept beside it)")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore, no_connection=True)
    sub.add_parser("rotate-key", help="re-key the stored ID-number hashes with a new key").set_defaults(
        func=cmd_rotate_key)
    p = sub.add_parser("digest", help="what changed since the last digest; --send pushes it to WeCom/DingTalk/e-mail")
    p.add_argument("--since", type=_parse_date, default=None, help="YYYY-MM-DD (default: the last digest sent)")
    p.add_argument("--as-of", type=_parse_date, default=None, help="KPIs at this date (default: the latest data date)")
    p.add_argument("--send", action="store_true", help="send to every channel in the secrets file and record it")
    p.add_argument("--attach-briefing", action="store_true", help="attach the briefing PDF to the e-mail")
    p.set_defaults(func=cmd_digest, no_connection=True)
    p = sub.add_parser("region", help="county snapshots (backup files) in DIR side by side, read-only")
    p.add_argument("dir")
    p.add_argument("--as-of", type=_parse_date, default=None, help="YYYY-MM-DD (default: each county's latest data)")
    p.add_argument("--kpi", action="append", default=None, help="only these KPIs' league tables (repeatable)")
    p.add_argument("--demo", action="store_true", help="first write seven Altay demo counties (demo data) into DIR")
    p.add_argument("--demo-if-needed", action="store_true",
                   help="write them only when DIR is missing or holds only demo counties of an older version")
    p.add_argument("--no-cache", action="store_true",
                   help="score every snapshot again (default: unchanged snapshots come from $KPI_REGION_CACHE)")
    p.set_defaults(func=cmd_region, no_connection=True)
    p = sub.add_parser("scorecard", help="every KPI against its target at a date")
    p.add_argument("--as-of", type=_parse_date, default=None, help="YYYY-MM-DD (default: the latest data date)")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per KPI")
    p.set_defaults(func=cmd_scorecard)
    for name in ("report", "acceptance", "publish", "digest", "region", "scorecard"):  # --lang after these too
        sub.choices[name].add_argument("--lang", choices=LANGUAGES, default=None, dest="sub_lang")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # the benchmark drives the whole dashboard, so it lives outside the library
        import subprocess

        from metrics.core.config import PROJECT_ROOT

        return subprocess.call([sys.executable, "-m", "benchmarks", *argv[1:]], cwd=PROJECT_ROOT)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "sub_lang", None):
        args.lang = args.sub_lang  # --lang accepted after the command too
    try:
        if args.func is not cmd_user_add:  # user-add is let through: it is how a bad account is mended
            check_secrets()  # SecretsError: every problem of the secrets file, before any command runs
        if getattr(args, "no_connection", False):  # these manage the database file itself
            return args.func(args)
        con = store.connect(args.db, retries=5)
        try:
            return args.func(args, con)
        finally:
            con.close()
    except BrokenPipeError:  # output piped into head: not an error of ours
        return 0
    except DashboardError as exc:  # a busy or damaged database, a full disk, a refusal: one sentence, no traceback
        _err(exc.message(args.lang))
        return 1
    except duckdb.Error as exc:
        from metrics.platform import faults

        if not faults.is_damage(exc):  # a bad block found mid-query: the file is damaged, not the command
            raise
        _err(faults.DatabaseDamaged(args.db or store.default_db_path(), faults.first_line(exc)).message(args.lang))
        return 1


if __name__ == "__main__":
    sys.exit(main())
