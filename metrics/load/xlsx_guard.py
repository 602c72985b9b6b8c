"""How much text an .xlsx would produce, measured by streaming its XML before any of it is parsed into cells.

The zip's sizes bound the *file*, not the cells: a 54 kB workbook can hold one 50 MB shared string used by 60
cells, and a reader gives every cell its own copy (6-17 GB). So before python-calamine sees the file, the shared
strings and every sheet are read with expat in chunks, counting characters without keeping them:
- a cell over MAX_CELL_CHARS (Excel's own limit is 32,767) is refused, naming its sheet, row and column;
- a file whose cells would hold over MAX_TEXT_CHARS characters in all is refused.
Memory is the shared strings' lengths (one integer each) and a chunk of XML; time is one pass over the XML.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from array import array
from xml.parsers import expat

import numpy as np

from metrics.core.errors import FileProblem

MAX_CELL_CHARS = 32 * 1024
MAX_TEXT_CHARS = 128 * 1024 * 1024  # a 200,000-row ledger holds about 20 million
CHUNK = 1 << 20
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def check(content: bytes) -> None:
    """Raise FileProblem("cell_too_long" or "text_too_large") for a workbook whose text is too big.

    A quick pass in C (byte counts and regular expressions) first: a workbook it finds harmless, as every ordinary
    ledger is, is done with. Only a suspicious one is read exactly, by expat, to name the cell or the sheet."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        if not _suspicious(archive, names):
            return
        lengths = _shared_string_lengths(archive, names)
        total = 0
        for sheet_name, member in _sheets(archive, names):
            total = _scan_sheet(archive, member, sheet_name, lengths, total)


_SI = re.compile(rb"<(?:\w+:)?si(?=[\s>/])|</(?:\w+:)?si>|<(?:\w+:)?si\s*/>")
_S_INDEX = re.compile(rb"""\bt=["']s["'][^>]*>\s*<(?:\w+:)?v>\s*(\d{1,10})\s*<""")


def _chunks(archive: zipfile.ZipFile, member: str, overlap: int = 0):
    """The member in pieces, each starting with the last `overlap` bytes of the one before (a match across the
    cut is seen whole); yields (piece, how many bytes at its start were in the previous piece)."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            yield tail + chunk, len(tail)
            tail = chunk[-overlap:] if overlap else b""


def _suspicious(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """Whether the workbook could hold a cell over the limit or over the total: shared strings are measured in
    bytes (never fewer than their characters), cells referring to them counted, long runs of text looked for."""
    sizes = array("q")
    member = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if member is not None:
        start = None
        consumed = 0
        for piece, carried in _chunks(archive, member, overlap=16):
            base = consumed - carried
            for m in _SI.finditer(piece):
                if m.end() <= carried:
                    continue  # seen in the previous piece
                token = m.group(0)
                if token.startswith(b"</"):
                    if start is not None:
                        sizes.append(base + m.start() - start)
                        start = None
                elif token.endswith(b"/>"):
                    sizes.append(0)
                else:
                    start = base + m.end()
            consumed = base + len(piece)
    longest = max(sizes, default=0)
    if longest > MAX_CELL_CHARS:
        return True
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    references = 0
    for sheet in sheets:
        run = 0  # bytes since the last "<", carried over the cut
        for piece, carried in _chunks(archive, sheet, overlap=8):
            fresh = piece[carried:]
            references += sum(piece.count(t) - piece[:carried].count(t) for t in (b't="s"', b"t='s'"))
            # The longest text between two tags (a cell written in the sheet itself), found vectorised.
            opens = np.flatnonzero(np.frombuffer(fresh, dtype=np.uint8) == 60)  # "<"
            if not len(opens):
                run += len(fresh)
            elif max(run + opens[0], int(np.diff(opens).max(initial=0)) - 1, len(fresh) - opens[-1] - 1) > MAX_CELL_CHARS:
                return True
            else:
                run = len(fresh) - int(opens[-1]) - 1
            if run > MAX_CELL_CHARS:
                return True
    if references * longest <= MAX_TEXT_CHARS:
        return False
    # The crude bound is over: add up the strings the cells actually refer to.
    sized = np.frombuffer(sizes, dtype=np.int64) if sizes else np.zeros(1, np.int64)
    total = 0
    for sheet in sheets:
        for piece, carried in _chunks(archive, sheet, overlap=256):
            index = np.array([int(m.group(1)) for m in _S_INDEX.finditer(piece) if m.end() > carried], np.int64)
            total += int(sized[index[index < len(sized)]].sum()) if len(index) else 0
            if total > MAX_TEXT_CHARS:
                return True
    return False


def _feed(archive: zipfile.ZipFile, member: str, parser) -> None:
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _parser():
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = False  # character data arrives in pieces: nothing is gathered whole
    return parser


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def _shared_string_lengths(archive: zipfile.ZipFile, names: set[str]) -> array:
    lengths = array("q")
    member = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if member is None:
        return lengths
    depth_t = 0  # inside a <t> (of the string itself or a rich-text run; phonetic runs do not count)
    in_phonetic = 0

    def start(name, attrs):
        nonlocal depth_t, in_phonetic
        tag = _local(name)
        if tag == "si":
            lengths.append(0)
        elif tag == "rPh":
            in_phonetic += 1
        elif tag == "t" and not in_phonetic:
            depth_t += 1

    def end(name):
        nonlocal depth_t, in_phonetic
        tag = _local(name)
        if tag == "rPh":
            in_phonetic -= 1
        elif tag == "t" and depth_t and not in_phonetic:
            depth_t -= 1

    def text(data):
        if depth_t and lengths:
            lengths[-1] += len(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    _feed(archive, member, parser)
    return lengths


def _sheets(archive: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str]]:
    """(name as the clerk sees it, zip member) of every worksheet, in workbook order where it can be told."""
    found: list[tuple[str, str]] = []
    try:
        targets: dict[str, str] = {}
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        for m in re.finditer(r"<Relationship\b[^>]*>", rels):
            rid, target = re.search(r'\bId="([^"]+)"', m.group(0)), re.search(r'\bTarget="([^"]+)"', m.group(0))
            if rid and target:
                path = target.group(1)
                path = path.lstrip("/") if path.startswith("/") else posixpath.normpath(posixpath.join("xl", path))
                targets[rid.group(1)] = path

        def start(name, attrs):
            if _local(name) == "sheet":
                member = targets.get(attrs.get(f"{_NS_REL} id", ""))
                if member in names:
                    found.append((attrs.get("name", member), member))

        parser = _parser()
        parser.StartElementHandler = start
        _feed(archive, "xl/workbook.xml", parser)
    except (KeyError, expat.ExpatError):
        found = []
    listed = {member for _, member in found}
    others = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in listed)
    return found + [(posixpath.basename(n), n) for n in others]


_REF = re.compile(r"([A-Z]+)(\d+)")


def _scan_sheet(archive: zipfile.ZipFile, member: str, sheet_name: str, lengths: array, total: int) -> int:
    state = {"ref": "", "type": "n", "in_value": False, "length": 0, "digits": ""}

    def start(name, attrs):
        tag = _local(name)
        if tag == "c":
            state.update(ref=attrs.get("r", ""), type=attrs.get("t", "n"), length=0, digits="")
        elif tag in ("v", "t"):
            state["in_value"] = True

    def text(data):
        if state["in_value"]:
            state["length"] += len(data)
            if state["type"] == "s" and len(state["digits"]) < 12:
                state["digits"] += data[:12]

    def end(name):
        nonlocal total
        tag = _local(name)
        if tag in ("v", "t"):
            state["in_value"] = False
        elif tag == "c":
            kind = state["type"]
            if kind == "s":
                try:
                    size = lengths[int(state["digits"])]
                except (ValueError, IndexError):
                    size = 0
            elif kind in ("inlineStr", "str"):
                size = state["length"]
            else:
                size = 0 if state["length"] <= MAX_CELL_CHARS else state["length"]
            if size > MAX_CELL_CHARS:
                m = _REF.fullmatch(state["ref"])
                column, row = (m.group(1), int(m.group(2))) if m else ("?", "?")
                raise FileProblem("cell_too_long", sheet=sheet_name, row=row, column=column, length=f"{size:,}",
                                  limit=f"{MAX_CELL_CHARS:,}")
            total += size
            if total > MAX_TEXT_CHARS:
                raise FileProblem("text_too_large", sheet=sheet_name, limit=f"{MAX_TEXT_CHARS // 2**20}M")

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        _feed(archive, member, parser)
    except expat.ExpatError:
        pass  # a broken sheet: calamine reports it as it does today
    return total
