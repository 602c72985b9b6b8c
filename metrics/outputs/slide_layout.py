"""The briefing slides' grid, in points on a 16:9 slide (13.333 x 7.5 in = 960 x 540 pt).

Every shape of a slide takes a box of this grid, so no two shapes overlap and every shape lies on its slide (as
LibreOffice Impress and PowerPoint show it; tests/slide_check.py checks both). Text is at least MIN_PT: on a
1920 px wide screen a slide shows 2 px per pt, so 14 pt is 28 px, as large as the dashboard's own labels.

Charts are drawn at 1 px per pt of the box they fill (then rendered at a higher scale for sharpness), so a chart
font of 16 px is 16 pt on the slide: a picture is never shrunk into small print.

Table rows are measured here before they are placed: a row is as tall as its most wrapped cell (estimated from
the characters' widths, generously), and a table that would run past the slide's foot continues on the next slide.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

SLIDE_W, SLIDE_H = 960.0, 540.0
MARGIN = 36.0  # 0.5 in on every side
GAP = 18.0  # between two boxes of the grid
MIN_PT = 14
EMU_PER_PT = 12700
LINE = 1.25  # line height as a multiple of the font size (Noto Sans CJK's line is 1.2-1.45 em; rows use more)
CELL_PAD_X, CELL_PAD_Y = 7.2, 3.6  # python-pptx's (and Impress's) default cell margins: 0.1 in, 0.05 in


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def emu(self) -> tuple[int, int, int, int]:
        return tuple(int(round(v * EMU_PER_PT)) for v in (self.x, self.y, self.w, self.h))

    def columns(self, *fractions: float) -> list[Box]:
        """The box cut into side-by-side columns of these shares of its width, GAP between them."""
        free = self.w - GAP * (len(fractions) - 1)
        boxes, x = [], self.x
        for share in fractions:
            boxes.append(Box(x, self.y, free * share / sum(fractions), self.h))
            x += boxes[-1].w + GAP
        return boxes


# The grid: the title at the top left, the demo label beside it, the body below.
TITLE = Box(MARGIN, 16.0, 700.0, 56.0)
DEMO_LABEL = Box(MARGIN + 700.0 + GAP, 26.0, SLIDE_W - 2 * MARGIN - 700.0 - GAP, 30.0)
BODY = Box(MARGIN, 84.0, SLIDE_W - 2 * MARGIN, SLIDE_H - 84.0 - MARGIN)


def text_width(text: str, size: float) -> float:
    """Width in pt of one line of text: full-width characters 1 em, others 0.62 em (wider than most Latin glyphs
    and digits, so the estimate errs towards more lines, never fewer; ambiguous ones like ⚠ and ※ count as
    full width, as CJK fonts draw them)."""
    return sum(size if unicodedata.east_asian_width(c) in "WFA" else 0.62 * size for c in text)


# A line breaks between words, or between any two full-width characters (Chinese needs no spaces).
_TOKEN = re.compile(r"[\u2e80-\uffef]|[^\s\u2e80-\uffef]+\s*|\s+")


def line_count(text: str, width: float, size: float) -> int:
    """Lines the text takes in a box `width` pt wide, each paragraph wrapped on its own at word boundaries (a word
    wider than the box is broken where it reaches the edge)."""
    usable = max(width, size)
    lines = 0
    for part in str(text).split("\n"):
        lines += 1
        used = 0.0
        for token in _TOKEN.findall(part):
            need = text_width(token.rstrip(), size)
            if used and used + need > usable:
                lines += 1
                used = 0.0
            if need > usable:  # a word longer than the line
                lines += math.ceil(need / usable) - 1
                need = need % usable
            used += text_width(token, size) if used + text_width(token, size) <= usable else need
    return lines


def clip(text: str, width: float, size: float) -> str:
    """The text cut to one line of a box `width` pt wide, with "…" where it was cut (a table cell that names a
    thing the reader can look up elsewhere: a budget line's item, a milestone's task)."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def text_height(text: str, width: float, size: float) -> float:
    return line_count(text, width, size) * size * LINE


def row_height(cells: list[str], widths: list[float], size: float) -> float:
    """A table row's height in pt: its most wrapped cell, with the cell's own margins."""
    lines = max(line_count(text, w - 2 * CELL_PAD_X, size) for text, w in zip(cells, widths))
    return lines * size * LINE + 2 * CELL_PAD_Y + 2.0


def paginate(head: list[str], rows: list[list[str]], widths: list[float], size: float,
             height: float) -> list[list[int]]:
    """Row indexes per slide: as many rows as fit below the header in `height` pt, the header on every slide.
    A row taller than a whole slide still gets a slide of its own (the Impress check then names it)."""
    room = height - row_height(head, widths, size)
    parts: list[list[int]] = [[]]
    used = 0.0
    for index, row in enumerate(rows):
        need = row_height(row, widths, size)
        if parts[-1] and used + need > room:
            parts.append([])
            used = 0.0
        parts[-1].append(index)
        used += need
    return parts


def scale_widths(shares: list[float], width: float) -> list[float]:
    """Column widths in pt: the shares spread over `width`."""
    return [width * s / sum(shares) for s in shares]


def fit_picture(px_w: int, px_h: int, box: Box) -> Box:
    """The largest box of the picture's proportions inside `box`, at its top left."""
    scale = min(box.w / px_w, box.h / px_h)
    return Box(box.x, box.y, px_w * scale, px_h * scale)
