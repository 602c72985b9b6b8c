"""Personal data outside the personal columns: ID numbers and mainland mobile numbers in any text cell.

身份证号 and 手机号 columns are hashed and masked where they are parsed (metrics.platform.privacy). Clerks also type them
elsewhere: an ID number as 学员编号, a phone after a name ("王五 13912345678"), a number in an extra column
("654321 19600202 4445"). Every text cell of a ledger, the columns kept aside included, is scanned here:
- an 18-digit ID number whose check digit adds up, written with or without spaces or dashes;
- an 11-digit mainland mobile number (1[3-9]…), with or without +86, spaces or dashes.
In an identifier column (a key, or an `…_id`) the load is refused with the cell named ("学员编号不能使用身份证号"):
masking would merge people. In any other text the number is masked (as privacy masks the personal columns) and a
warning says so. Nothing is stored raw.

`screen` runs on the Arrow table both ingest paths produce, after their checks; a vectorised RE2 test picks the
few cells that hold eleven digits in a row (spaces and dashes allowed), and only their distinct values reach
Python, so a million-row CSV pays one regular expression per text column.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.core import columns_at_once
from metrics.core.i18n import LANGUAGES, t
from metrics.core.text import ascii_digits, strip_invisible
from metrics.platform import privacy

_SEP = r"[ \-\u00a0\u3000]?"
_ID = re.compile(rf"(?<![0-9])([0-9](?:{_SEP}[0-9]){{16}}{_SEP}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(rf"(?<![0-9+])(?:\+?86{_SEP})?(1[3-9][0-9](?:{_SEP}[0-9]){{8}})(?![0-9])")
# RE2 (Arrow): a phone- or ID-shaped run of digits (at most one separator between two), not inside a longer run.
_RE2_SEP = r"[ \-\x{a0}\x{3000}]?"
PREFILTER = (rf"(?:^|[^0-9])(?:1[3-9][0-9](?:{_RE2_SEP}[0-9]){{8}}|[0-9](?:{_RE2_SEP}[0-9]){{16}}{_RE2_SEP}[0-9Xx])"
             r"(?:[^0-9]|$)")
_DERIVED_TRAINEE = re.compile(r"H[0-9a-f]{16}")  # privacy.trainee_id_from_hash: a hash, not a number
# RE2: a digit that is not ASCII (full-width ６, Arabic-Indic ٦) or a character NFKC makes one (⑥, ⁶): a number
# typed with them is still an ID or phone number (never trust `\d`, or a byte count of 0-9, to see every digit).
OTHER_DIGIT_RE2 = r"[^\P{Nd}0-9]|\p{No}"
_MASKED = re.compile(r"[0-9]{4}\*{10}[0-9]{3}[0-9X]|1[3-9][0-9]\*{4}[0-9]{4}")  # what mask() leaves


def _prepare(text: str) -> str:
    """The text as the patterns read it: invisible characters out, every digit ASCII."""
    return ascii_digits(strip_invisible(text))


def find(text: str) -> list[str]:
    """The kinds found in the text ("id_number", "phone"), in order, each once."""
    text = _prepare(text)
    kinds = []
    if any(_valid_id(m.group(1)) for m in _ID.finditer(text)):
        kinds.append("id_number")
    if _PHONE.search(_ID.sub(lambda m: "#" if _valid_id(m.group(1)) else m.group(0), text)):
        kinds.append("phone")
    return kinds


def mask(text: str) -> str:
    """The text with every ID number and mobile number masked (138****0119; 6543**********4445); unchanged, as
    written, when it holds none."""
    original, text = text, _prepare(text)
    text = _ID.sub(lambda m: privacy.mask_id_number(_digits(m.group(1))) if _valid_id(m.group(1)) else m.group(0),
                   text)
    text = _PHONE.sub(lambda m: privacy.mask_phone(_digits(m.group(1))), text)
    return original if text == _prepare(original) else text


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text).upper()


def _valid_id(text: str) -> bool:
    number = _digits(text)
    return privacy.id_number_is_well_formed(number) and privacy.id_number_checksum_ok(number)


KINDS = ("id_number", "phone")  # each named `pii_kind_<kind>` in every catalogue


def kind_words(kinds: list[str]) -> dict[str, str]:
    """A problem's `kind_<lang>` values, in every language (its text is chosen when it is shown, from the stored
    values): 身份证号、手机号 / ID number or mobile number."""
    return {f"kind_{lang}": t("pii_kind_joiner", lang).join(t(f"pii_kind_{k}", lang) for k in kinds)
            for lang in LANGUAGES}


def is_identifier(col) -> bool:
    return col.is_key or col.key.endswith("_id")


def _screened(ds, present) -> list:
    """The contract's text columns the file has (`present`: their keys) that may hold personal data."""
    return [col for col in ds.columns if col.personal is None and col.key in present
            and col.sql_type in ("VARCHAR", "VARCHAR[]")]


class Sieved:
    """The sieves' answers for one table (the costly part of screen, and pure): computed while the row rules run
    (metrics.load.columnar starts it on a shared thread), taken by screen if the table is still the same."""

    def __init__(self, table: pa.Table, ds, present):
        self.table = table
        texts = [col for col in _screened(ds, present) if col.sql_type == "VARCHAR"]
        # Each text column's sieves are independent (and mostly Arrow and numpy): on both cores for a large file.
        self.found = dict(zip((col.key for col in texts), columns_at_once.map_columns(
            lambda col: _candidates(table, table[col.stored_as]), texts, table.num_rows)))


def screen(parsed, header_text: dict[str, str], extras: dict[int, str], add, sieved=None) -> None:
    """Refuse or mask personal data in parsed.table's text columns (contract and kept aside), in place. `sieved`:
    a Future of the table's Sieved, if one was started."""
    table, ds = parsed.table, parsed.dataset
    if table is None or not table.num_rows:
        return
    screened = _screened(ds, header_text)
    ready = sieved.result() if sieved is not None else None
    found_in = (ready if ready is not None and ready.table is table else Sieved(table, ds, header_text)).found
    for col in screened:
        if col.sql_type == "VARCHAR[]":
            table = _screen_lists(table, col, header_text[col.key], add)
            continue
        values = table[col.stored_as]
        hits = found_in[col.key]
        if hits is None:
            continue
        index, rows, texts = hits
        header = header_text[col.key]
        found = {text: find(text) for text in set(texts)}
        if is_identifier(col):
            for row, text in zip(rows, texts):
                kinds = found[text]
                if kinds and not (col.key == "trainee_id" and _DERIVED_TRAINEE.fullmatch(text)):
                    add("error", "pii_in_key", row, header, mask(text), column=header, **kind_words(kinds))
            continue
        masked = {text: mask(text) for text, kinds in found.items() if kinds}
        if not masked:
            continue
        for row, text in zip(rows, texts):
            if text in masked:
                add("warning", "w_pii_masked", row, header, masked[text], **kind_words(found[text]))
        new = [masked.get(t, t) for t in texts]
        table = table.set_column(table.schema.get_field_index(col.stored_as), col.stored_as,
                                 _replace(values, index, new))
    parsed.table = table
    if extras:
        _screen_extras(parsed, add)


def _screen_lists(table: pa.Table, col, header: str, add) -> pa.Table:
    """A list column (活动的参与主体: 「渔业合作社（王五13912345678）」): each item masked as a text cell is."""
    values = table[col.stored_as].combine_chunks()
    flat = pc.list_flatten(values)
    if not len(flat):
        return table
    many = np.flatnonzero(_may_hold_number(flat))
    if not len(many):
        return table
    parents = pc.list_parent_indices(values).to_numpy()
    rows = table["_source_row"].to_pylist()
    lists = values.to_pylist()
    changed = False
    for at in many:
        text = flat[int(at)].as_py()
        kinds = find(text)
        if not kinds:
            continue
        row = int(parents[at])
        masked = mask(text)
        lists[row] = [masked if item == text else item for item in lists[row]]
        add("warning", "w_pii_masked", rows[row], header, masked, **kind_words(kinds))
        changed = True
    if not changed:
        return table
    return table.set_column(table.schema.get_field_index(col.stored_as), col.stored_as, pa.array(lists, values.type))


def _digit_counts(values) -> np.ndarray:
    """How many ASCII digits each cell holds, read from Arrow's buffers with numpy (no Python per cell)."""
    counts = []
    for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values]):
        if not len(chunk):
            continue
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(chunk.buffers()[1], np.int64 if wide else np.int32)[
            chunk.offset:chunk.offset + len(chunk) + 1]
        if int(np.diff(offsets).max()) < 11:  # every cell shorter than a phone number (codes, short names)
            counts.append(np.zeros(len(chunk), np.int64))
            continue
        data = chunk.buffers()[2]
        raw = np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]] if data is not None else np.zeros(0, np.uint8)
        # One byte more than the cells hold, never a digit: reduceat needs each cell's start inside the array,
        # and an empty last cell starts at the end.
        digit = np.zeros(len(raw) + 1, np.uint8)
        np.less(raw - 48, 10, out=digit[:-1].view(bool))  # uint8 wraps below "0"
        if np.count_nonzero(digit) < 11:  # the usual text column: no cell can hold a number
            counts.append(np.zeros(len(chunk), np.int64))
            continue
        at = offsets - offsets[0]
        # The digits of each cell, summed from its start to the next cell's (2.4x faster than a running count);
        # reduceat gives an empty cell its neighbour's first byte, so empty cells are set to 0.
        count = np.add.reduceat(digit, at[:-1], dtype=np.int64)
        count[at[1:] == at[:-1]] = 0
        counts.append(count)
    return np.concatenate(counts) if counts else np.zeros(0, np.int64)


def _may_hold_number(values) -> np.ndarray:
    """Per cell, whether it may hold an ID or phone number: eleven ASCII digits, or a digit that is not ASCII in a
    cell of eleven characters or more (looked for only when some cell is not ASCII)."""
    many = _digit_counts(values) >= 11
    if len(values) and not pc.all(pc.string_is_ascii(values)).as_py():
        # Only a cell of eleven characters or more can hold such a number (names, towns and carriers are shorter):
        # RE2 reads those the ASCII count did not already pick.
        maybe = np.flatnonzero(np.asarray(pc.fill_null(pc.greater_equal(pc.utf8_length(values), 11), False),
                                          dtype=bool) & ~many)
        if len(maybe):
            hit = pc.fill_null(pc.match_substring_regex(values.take(pa.array(maybe)), OTHER_DIGIT_RE2), False)
            many[maybe[np.asarray(hit, dtype=bool)]] = True
    return many


def _candidates(table: pa.Table, values):
    """(positions, spreadsheet rows, texts) of the cells that may hold a number, or None when none may.

    Three sieves, cheapest first: at least eleven digits in the cell (numpy over Arrow's buffers); a phone- or
    ID-shaped run with its boundaries (RE2, over those cells only); then Python on what is left."""
    if values.type != pa.string() and values.type != pa.large_string():
        values = values.cast(pa.string())
    many = np.flatnonzero(_may_hold_number(values))
    if not len(many):
        return None
    index = pa.array(many, pa.int64())
    taken = values.take(index)
    shaped = pc.fill_null(pc.match_substring_regex(taken, PREFILTER), False)
    if not pc.all(pc.string_is_ascii(taken)).as_py():  # other digits: the prefilter is ASCII, Python decides
        shaped = pc.or_(shaped, pc.fill_null(pc.match_substring_regex(taken, OTHER_DIGIT_RE2), False))
    if not pc.any(shaped).as_py():
        return None
    index = index.filter(shaped)
    return index, table["_source_row"].take(index).to_pylist(), values.take(index).to_pylist()


def _replace(values, index, new: list[str]):
    mask = pc.fill_null(pc.is_in(pa.array(range(len(values)), pa.int64()), value_set=pa.array(index, pa.int64())),
                        False)
    return pc.replace_with_mask(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values, mask,
                                pa.array(new, pa.string()))


def _screen_extras(parsed, add) -> None:
    """The columns kept aside are masked as they are kept (scrub, which calls mask()); say where."""
    extra = parsed.table["_extra"]
    flagged = pc.fill_null(pc.match_substring_regex(extra, _MASKED.pattern), False)
    if not pc.any(flagged).as_py():
        return
    index = pc.indices_nonzero(flagged)
    rows = parsed.table["_source_row"].take(index).to_pylist()
    for row, text in zip(rows, extra.take(index).to_pylist()):
        for name, value in json.loads(text).items():
            kinds = [k for k, pattern in (("id_number", r"[0-9]{4}\*{10}"), ("phone", r"1[3-9][0-9]\*{4}"))
                     if re.search(pattern, str(value))]
            if kinds:
                add("warning", "w_pii_masked", row, name, str(value), **kind_words(kinds))


_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def scrub(text: str | None) -> str | None:
    """Mask ID- and phone-like numbers wherever they stand (a phone typed into a name column, an extra column), in
    any digits (full-width ones read as ASCII); text holding none is returned as written."""
    if not text:
        return text
    masked = mask(text)  # written with spaces or dashes, checksum checked
    prepared = _prepare(masked)
    out = _ID_LIKE.sub(lambda m: privacy.mask_id_number(m.group(0)), prepared)  # any 18-digit one, checksum or not
    out = _PHONE_LIKE.sub(lambda m: privacy.mask_phone(m.group(0)), out)
    return masked if out == prepared else out


# People named in the ledgers (datasets.md): trainees, station keepers and talents (达人 are private persons like
# trainees). Every file that leaves the office shortens these names by mask_name: one rule, one list.
PERSON_NAME_COLUMNS = {"training_attendance": "name", "stations": "manager", "talents": "name"}


def mask_name(name) -> str:
    """张三 -> 张*, 阿依古丽 -> 阿***: the first character kept, so a clerk can still tell rows apart."""
    text = "" if name is None or name != name else str(name)
    return text[:1] + "*" * (len(text) - 1) if text else text


def is_derived_id(value) -> bool:
    """A trainee id made from an ID number's hash (H + 16 hex characters): a hash fragment, never shown to a reader."""
    return isinstance(value, str) and _DERIVED_TRAINEE.fullmatch(value) is not None
