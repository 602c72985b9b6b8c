"""English. Same keys and the same {placeholders} as zh.py (tests/test_messages.py checks both, and that no Chinese
is left in the English text).
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # === ledgers and loading: problems, warnings, outcomes (metrics: reader, rules, forms, ingest, actions) ===
    # file-level problems
    "empty_file": "the file is empty",
    "not_a_spreadsheet": (
        "cannot be read: not a valid Excel or CSV spreadsheet ({detail}). Upload .xlsx, .xlsm, .xlsb, .xls, ."
        "ods, .et or .csv"
    ),
    "unsupported_type": "unsupported file type {detail}: upload .xlsx, .xlsm, .xlsb, .xls, .ods, .et or .csv",
    "no_header": "no header of {dataset} in the first 6 rows: is this the template?",
    "no_header_any": (
        "no ledger's header in the first {rows} rows: the header must be within the first {rows} rows (at most "
        "{title_rows} title rows above it); delete the extra title rows and upload again"
    ),
    "unknown_dataset": "cannot tell the dataset from the headers; name it. Closest: {candidates}",
    "ambiguous_dataset": "the headers fit several datasets: {candidates}; name one",
    "missing_column": "required column '{column}' is missing",
    "missing_one_of": "one of the columns '{a}' and '{b}' is needed",
    "no_rows": "no data rows below the header",
    "cell_too_long": (
        "the cell in sheet '{sheet}', row {row}, column {column} holds {length} characters, over the limit of "
        "{limit} per cell; nothing was loaded"
    ),
    "text_too_large": (
        "the file's cells hold more text than allowed ({limit} characters, reached in sheet '{sheet}'); nothing "
        "was loaded"
    ),
    "too_large": "the file is too large ({detail}); the limit is {limit}",
    # cell-level problems
    "required": "required value is empty",
    "bad_date": "not a valid date; write 2023-05-12, 2023/5/12, 2023年5月12日 or 20230512",
    "bad_month": "not a valid month; write 2023-05, 2023/5, 2023年5月 or 202305",
    "bad_number": "not a valid number",
    "not_integer": "must be a whole number",
    "bad_bool": "must be yes/no (是/否, Y/N, 1/0, ✓/✗, 有/无)",
    "bad_enum": "not an allowed value; choose one of: {allowed}",
    "bad_township": "not a township of this county; choose one of: {allowed}",
    "bad_budget_line": "not a budget line of the plan; write its number or name: {allowed}",
    "negative": "must not be negative",
    "not_positive": "must be greater than 0",
    "duplicate_key": "duplicates row {other} ({key})",
    "missing_trainee": "both trainee id and ID number are empty",
    "bad_id_number": "ID number malformed (18 characters, the last may be X)",
    "unknown_session": "session id not found in training sessions (load the sessions first, or together)",
    "agri_above_total": "agricultural retail ({agri}) exceeds the county total ({total})",
    "planned_end_before_start": "planned end is before planned start",
    "two_columns_one_field": (
        "'{a}' (column {col_a}) and '{b}' (column {col_b}) both map to '{field}': keep only the column to load "
        "(e.g. the actual amount), delete the other, and load again"
    ),
    "data_without_header": (
        "column {col} holds data but has no header (the column to its left is '{left}'): give it a header or "
        "delete it"
    ),
    "unit_conflict": "the header's unit '{header_unit}' contradicts the title row '{title}': make them agree",
    "unknown_unit": (
        "the header's unit '{found}' is not a money unit: amount columns take {allowed}; rewrite the header, "
        "e.g. '金额（{unit}）'"
    ),
    "title_units_conflict": "the title rows give two different units ('{a}' and '{b}'): keep the right one",
    "key_as_number": (
        "the number was stored in scientific notation and its last digits are lost: format the column as text "
        "and type the numbers again"
    ),
    "id_number_as_number": (
        "the ID number was stored as a number and its last digits are lost: format the column as text and type "
        "the numbers again"
    ),
    "amount_over_budget": (
        "'{column}' adds up to {total} 万元 (10k yuan), more than the whole project budget of {budget} 万元: most "
        "likely a unit mistake (amounts in 元 read as 万元). Name the unit in the header, e.g. '金额（元）', or write "
        "'单位：元' in the title rows"
    ),
    "amount_over_line": (
        "one payment of {amount} 万元 is more than the whole plan of budget line {line} ({plan} 万元): most likely "
        "a unit mistake (元 read as 万元); check it"
    ),
    "wrong_ledger": (
        "not {dataset_en}: the required columns {missing} are missing; this looks like {looks_like_en}: choose "
        "that dataset"
    ),
    "sheet_missing_columns": (
        "this sheet looks like {dataset_en} too but lacks the required columns {missing}: add them, or move the "
        "sheet out of the workbook"
    ),
    "sheet_lacks_columns": (
        "this sheet looks like {dataset_en} but lacks the required columns {missing}: add them and upload again;"
        " if it is no ledger, move it out of the workbook"
    ),
    "duplicate_key_sheet": "duplicates row {other} of sheet '{other_sheet}' ({key})",
    "save_as_xlsx": (
        "this WPS spreadsheet (.et) cannot be read: save it as .xlsx in WPS and upload that. Accepted types: "
        "{accepted}"
    ),
    "pii_in_key": "{column} must not be a {kind_en} (use an identifier; personal data is never stored as one)",
    # warnings (do not block)
    "w_pii_masked": "holds a {kind_en}: stored masked",
    "w_extra_column": "extra column '{column}' is not used; kept aside",
    "w_future_date": "date is after today ({today})",
    "w_outlier": "value is over 10x the column median ({median}): check it",
    "w_unit_converted": "header unit is '{found}'; converted to {unit}",
    "w_id_checksum": "ID number check digit does not match: check it",
    "w_unknown_trainee": "trainee not in attendance records; not counted in the conversion rate",
    "w_unknown_talent": "talent id not in the talents list",
    "w_title_rows": "header found on row {header_row}; title rows above it skipped",
    "w_hidden_row": (
        "this row is hidden in the spreadsheet but was loaded as data: if it is void, delete the row and upload "
        "again"
    ),
    "w_skipped_row": "is a {kind_en}; skipped",
    "w_total_mismatch": "the totals row says {stated}, the rows above add up to {summed}: check them",
    "w_two_row_header": "the header takes two rows ({first}–{last}); group and sub-headers read together",
    "w_title_unit": "the header names no unit; read in {found} as the title row '{title}' says, converted to {unit}",
    "w_title_value": "no '{column}' column; every row takes it from the title row '{cell}'",
    "w_sheets_combined": "sheets {sheets} are all {dataset_en}; loaded together",
    "w_sheet_skipped": "this sheet is not a ledger the dashboard knows (closest: {closest}); skipped",
    "w_stored_not_in_file": (
        "{count} stored rows are not in this file: {examples}. If the file is the whole ledger, choose 'the file "
        "is the whole ledger' (--replace on the command line)"
    ),
    # outcomes
    "loaded": "loaded {file} ({dataset}): {added} added, {replaced} replaced, {unchanged} unchanged, load {load_id}",
    "noop": "{file} ({dataset}) is identical to the stored data; nothing changed ({unchanged} rows)",
    "noop_same_file": "{file} ({dataset}) was already loaded as load {load_id}; nothing changed",
    "not_loaded": "{file} ({dataset}) has no errors itself, but other files of the batch do; nothing was loaded",
    "removed": "removed {removed} stored rows not in {file} ({dataset}), load {load_id} (can be undone)",
    "replace_blocked_orphans": (
        "making the file the whole ledger would remove sessions that {count} attendance rows refer to (e.g. {example})"
        ": upload the attendance too, or do not replace"
    ),
    "refused": "{file}: {errors} problems found; nothing was loaded",
    "refused_batch": "problems in this batch; nothing was loaded, the database is unchanged",
    "undone": "undid load {load_id}: {removed} rows removed, {restored} restored",
    "undo_unknown": "there is no load {load_id}",
    "undo_already": "load {load_id} was already undone at {when}",
    "undo_blocked_later": "rows of load {load_id} were replaced by later load(s) {later}: undo those first",
    "undo_blocked_orphans": "undoing would leave {count} attendance rows without their session (e.g. {example}); undo those first",
    "key_mismatch": (
        "the ID-number hashing key differs from the one this database was loaded with (new machine or lost key "
        "file); refused so one person is not counted twice. Restore the original key (KPI_HASH_KEY or the key "
        "file)"
    ),
    "config_problems": "configuration file {path} has problems: {problems}",
    "digest_config": "the digest channels are misconfigured: {problems}",
    "permission_denied": "not allowed",
    "db_busy": "the database is being written by another program ({detail}); try again shortly",
    "severity_error": "error",
    "severity_warning": "warning",

    # === KPIs and ledgers: names, units, descriptions (metrics: registry, datasets) ===
    "area_training": "Training and conversion",
    "area_retail": "Online retail",
    "area_talent": "Talents and streamers",
    "area_brands": "Brands and promotion",
    "area_service": "Service system",
    "area_publicity": "Publicity",
    "area_budget": "Budget",
    "kpi_training_person_times_name": "Training person-times",
    "kpi_training_person_times_unit": "person-times",
    "kpi_training_person_times_unit_one": "person-time",
    "kpi_training_person_times_description": "attendance rows whose session is on or before the date",
    "kpi_training_people_name": "People trained",
    "kpi_training_people_unit": "people",
    "kpi_training_people_unit_one": "person",
    "kpi_training_people_description": "distinct trainees in those rows",
    "kpi_training_conversion_rate_name": "Training conversion rate",
    "kpi_training_conversion_rate_unit": "%",
    "kpi_training_conversion_rate_unit_one": "%",
    "kpi_training_conversion_rate_description": "distinct trainees converted on or after their first session ÷ people trained",
    "kpi_online_retail_growth_name": "County online retail growth",
    "kpi_online_retail_growth_unit": "%",
    "kpi_online_retail_growth_unit_one": "%",
    "kpi_online_retail_growth_description": "trailing 12 months of county online retail ÷ the baseline year − 1; no data if a month is missing",
    "kpi_agri_online_retail_yoy_name": "Agricultural online retail YoY",
    "kpi_agri_online_retail_yoy_unit": "%",
    "kpi_agri_online_retail_yoy_unit_one": "%",
    "kpi_agri_online_retail_yoy_description": "trailing 12 months of agricultural retail ÷ the 12 months before − 1; needs 24 months",
    "kpi_tourism_hit_products_name": "Tourism hit products",
    "kpi_tourism_hit_products_unit": "products",
    "kpi_tourism_hit_products_unit_one": "product",
    "kpi_tourism_hit_products_description": "products of type tourism hit launched",
    "kpi_industry_brands_name": "Industry brands",
    "kpi_industry_brands_unit": "brands",
    "kpi_industry_brands_unit_one": "brand",
    "kpi_industry_brands_description": "industry brands completed",
    "kpi_online_brands_name": "Online brands",
    "kpi_online_brands_unit": "brands",
    "kpi_online_brands_unit_one": "brand",
    "kpi_online_brands_description": "online brands completed",
    "kpi_promotion_events_name": "Promotion events",
    "kpi_promotion_events_unit": "events",
    "kpi_promotion_events_unit_one": "event",
    "kpi_promotion_events_description": "promotion events held",
    "kpi_promotion_participants_name": "Promotion participants",
    "kpi_promotion_participants_unit": "entities",
    "kpi_promotion_participants_unit_one": "entity",
    "kpi_promotion_participants_description": "distinct participants of those events",
    "kpi_local_talents_name": "Local e-commerce talents",
    "kpi_local_talents_unit": "talents",
    "kpi_local_talents_unit_one": "talent",
    "kpi_local_talents_description": "talents incubated",
    "kpi_streamers_10k_name": "Streamers with 10k+ followers",
    "kpi_streamers_10k_unit": "streamers",
    "kpi_streamers_10k_unit_one": "streamer",
    "kpi_streamers_10k_description": "incubated talents who sell live with 10,000+ followers on one platform (latest snapshot, never summed)",
    "kpi_startup_contests_name": "Start-up contests",
    "kpi_startup_contests_unit": "contests",
    "kpi_startup_contests_unit_one": "contest",
    "kpi_startup_contests_description": "start-up contests held",
    "kpi_station_skill_contests_name": "Station skill contests",
    "kpi_station_skill_contests_unit": "contests",
    "kpi_station_skill_contests_unit_one": "contest",
    "kpi_station_skill_contests_description": "station skill contests held",
    "kpi_livestream_rooms_name": "Livestream rooms",
    "kpi_livestream_rooms_unit": "rooms",
    "kpi_livestream_rooms_unit_one": "room",
    "kpi_livestream_rooms_description": "livestream rooms accepted",
    "kpi_livestream_kits_name": "Livestream kits",
    "kpi_livestream_kits_unit": "kits",
    "kpi_livestream_kits_unit_one": "kit",
    "kpi_livestream_kits_description": "livestream kits accepted",
    "kpi_digital_enterprises_name": "Digitally upgraded enterprises",
    "kpi_digital_enterprises_unit": "enterprises",
    "kpi_digital_enterprises_unit_one": "enterprise",
    "kpi_digital_enterprises_description": "enterprises with all three upgrades completed",
    "kpi_group_buying_coverage_name": "Group-buying coverage",
    "kpi_group_buying_coverage_unit": "%",
    "kpi_group_buying_coverage_unit_one": "%",
    "kpi_group_buying_coverage_description": "communities covered by group buying ÷ all communities",
    "kpi_pickup_coverage_name": "Township pickup coverage",
    "kpi_pickup_coverage_unit": "%",
    "kpi_pickup_coverage_unit_one": "%",
    "kpi_pickup_coverage_description": "township stations in operation that are pickup points ÷ all in operation",
    "kpi_wechat_articles_name": "WeChat articles (this year)",
    "kpi_wechat_articles_unit": "articles",
    "kpi_wechat_articles_unit_one": "article",
    "kpi_wechat_articles_description": "articles on the county account in the as-of year",
    "kpi_mainstream_media_reports_name": "Mainstream media reports",
    "kpi_mainstream_media_reports_unit": "reports",
    "kpi_mainstream_media_reports_unit_one": "report",
    "kpi_mainstream_media_reports_description": "reports in central or regional mainstream media",
    "kpi_budget_execution_rate_name": "Budget execution rate",
    "kpi_budget_execution_rate_unit": "%",
    "kpi_budget_execution_rate_unit_one": "%",
    "kpi_budget_execution_rate_description": "expenditures to date ÷ the 500 万元 budget, paced",
    "dataset_training_sessions_name": "Training sessions",
    "dataset_training_attendance_name": "Training attendance",
    "dataset_training_attendance_note": "Give the trainee id or the ID number (at least one); an ID number is stored only as a keyed digest, a phone number only masked. The session id must already be among the training sessions.",
    "dataset_conversions_name": "Start-up and job conversions",
    "dataset_conversions_note": "Give the trainee id or the ID number (at least one).",
    "dataset_online_retail_name": "Online retail (monthly)",
    "dataset_online_retail_note": "Agricultural online retail may not exceed the county total.",
    "dataset_talents_name": "E-commerce talents",
    "dataset_follower_snapshots_name": "Follower snapshots",
    "dataset_brands_name": "Brands",
    "dataset_brands_note": "An empty completion date means still being built.",
    "dataset_products_name": "Hit products",
    "dataset_products_note": "An empty launch date means not launched yet.",
    "dataset_events_name": "Events",
    "dataset_events_note": "Separate the participants with 「、」, commas, semicolons or line breaks.",
    "dataset_enterprise_upgrades_name": "Enterprise digital upgrades",
    "dataset_enterprise_upgrades_note": "An empty completion date means still under way.",
    "dataset_stations_name": "Service stations",
    "dataset_communities_name": "Communities and villages",
    "dataset_logistics_subsidies_name": "Logistics subsidies",
    "dataset_publicity_name": "Publicity",
    "dataset_expenditures_name": "Expenditures",
    "dataset_expenditures_note": "Write the budget line as its number in the funding plan (e.g. 3.2) or its item name.",
    "dataset_assets_name": "Fixed assets",
    "dataset_milestones_name": "Milestones",

    # === reports: briefing, acceptance pack, digest, region (metrics) ===

    # === dashboard: sidebar, sign-in, shared words (dashboard.py, dashboard_ui) ===
    "app_title": "Rural E-commerce Demonstration · KPI Dashboard",
    "language": "Language",
    "as_of": "As of",
    "as_of_help": "only records dated on or before this day count",
    "township": "Township",
    "all_county": "Whole county",
    "township_note": "The township filter applies to charts with a township; KPIs are county-wide.",
    "demo_banner": "Demo data: synthetic ledgers, not Burqin County's real figures.",
    "no_data_yet": "No ledgers have been loaded yet.",
    "section_progress": "Progress",
    "section_areas": "Areas",
    "section_reference": "Reference",
    # sign-in
    "login": "Sign in",
    "logout": "Sign out",
    "login_oidc": "Sign in with the identity provider",
    "login_name": "Account",
    "login_password": "Password",
    "login_failed": "Wrong account or password",
    "login_wait": "Too many failed attempts: try again in {seconds} s",
    "session_expired": "Signed out after a period of inactivity",
    "section_data": "Data",
    "page_import": "Data import",
    "page_explore": "Explore",
    "page_meeting": "Meeting mode",
    "page_region": "Region",
    # pages
    "page_overview": "Overview",
    "page_training": "Training",
    "page_retail": "Online retail",
    "page_talent": "Talents and streamers",
    "page_brands": "Brands and promotion",
    "page_service": "Service system",
    "page_publicity": "Publicity",
    "page_budget": "Budget",
    "page_schedule": "Schedule",
    "page_definitions": "KPI definitions",
    "page_acceptance": "Acceptance pack",
    # overview
    "overview_caption": (
        "As of {date}: {achieved} of {total} KPIs achieved, {attention} need attention (at risk, behind or missed)"
        "."
    ),
    "budget_metric": "Budget execution",
    "budget_metric_help": "spent {spent} of {plan}",
    "freshness": "Data up to",
    "progress_axis": "share of target (%)",
    "pace_marker": "expected by pace",
    "target_line": "target",
    "changes_title": "What changed",
    "compare_date": "Compare with",
    "no_changes": "No KPI changed status since {date}.",
    "kpi_detail": "KPI detail",
    "choose_kpi": "Choose a KPI",
    "rows_behind": "Ledger rows behind the figure ({n})",
    "rows_shown_first": "The first {shown} of {n} rows are shown here; filter and download them all on the Explore page.",
    "history_title": "{name}: month by month",
    "value": "Value",
    "target": "Target",
    "expected": "Expected",
    "status": "Status",
    "gap": "Gap",
    "deadline": "Deadline",
    "forecast": "Forecast at deadline",
    "then": "then",
    "now": "now",
    "kpi": "KPI",
    "area": "Area",
    "month": "Month",
    "date": "Date",
    "count": "Count",
    "clause": "Plan clause",
    "source": "Data source",
    "unit": "Unit",
    "definition": "Definition",
    "kind": "Kind",
    "kind_count": "cumulative count (paced)",
    "kind_rate": "rate (against the floor)",

    # === dashboard pages (pages/) ===
}
