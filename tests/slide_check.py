"""What a person sees when the briefing's .pptx is opened in LibreOffice Impress: every shape on its slide, no two
shapes on top of each other, no word off its slide or on top of another word, labels large enough to read.

Two halves:
- `geometry_problems` reads the shapes' boxes with python-pptx (fast, no program needed);
- `impress_problems` has LibreOffice Impress open the file and print it to PDF (`soffice --headless --convert-to pdf`),
  then reads every word's box per page with `pdftotext -bbox` (slow: a test marked `slow`, run inside
  `flock /tmp/kpi-heavy.lock`). A word is what Impress drew, after its own text layout: a table row that grew
  past the slide or text that ran out of its box shows here, not in the geometry.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

EMU_PER_PT = 12700
TOLERANCE_PT = 1.0  # rounding in the file and in the PDF
MIN_TEXT_PT = 14  # the smallest type on a slide: 14 pt reads at 1920 px wide (2 px per pt on a 13.33 in slide)


def _box(shape) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in pt."""
    x0, y0 = shape.left / EMU_PER_PT, shape.top / EMU_PER_PT
    return x0, y0, x0 + shape.width / EMU_PER_PT, y0 + shape.height / EMU_PER_PT


def _shared(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0]) - TOLERANCE_PT
    h = min(a[3], b[3]) - max(a[1], b[1]) - TOLERANCE_PT
    return w * h if w > 0 and h > 0 else 0.0


def _name(shape) -> str:
    if shape.has_text_frame and shape.text_frame.text.strip():
        return f"text '{shape.text_frame.text.strip()[:30]}'"
    return "table" if getattr(shape, "has_table", False) and shape.has_table else shape.shape_type and \
        str(shape.shape_type).split(".")[-1].split(" ")[0].lower() or "shape"


def geometry_problems(pptx: bytes) -> list[str]:
    """Shapes off their slide, shapes overlapping, and text under MIN_TEXT_PT, one sentence each. A table's box is
    as tall as its rows declare (python-pptx's frame height is a minimum Impress grows past)."""
    import io

    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx))
    width, height = deck.slide_width / EMU_PER_PT, deck.slide_height / EMU_PER_PT
    found = []
    for number, slide in enumerate(deck.slides, start=1):
        boxes = []
        for shape in slide.shapes:
            x0, y0, x1, y1 = _box(shape)
            if shape.has_table:
                y1 = y0 + sum(row.height for row in shape.table.rows) / EMU_PER_PT
                x1 = x0 + sum(col.width for col in shape.table.columns) / EMU_PER_PT
            box = (x0, y0, x1, y1)
            boxes.append((_name(shape), box))
            if x0 < -TOLERANCE_PT or y0 < -TOLERANCE_PT or x1 > width + TOLERANCE_PT or y1 > height + TOLERANCE_PT:
                found.append(f"slide {number}: {_name(shape)} at x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f} pt "
                             f"is not within the slide ({width:.0f} x {height:.0f} pt)")
            frames = [shape.text_frame] if shape.has_text_frame else []
            if shape.has_table:
                frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
            sizes = [run.font.size.pt if run.font.size else 18.0  # python-pptx's default body size
                     for frame in frames for paragraph in frame.paragraphs for run in paragraph.runs
                     if run.text.strip()]
            if sizes and min(sizes) < MIN_TEXT_PT:
                found.append(f"slide {number}: {_name(shape)} has text of {min(sizes):g} pt, under {MIN_TEXT_PT} pt")
        for i, (name_a, a) in enumerate(boxes):
            for name_b, b in boxes[i + 1:]:
                if _shared(a, b) > 0:
                    found.append(f"slide {number}: {name_a} and {name_b} overlap")
    return found


# ----------------------------------------------------------------------------------------- in Impress

def impress_available() -> bool:
    """soffice with Impress's filters (Debian libreoffice-impress-nogui) and poppler's pdftotext."""
    soffice = shutil.which("soffice")
    if not soffice or not shutil.which("pdftotext"):
        return False
    # The Impress module installs its registry part beside the others; writer and calc alone cannot open a .pptx.
    return any(Path(p).exists() for p in ("/etc/libreoffice/registry/impress.xcd",
                                         "/usr/lib/libreoffice/share/registry/impress.xcd"))


def impress_pdf(pptx: bytes, out_dir: Path) -> Path:
    """The deck as Impress prints it: one PDF page per slide, the page the slide's size."""
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / "briefing.pptx"
    source.write_bytes(pptx)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(source)], check=True, capture_output=True, timeout=240)
    return out_dir / "briefing.pdf"


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def pdf_words(pdf: Path) -> list[tuple[float, float, list[tuple[str, tuple[float, float, float, float]]]]]:
    """Per page: (width, height, [(word, (x0, y0, x1, y1))]) in pt, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120).stdout
    pages = []
    for w, h, body in PAGE.findall(out.decode("utf-8", "replace")):
        words = [(html.unescape(m[4]), tuple(float(v) for v in m[:4])) for m in WORD.findall(body)]
        pages.append((float(w), float(h), words))
    return pages


def word_problems(pages) -> list[str]:
    """Words off their page and words drawn over each other (more than a quarter of the smaller word)."""
    found = []
    for number, (width, height, words) in enumerate(pages, start=1):
        for text, (x0, y0, x1, y1) in words:
            if x0 < -TOLERANCE_PT or y0 < -TOLERANCE_PT or x1 > width + TOLERANCE_PT or y1 > height + TOLERANCE_PT:
                found.append(f"slide {number}: word '{text}' at x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f} pt "
                             f"is outside the slide ({width:.0f} x {height:.0f} pt)")
        for i, (a, box_a) in enumerate(words):
            for b, box_b in words[i + 1:]:
                shared = _shared(box_a, box_b)
                smaller = min((box_a[2] - box_a[0]) * (box_a[3] - box_a[1]), (box_b[2] - box_b[0]) * (box_b[3] - box_b[1]))
                if shared > 0 and shared > 0.25 * smaller:
                    found.append(f"slide {number}: words '{a}' and '{b}' are drawn over each other")
    return found


def impress_problems(pptx: bytes, out_dir: Path) -> list[str]:
    """The deck opened in Impress: words outside their slide or over each other, plus the geometry's problems."""
    return geometry_problems(pptx) + word_problems(pdf_words(impress_pdf(pptx, out_dir)))
