"""Messages shown to users, in Simplified Chinese first and English.

A problem in a ledger is reported as a message key plus parameters; the text is chosen only when it is shown, so
one load can be reported in either language.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # file-level problems
    "empty_file": ("文件为空，没有任何数据", "the file is empty"),
    "not_a_spreadsheet": ("无法读取：文件不是有效的 Excel 或 CSV 表格（{detail}）。可上传 .xlsx、.xlsm、.xlsb、.xls、.ods、.et 或 .csv",
                          "cannot be read: not a valid Excel or CSV spreadsheet ({detail}). Upload .xlsx, .xlsm, .xlsb, .xls, "
                          ".ods, .et or .csv"),
    "unsupported_type": ("不支持的文件类型 {detail}，可上传的类型：.xlsx、.xlsm、.xlsb、.xls、.ods、.et、.csv",
                         "unsupported file type {detail}: upload .xlsx, .xlsm, .xlsb, .xls, .ods, .et or .csv"),
    "no_header": ("前 6 行中找不到{dataset}的表头，请检查是否用了模板", "no header of {dataset} in the first 6 rows: is this the template?"),
    "no_header_any": ("前 {rows} 行中找不到任何台账的表头：表头必须在前 {rows} 行内（上方最多 {title_rows} 行标题），"
                      "请删去多余的标题行后重新导入",
                      "no ledger's header in the first {rows} rows: the header must be within the first {rows} rows "
                      "(at most {title_rows} title rows above it); delete the extra title rows and upload again"),
    "unknown_dataset": ("无法根据表头识别数据集，请指定数据集。最接近的是：{candidates}",
                        "cannot tell the dataset from the headers; name it. Closest: {candidates}"),
    "ambiguous_dataset": ("表头同时符合多个数据集：{candidates}，请指定数据集",
                          "the headers fit several datasets: {candidates}; name one"),
    "missing_column": ("缺少必填列「{column}」", "required column '{column}' is missing"),
    "missing_one_of": ("「{a}」与「{b}」两列至少要有一列", "one of the columns '{a}' and '{b}' is needed"),
    "no_rows": ("表头下面没有数据行", "no data rows below the header"),
    "cell_too_long": ("工作表「{sheet}」第 {row} 行 {column} 列的单元格有 {length} 个字符，超过每格 {limit} 个字符的上限，未导入",
                      "the cell in sheet '{sheet}', row {row}, column {column} holds {length} characters, over the "
                      "limit of {limit} per cell; nothing was loaded"),
    "text_too_large": ("文件中的文字总量超过上限（{limit} 个字符，到工作表「{sheet}」为止），未导入",
                       "the file's cells hold more text than allowed ({limit} characters, reached in sheet "
                       "'{sheet}'); nothing was loaded"),
    "too_large": ("文件过大（{detail}），上限为 {limit}", "the file is too large ({detail}); the limit is {limit}"),
    # cell-level problems
    "required": ("必填项为空", "required value is empty"),
    "bad_date": ("不是有效日期，可写作 2023-05-12、2023/5/12、2023年5月12日 或 20230512",
                 "not a valid date; write 2023-05-12, 2023/5/12, 2023年5月12日 or 20230512"),
    "bad_month": ("不是有效月份，可写作 2023-05、2023/5、2023年5月 或 202305",
                  "not a valid month; write 2023-05, 2023/5, 2023年5月 or 202305"),
    "bad_number": ("不是有效数字", "not a valid number"),
    "not_integer": ("应为整数", "must be a whole number"),
    "bad_bool": ("应填 是/否（或 Y/N、1/0、✓/✗、有/无）", "must be yes/no (是/否, Y/N, 1/0, ✓/✗, 有/无)"),
    "bad_enum": ("不是允许的取值，可选：{allowed}", "not an allowed value; choose one of: {allowed}"),
    "bad_township": ("不是本县的乡镇，可选：{allowed}", "not a township of this county; choose one of: {allowed}"),
    "bad_budget_line": ("不是资金规划中的预算科目，可填序号或细项名称：{allowed}",
                        "not a budget line of the plan; write its number or name: {allowed}"),
    "negative": ("不能为负数", "must not be negative"),
    "not_positive": ("必须大于 0", "must be greater than 0"),
    "duplicate_key": ("与第 {other} 行重复（{key}）", "duplicates row {other} ({key})"),
    "missing_trainee": ("学员编号和身份证号都为空", "both trainee id and ID number are empty"),
    "bad_id_number": ("身份证号格式不对（应为 18 位，最后一位可为 X）", "ID number malformed (18 characters, the last may be X)"),
    "unknown_session": ("场次编号在培训场次中不存在（请先导入培训场次，或一并上传）",
                        "session id not found in training sessions (load the sessions first, or together)"),
    "agri_above_total": ("农产品网络零售额（{agri}）大于全县网络零售额（{total}）",
                         "agricultural retail ({agri}) exceeds the county total ({total})"),
    "planned_end_before_start": ("计划完成早于计划开始", "planned end is before planned start"),
    "two_columns_one_field": ("「{a}」（第 {col_a} 列）与「{b}」（第 {col_b} 列）都对应「{field}」，无法确定要哪一列："
                              "请只保留要入库的一列（如实际金额），删去另一列，再导入",
                              "'{a}' (column {col_a}) and '{b}' (column {col_b}) both map to '{field}': keep only the "
                              "column to load (e.g. the actual amount), delete the other, and load again"),
    "data_without_header": ("第 {col} 列有数据但没有表头（左边一列是「{left}」）：请补上表头，或删去这一列",
                            "column {col} holds data but has no header (the column to its left is '{left}'): "
                            "give it a header or delete it"),
    "unit_conflict": ("表头单位「{header_unit}」与标题行「{title}」不一致：请改成同一单位后再导入",
                      "the header's unit '{header_unit}' contradicts the title row '{title}': make them agree"),
    "unknown_unit": ("表头单位「{found}」不是金额单位：金额列只接受 {allowed}，请改写表头，如「金额（{unit}）」",
                     "the header's unit '{found}' is not a money unit: amount columns take {allowed}; rewrite the "
                     "header, e.g. '金额（{unit}）'"),
    "title_units_conflict": ("标题行写了两个不同的单位（「{a}」和「{b}」）：请只保留正确的一个",
                             "the title rows give two different units ('{a}' and '{b}'): keep the right one"),
    "key_as_number": ("数字被存成了科学计数法，后几位已丢失：请把该列设为文本格式后重新录入",
                      "the number was stored in scientific notation and its last digits are lost: format the column "
                      "as text and type the numbers again"),
    "id_number_as_number": ("身份证号被存成了数字，后几位已丢失：请把该列设为文本格式后重新录入",
                            "the ID number was stored as a number and its last digits are lost: format the column "
                            "as text and type the numbers again"),
    "amount_over_budget": ("「{column}」合计 {total} 万元，超过项目总预算 {budget} 万元，不可能正确：多半是单位填错了"
                           "（金额以元填写却按万元读取）。请在表头写明单位，如「金额（元）」，或在标题行写「单位：元」",
                           "'{column}' adds up to {total} 万元 (10k yuan), more than the whole project budget of "
                           "{budget} 万元: most likely a unit mistake (amounts in 元 read as 万元). Name the unit in "
                           "the header, e.g. '金额（元）', or write '单位：元' in the title rows"),
    "amount_over_line": ("单笔金额 {amount} 万元超过预算科目 {line} 的全部计划额 {plan} 万元：多半是单位填错了"
                         "（元当成了万元），请核对",
                         "one payment of {amount} 万元 is more than the whole plan of budget line {line} ({plan} "
                         "万元): most likely a unit mistake (元 read as 万元); check it"),
    "wrong_ledger": ("不是「{dataset}」：缺少必填列 {missing}；这份表格看起来是「{looks_like}」，请选择正确的数据集",
                     "not {dataset_en}: the required columns {missing} are missing; this looks like {looks_like_en}: "
                     "choose that dataset"),
    "sheet_missing_columns": ("这个工作表看起来也是「{dataset}」，但缺少必填列 {missing}：请补上这些列，或把它移出本工作簿",
                              "this sheet looks like {dataset_en} too but lacks the required columns {missing}: add "
                              "them, or move the sheet out of the workbook"),
    "sheet_lacks_columns": ("这个工作表看起来是「{dataset}」，但缺少必填列 {missing}：请补上这些列后重新导入；如它不是台账，"
                            "请把它移出本工作簿",
                            "this sheet looks like {dataset_en} but lacks the required columns {missing}: add them and "
                            "upload again; if it is no ledger, move it out of the workbook"),
    "duplicate_key_sheet": ("与工作表「{other_sheet}」第 {other} 行重复（{key}）",
                            "duplicates row {other} of sheet '{other_sheet}' ({key})"),
    "save_as_xlsx": ("无法读取这个 WPS 表格（.et）：请在 WPS 中另存为 .xlsx 后再上传。可上传的类型：{accepted}",
                     "this WPS spreadsheet (.et) cannot be read: save it as .xlsx in WPS and upload that. "
                     "Accepted types: {accepted}"),
    "pii_in_key": ("{column}不能使用{kind_zh}（请改用编号，个人信息不得作为编号保存）",
                   "{column} must not be a {kind_en} (use an identifier; personal data is never stored as one)"),
    # warnings (do not block)
    "w_pii_masked": ("此处含{kind_zh}，已打码保存", "holds a {kind_en}: stored masked"),
    "w_extra_column": ("多出的列「{column}」未使用，已另行保存", "extra column '{column}' is not used; kept aside"),
    "w_future_date": ("日期晚于今天（{today}）", "date is after today ({today})"),
    "w_outlier": ("数值是本列中位数（{median}）的 10 倍以上，请核对", "value is over 10x the column median ({median}): check it"),
    "w_unit_converted": ("表头单位为「{found}」，已按 {unit} 换算", "header unit is '{found}'; converted to {unit}"),
    "w_id_checksum": ("身份证号校验位不符，请核对", "ID number check digit does not match: check it"),
    "w_unknown_trainee": ("该学员不在培训签到记录中，不计入转化率", "trainee not in attendance records; not counted in the conversion rate"),
    "w_unknown_talent": ("达人编号不在电商达人名录中", "talent id not in the talents list"),
    "w_title_rows": ("表头在第 {header_row} 行，上方的标题行已跳过", "header found on row {header_row}; title rows above it skipped"),
    "w_hidden_row": ("这一行在表格中被隐藏，仍按数据导入：如它已作废，请删除这一行后重新导入",
                     "this row is hidden in the spreadsheet but was loaded as data: if it is void, delete the row and "
                     "upload again"),
    "w_skipped_row": ("是{kind_zh}，已跳过", "is a {kind_en}; skipped"),
    "w_total_mismatch": ("合计行写的是 {stated}，上方各行相加为 {summed}，请核对",
                         "the totals row says {stated}, the rows above add up to {summed}: check them"),
    "w_two_row_header": ("表头占两行（第 {first}–{last} 行），已把分组表头与下面的小表头合并读取",
                         "the header takes two rows ({first}–{last}); group and sub-headers read together"),
    "w_title_unit": ("表头未写单位，按标题行「{title}」以{found}读取，已换算为{unit}",
                     "the header names no unit; read in {found} as the title row '{title}' says, converted to {unit}"),
    "w_title_value": ("表中没有「{column}」列，按标题行「{cell}」给每一行填入 {column}",
                      "no '{column}' column; every row takes it from the title row '{cell}'"),
    "w_sheets_combined": ("工作表 {sheets} 都是「{dataset}」，已合并导入", "sheets {sheets} are all {dataset_en}; loaded together"),
    "w_sheet_skipped": ("这个工作表不是可识别的台账（最接近：{closest}），已跳过",
                        "this sheet is not a ledger the dashboard knows (closest: {closest}); skipped"),
    "w_stored_not_in_file": ("库中有 {count} 行不在本文件中：{examples}。如本文件就是完整台账，请选择「以本文件为准」（命令行 --replace）",
                             "{count} stored rows are not in this file: {examples}. If the file is the whole ledger, "
                             "choose 'the file is the whole ledger' (--replace on the command line)"),
    # outcomes
    "loaded": ("已导入 {file}（{dataset}）：新增 {added} 行，替换 {replaced} 行，未变 {unchanged} 行，导入编号 {load_id}",
               "loaded {file} ({dataset}): {added} added, {replaced} replaced, {unchanged} unchanged, load {load_id}"),
    "noop": ("{file}（{dataset}）与已入库数据完全相同，未做任何更改（{unchanged} 行）",
             "{file} ({dataset}) is identical to the stored data; nothing changed ({unchanged} rows)"),
    "noop_same_file": ("{file}（{dataset}）已于导入编号 {load_id} 导入过，内容相同，未做任何更改",
                       "{file} ({dataset}) was already loaded as load {load_id}; nothing changed"),
    "not_loaded": ("{file}（{dataset}）本身没有错误，但本批其他文件有错误，整批未导入",
                   "{file} ({dataset}) has no errors itself, but other files of the batch do; nothing was loaded"),
    "removed": ("已删除库中不在 {file}（{dataset}）中的 {removed} 行，导入编号 {load_id}（可撤销）",
                "removed {removed} stored rows not in {file} ({dataset}), load {load_id} (can be undone)"),
    "replace_blocked_orphans": ("以本文件为准会删去培训场次，使 {count} 条培训签到找不到场次（如 {example}）：请一并上传完整的签到表，或不选「以本文件为准」",
                                "making the file the whole ledger would remove sessions that {count} attendance rows "
                                "refer to (e.g. {example}): upload the attendance too, or do not replace"),
    "refused": ("{file}：发现 {errors} 个问题，未导入任何数据", "{file}: {errors} problems found; nothing was loaded"),
    "refused_batch": ("本批文件中有问题，全部未导入，数据库保持不变", "problems in this batch; nothing was loaded, the database is unchanged"),
    "undone": ("已撤销导入 {load_id}：删除 {removed} 行，恢复 {restored} 行", "undid load {load_id}: {removed} rows removed, {restored} restored"),
    "undo_unknown": ("没有编号为 {load_id} 的导入", "there is no load {load_id}"),
    "undo_already": ("导入 {load_id} 已于 {when} 撤销", "load {load_id} was already undone at {when}"),
    "undo_blocked_later": ("导入 {load_id} 的部分数据已被之后的导入 {later} 替换，请先撤销 {later}",
                           "rows of load {load_id} were replaced by later load(s) {later}: undo those first"),
    "undo_blocked_orphans": ("撤销后将有 {count} 条培训签到找不到场次（如 {example}），请先撤销相关签到导入",
                             "undoing would leave {count} attendance rows without their session (e.g. {example}); undo those first"),
    "key_mismatch": ("身份证号加密密钥与本数据库之前使用的不同（可能换了机器或删除了密钥文件），为避免同一人被记为两人，已拒绝导入。"
                     "请恢复原密钥（环境变量 KPI_HASH_KEY 或密钥文件）",
                     "the ID-number hashing key differs from the one this database was loaded with (new machine or "
                     "lost key file); refused so one person is not counted twice. Restore the original key "
                     "(KPI_HASH_KEY or the key file)"),
    "config_problems": ("配置文件 {path} 有误：{problems}", "configuration file {path} has problems: {problems}"),
    "digest_config": ("摘要推送的配置有误：{problems}", "the digest channels are misconfigured: {problems}"),
    "permission_denied": ("没有权限", "not allowed"),
    "db_busy": ("数据库正被另一个程序写入（{detail}），请稍后再试", "the database is being written by another program ({detail}); try again shortly"),
}

SEVERITY = {"error": ("错误", "error"), "warning": ("提醒", "warning")}


def t(message_key: str, lang: str = "zh", /, **params) -> str:
    """The message in the chosen language (positional-only names, so a parameter may be called `key`)."""
    zh, en = MESSAGES.get(message_key, (message_key, message_key))
    text = en if lang == "en" else zh
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
