"""Read a ledger file into sheets of raw cells, and find the header row of a dataset in it.

CSV is decoded with Python's codecs (UTF-8 with or without BOM, GBK/GB18030, UTF-16; Arrow calls the same codecs
when it reads a large file, see CsvSheet), never with DuckDB's encodings extension: it needs a download and
corrupts GB18030 text at buffer boundaries (duckdb-encodings#19).
Excel is read with python-calamine, keeping empty rows so row numbers are the ones the clerk sees.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from metrics.core.datasets import DATASETS, ONE_OF_REQUIRED, Dataset
from metrics.core.errors import FileProblem
from metrics.core.text import fold
from metrics.load import xlsx_guard
from metrics.load.forms import english_row_above_units, read_title, units_row
from metrics.load.workbook import expand, read_structure

MAX_TITLE_ROWS = 5  # title or blank rows allowed above the header (datasets.md)
ACCEPTED_TYPES = ".xlsx、.xlsm、.xlsb、.xls、.ods、.et、.csv"
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # an .xlsx expanding beyond this is refused before it is parsed




@dataclass
class Sheet:
    name: str | None  # None for CSV
    rows: list[list]  # rows[i] is spreadsheet row i + 1
    text_only: bool = False  # every cell a str (CSV): lets validation take its vectorised paths
    hidden_rows: frozenset[int] = frozenset()  # spreadsheet rows (1-based) hidden in the workbook
    # What else a workbook sheet holds (metrics.load.workbook), all 0-based positions; a CSV has none of it.
    hidden_columns: frozenset[int] = frozenset()
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, first col, last row, last col)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> "#DIV/0!"
    comments: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> a cell's comment (批注)

    def head(self, n: int) -> list[list]:
        return self.rows[:n]

    def tail(self, n: int, after: int) -> list[list]:
        """The last n rows below row index `after`."""
        return self.rows[max(after + 1, len(self.rows) - n):]


class Sheets(list):
    """A file's visible sheets, and what was left out: hidden sheets (a 旧版（作废） kept out of sight must not
    count twice) and whether the format's hidden rows and error cells could be seen at all."""

    hidden_sheets: tuple[str, ...] = ()
    structure_seen: bool = True


class CsvSheet:
    """A CSV file's one sheet. Its rows are parsed only when asked for: header detection reads the first few
    (`head`), and metrics.load.columnar hands the rest to Arrow without making a Python list per row.

    A large UTF-8 or GB18030 file is not even decoded up front: its start is, to find the header, and Arrow
    decodes the rest as it reads it (and refuses bytes that are not that encoding). `text` or `rows` decode it all.
    """

    name = None
    text_only = True
    hidden_rows: frozenset[int] = frozenset()

    def __init__(self, content: bytes, dialect, encoding: str | None, text: str | None = None,
                 start: str | None = None):
        self.content = content
        self.dialect = dialect
        self.encoding = encoding  # "utf-8" or "gb18030" when `content` itself reads as that; else None
        self._text = text
        self._start = start  # the decoded start of a file not decoded yet
        self._rows: list[list] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                self._text = self.content.decode(self.encoding)
            except UnicodeDecodeError:  # the start decoded, a later part does not: decide as for any file
                try:
                    self._text = _decode_csv(self.content)[0]
                except UnicodeDecodeError as exc:
                    raise FileProblem("not_a_spreadsheet", detail=f"{exc.encoding}: {exc.reason}") from None
        return self._text

    def start(self, chars: int) -> str:
        """The first `chars` characters (all of the text when it is shorter)."""
        if self._text is None and len(self._start) >= chars:
            return self._start[:chars]
        return self.text[:chars]

    @property
    def rows(self) -> list[list]:
        if self._rows is None:
            try:
                self._rows = list(csv.reader(io.StringIO(self.text, newline=""), self.dialect))
            except csv.Error as exc:
                raise FileProblem("not_a_spreadsheet", detail=f"CSV: {exc}") from None
        return self._rows

    def head(self, n: int) -> list[list]:
        """The first n rows, read from the start of the text only (a StringIO of all of it would copy it)."""
        if self._rows is not None:
            return self._rows[:n]
        size = 65536
        while True:
            text = self.start(size)
            head: list[list] = []
            try:
                head.extend(itertools.islice(csv.reader(io.StringIO(text, newline=""), self.dialect), n + 1))
            except csv.Error:
                pass  # what was read so far; reading all rows reports the problem
            # n + 1 rows read means the n-th ended before the cut; otherwise read further, up to all of the text.
            if len(head) > n or len(text) < size:
                return head[:n]
            size *= 8

    def tail(self, n: int, after: int) -> list[list]:
        """The last n rows below row index `after`; of a large file read from its last bytes only (its footer,
        far below the header, not its million rows)."""
        if self._rows is not None or len(self.content) < LAZY_FROM_BYTES:
            try:
                return self.rows[max(after + 1, len(self.rows) - n):]
            except FileProblem:
                return []  # rows the csv module gives up on: Arrow may still read them, or refuses them itself
        if self.encoding is not None:
            end = self.content[-16384:].decode(self.encoding, errors="ignore")
        else:
            end = self.text[-16384:]
        lines = re.split(r"\r\n|\n|\r", end)[1:]  # the first is cut
        try:
            return list(csv.reader(lines, self.dialect))[-n:]
        except csv.Error:
            return []

    def arrow_source(self, chars: int) -> tuple[memoryview, str]:
        """The bytes after the first `chars` characters, and the encoding Arrow is to read them in."""
        if self.encoding is not None:
            offset = len(self.start(chars).encode(self.encoding))
            return memoryview(self.content)[offset:], "utf8" if self.encoding == "utf-8" else self.encoding
        return memoryview(self.text[chars:].encode("utf-8")), "utf8"


LAZY_FROM_BYTES = 1 << 20  # files from this size are decoded as Arrow reads them
LAZY_START_BYTES = 1 << 18  # decoded up front: far more than title rows and a header need


def _decode_start(content: bytes) -> tuple[str, str] | None:
    """The decoded start of a large file in UTF-8 (no BOM) or GB18030, and which; None for any other file."""
    if len(content) < LAZY_FROM_BYTES or content.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) \
            or b"\x00" in content[:4000]:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:  # an incremental decoder keeps a character cut at the end for later instead of failing on it
            return codecs.getincrementaldecoder(encoding)().decode(content[:LAZY_START_BYTES], final=False), encoding
        except UnicodeDecodeError:
            continue
    return None


def _decode_csv(content: bytes) -> tuple[str, bool]:
    """The text, and whether the bytes were UTF-8 without a BOM."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), False
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), False
    sample = content[:4000]
    if b"\x00" in sample:
        # UTF-16 without a BOM: each ASCII character (comma, digit, newline) leaves a zero byte, always on the same
        # side: odd offsets in little-endian, even in big-endian. Zeros on both sides mean a binary file.
        even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
        try:
            if even_zeros == 0 and len(content) % 2 == 0:
                return content.decode("utf-16-le"), False
            if odd_zeros == 0 and len(content) % 2 == 0:
                return content.decode("utf-16-be"), False
        except UnicodeDecodeError:
            pass
        raise FileProblem("not_a_spreadsheet", detail="binary")
    try:
        return content.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312: one decoder serves all three.
        return content.decode("gb18030"), False
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    if best is None:
        raise FileProblem("not_a_spreadsheet", detail="unknown text encoding")
    return str(best), False


def _read_csv(content: bytes) -> list[CsvSheet]:
    lazy = _decode_start(content)
    if lazy is not None:
        (start, encoding), text = lazy, None
    else:
        try:
            text, plain_utf8 = _decode_csv(content)
        except UnicodeDecodeError as exc:  # a BOM promised an encoding the bytes do not keep (a truncated upload)
            raise FileProblem("not_a_spreadsheet", detail=f"{exc.encoding}: {exc.reason}") from None
        start, encoding = text, ("utf-8" if plain_utf8 else None)
    first_lines = "\n".join(start[:65536].splitlines()[:20])
    try:
        dialect = csv.Sniffer().sniff(first_lines, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    if not dialect.escapechar:
        # The sniffer says "no doubled quotes" whenever its sample has none; spreadsheets always double a quote
        # inside a quoted cell, so a `""` further down means one quote.
        dialect.doublequote = True
    return [CsvSheet(content, dialect, encoding, text=text, start=start)]


def _check_zip(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FileProblem("not_a_spreadsheet", detail=str(exc)) from None
    if expanded > MAX_UNZIPPED_BYTES:
        raise FileProblem("too_large", detail=f"{expanded // 2**20} MB unzipped",
                          limit=f"{MAX_UNZIPPED_BYTES // 2**20} MB")


def _read_excel(content: bytes) -> Sheets:
    import python_calamine

    if content[:2] == b"PK":
        _check_zip(content)
        xlsx_guard.check(content)  # every cell's length and the text in all, before any cell is made
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        structure = read_structure(content)
        sheets, hidden = Sheets(), []
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                continue
            sheet = workbook.get_sheet_by_index(index)
            rows = sheet.to_python(skip_empty_area=False)
            rows = rows if all(type(r) is list for r in rows) else [list(r) for r in rows]
            parts = structure.of(meta.name)
            merges = parts.merges or [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()]
            sheets.append(Sheet(meta.name, rows, hidden_rows=frozenset(r + 1 for r in expand(parts.hidden_rows, len(rows))),
                                hidden_columns=expand(parts.hidden_columns, max(map(len, rows), default=0)),
                                merges=merges, errors=parts.errors, comments=parts.comments))
        sheets.hidden_sheets, sheets.structure_seen = tuple(hidden), structure.seen
        return sheets
    except Exception as exc:  # calamine raises several error types for a broken file
        raise FileProblem("not_a_spreadsheet", detail=type(exc).__name__) from None


def read_file(file_name: str, content: bytes) -> list[Sheet]:
    if not content or content.isspace():
        raise FileProblem("empty_file")
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix in ("xlsx", "xlsm", "xlsb", "xls", "ods"):
        return _read_excel(content)
    if suffix == "et":
        # WPS saves .et as an Excel 97 or an .xlsx container under its own name more often than not.
        try:
            return _read_excel(content)
        except FileProblem as exc:
            # Only "cannot be parsed" means "try saving it as .xlsx"; a refusal with its own reason (too large,
            # a cell too long, too much text) is passed on as it is: saving as .xlsx would not change it.
            if exc.code != "not_a_spreadsheet":
                raise
            raise FileProblem("save_as_xlsx", accepted=ACCEPTED_TYPES) from None
    if suffix in ("csv", "txt", "tsv"):
        if content[:2] == b"PK" or content[:4] == b"\xd0\xcf\x11\xe0":
            return _read_excel(content)  # an Excel file saved with a .csv name
        return _read_csv(content)
    raise FileProblem("unsupported_type", detail=f".{suffix}" if suffix else file_name)


# ---------------------------------------------------------------------------------------------- headers

_UNIT = re.compile(r"\(([^()]*)\)$")
# A unit spelled out inside the brackets, as county templates write it: `金额（单位：万元）`, `(单位:元)`, `（单位 万元）`.
# The word 单位 ("unit") and its colon are dropped so the unit itself is what is checked (NFKC has folded ：to :).
_UNIT_WORD = re.compile(r"^单位\s*:?\s*(?=\S)")


def split_header(cell) -> tuple[str, str | None]:
    """`金额（万元）` -> ('金额', '万元'): full-width folded, spaces and required-marks dropped, unit split off."""
    text = fold(str(cell or "")).strip().replace("*", "").replace("\n", "")  # NFKC, invisible characters out
    unit = None
    m = _UNIT.search(text)
    if m and m.start() > 0:
        unit = _UNIT_WORD.sub("", m.group(1).strip())
        text = text[: m.start()]
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower().replace(" ", "_") if text.isascii() else text.replace(" ", ""), unit


def header_lookup(dataset: Dataset) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in dataset.columns:
        for spelling in (col.zh, col.key, *col.aliases):
            lookup[split_header(spelling)[0]] = col.key
    return lookup


@dataclass
class HeaderMatch:
    dataset: str
    row_index: int  # index into Sheet.rows of the (last) header row: data starts below it
    columns: dict[int, str]  # cell index -> column key
    units: dict[str, str | None]  # column key -> unit written in the header
    extras: dict[int, str]  # cell index -> header text of columns not in the contract
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)  # (cell index, header, index it repeats)
    texts: dict[int, str] = field(default_factory=dict)  # cell index -> header as written ("金额（万元）/实际")
    first_row: int | None = None  # index of the first header row when the header takes two rows
    units_row: int | None = None  # index of a row of units right under the header (`元 | 万元 | 人`), then row_index
    english_row: int | None = None  # index of the template's English keys between the header and a units row
    # (key, unit the units row writes) where the header itself names another unit
    units_row_conflicts: list[tuple[str, str]] = field(default_factory=list)
    width: int = 0  # cells in the header row(s): the table's width
    # column key -> (the title cell, its value, its row): a column the table lacks, given once above it (场次编号：PX2023-001)
    constants: dict[str, tuple[str, str, int]] = field(default_factory=dict)

    @property
    def top(self) -> int:
        """Index of the header's first row: the rows above it are title rows."""
        if self.first_row is not None:
            return self.first_row
        if self.english_row is not None:
            return self.english_row - 1
        return self.units_row - 1 if self.units_row is not None else self.row_index

    def missing_required(self) -> list[str]:
        present = set(self.columns.values()) | set(self.constants)
        ds = DATASETS[self.dataset]
        missing = [c.key for c in ds.required_columns if c.key not in present]
        one_of = ONE_OF_REQUIRED.get(self.dataset)
        if one_of and not present.intersection(one_of):
            missing.append("|".join(one_of))
        return missing


def _match_cells(cells: dict[int, tuple[list[str], str]], lookup: dict[str, str], dataset: str,
                 index: int, width: int) -> HeaderMatch:
    """Header cells (index -> (spellings to try in order, header as written)) matched to the contract."""
    columns: dict[int, str] = {}
    units: dict[str, str | None] = {}
    extras: dict[int, str] = {}
    duplicates: list[tuple[int, str, int]] = []
    texts: dict[int, str] = {}
    for cell_index, (spellings, written) in sorted(cells.items()):
        texts[cell_index] = written
        for spelling in spellings:
            name, unit = split_header(spelling)
            key = lookup.get(name)
            if key is not None:
                break
        if key is None:
            extras[cell_index] = written
        elif key in columns.values():
            first = next(i for i, k in columns.items() if k == key)
            duplicates.append((cell_index, written, first))
        else:
            columns[cell_index] = key
            units[key] = unit
    return HeaderMatch(dataset, index, columns, units, extras, duplicates, texts, width=width)


def _looks_like_label(cell) -> bool:
    """A sub-header cell: short text that is not a number or a date."""
    if not isinstance(cell, str) or not cell.strip() or len(cell.strip()) > 20:
        return False
    text = unicodedata.normalize("NFKC", cell).strip()
    return not re.fullmatch(r"[-+]?[\d.,%]+|\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?", text)


def _two_row_header(top: list, bottom: list, lookup: dict[str, str], dataset: str, index: int) -> HeaderMatch | None:
    """Group headers merged over sub-headers (`金额（万元）` over `计划 | 实际`): each sub-header combined with the
    group above it (the unit comes from the group), or None when `bottom` does not read as sub-headers.

    A merged cell keeps its text in its first cell only, so a group spans to the right over empty cells of the top
    row that have a sub-header below them."""
    def filled(row, i):
        return i < len(row) and row[i] is not None and str(row[i]).strip() != ""

    width = max(len(top), len(bottom))
    below = [i for i in range(width) if filled(bottom, i)]
    if not below or not all(_looks_like_label(bottom[i]) for i in below):
        return None
    group_of: dict[int, int] = {}
    for i in below:
        j = i
        while j >= 0 and not filled(top, j):
            j -= 1
        if j >= 0 and all(filled(bottom, k) for k in range(j, i + 1)):
            group_of[i] = j
    if not any(not filled(top, i) and i < len(top) for i in group_of):
        # No group spans two columns (a cell beyond the end of a CSV header row is no merged cell): the row below
        # is data, or a header of its own.
        return None
    cells: dict[int, tuple[list[str], str]] = {}
    for i in range(width):
        if i in group_of:
            group, sub = str(top[group_of[i]]).strip(), str(bottom[i]).strip()
            g_name, g_unit = split_header(group)
            s_name, s_unit = split_header(sub)
            unit = f"（{s_unit or g_unit}）" if (s_unit or g_unit) else ""
            cells[i] = ([s_name + unit, s_name + g_name + unit, g_name + s_name + unit, group], f"{group}/{sub}")
        elif filled(top, i):
            cells[i] = ([str(top[i])], str(top[i]).strip())
        elif filled(bottom, i):
            cells[i] = ([str(bottom[i])], str(bottom[i]).strip())
    return _match_cells(cells, lookup, dataset, index, width)


def match_header(sheet: Sheet, dataset: Dataset) -> HeaderMatch | None:
    """The best header row for this dataset among the first MAX_TITLE_ROWS + 1 non-empty rows; a header of two
    rows (group headers merged over sub-headers) when that matches more of the contract, or shows two columns
    under one group mapping to one field."""
    lookup = header_lookup(dataset)
    head = sheet.head(MAX_TITLE_ROWS + 2)
    best: HeaderMatch | None = None
    best_score = 0
    for index, row in enumerate(head[:MAX_TITLE_ROWS + 1]):
        cells = {i: ([str(c)], str(c).strip()) for i, c in enumerate(row) if c is not None and str(c).strip() != ""}
        match = _match_cells(cells, lookup, dataset.name, index, len(row))
        if len(match.columns) > best_score:
            best_score = len(match.columns)
            best = match
    if best is None:
        return None
    b = best.row_index
    for top in (b - 1, b):
        if top < 0 or top + 1 >= len(head):
            continue
        pair = _two_row_header(head[top], head[top + 1], lookup, dataset.name, top + 1)
        if pair is None:
            continue
        new_duplicates = len(pair.duplicates) > len(best.duplicates)
        if len(pair.columns) > len(best.columns) or (len(pair.columns) == len(best.columns) and new_duplicates):
            pair.first_row = top
            best = pair
            break
    english_row_above_units(best, dataset, head[best.row_index + 1:best.row_index + 3])
    if best.units_row is None and best.row_index + 1 < len(head):
        units_row(best, head[best.row_index + 1])
    best.constants = read_title(head[:best.top], lambda name: lookup.get(split_header(name)[0]),
                                set(best.columns.values())).values
    return best


@dataclass
class Recognition:
    dataset: str | None
    candidates: list[str]  # when dataset is None: the tied fits (ambiguous) or the closest datasets
    ambiguous: bool = False


def recognise(sheets: list[Sheet]) -> Recognition:
    """The dataset these headers belong to.

    A dataset fits when a header row holds all its required columns; the one matching most columns (then the one
    leaving fewest columns unused) wins. A tie is ambiguous: refused with the candidates named, never guessed.
    """
    fits: list[tuple[int, int, str]] = []
    near: list[tuple[int, str]] = []
    for name, ds in DATASETS.items():
        for sheet in sheets:
            match = match_header(sheet, ds)
            if match is None:
                continue
            near.append((len(match.columns), name))
            if not match.missing_required():
                fits.append((len(match.columns), -len(match.extras), name))
                break
    if not fits:
        near.sort(reverse=True)
        return Recognition(None, [name for _, name in near[:3]])
    fits.sort(reverse=True)
    top = [name for *score, name in fits if score == list(fits[0][:2])]
    if len(top) > 1:
        return Recognition(None, top, ambiguous=True)
    return Recognition(fits[0][2], [])


