"""The public site put together (政务公开, issue 28): the content (metrics.outputs.publish) with its 更新记录
(publish_record), screened field by field; the pages (publish_html) with the charts drawn as SVG by kaleido and
print.html printed to PDF by Chromium; every file screened before it is written. Both drawings are made
deterministic here: plotly's random ids and Chromium's print time are replaced by the chart's name and the data date.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from metrics.core.config import CountyConfig
from metrics.outputs import publish_html, publish_record
from metrics.outputs.publish import Publication, PublicationRefused, collect, screen_files, screen_model


def content(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, lang: str = "zh",
            config: CountyConfig | None = None) -> Publication:
    """What the site says at `as_of`, with what changed since the last approved publication, screened."""
    pub = collect(con, as_of, lang, config)
    publish_record.add_changes(con, pub)
    screen_model(pub)
    return pub


_PLOTLY_UID = re.compile(rb'id="defs-([0-9a-f]{6})"')


def stable_svg(svg: bytes, name: str) -> bytes:
    """Plotly names the clip paths of each drawing after a random id: the chart's own name instead (the same bytes
    every time, and two charts inlined in one page never share an id)."""
    found = _PLOTLY_UID.search(svg)
    if found:
        svg = svg.replace(found.group(1), name.encode())
    return svg


def render_svgs(figures: dict[str, object]) -> dict[str, bytes]:
    """Each named figure as SVG through one kaleido (Chromium) session; text stays text, in the reader's fonts.
    Each trace gets a fixed uid (plotly would draw a random one into its class)."""
    import warnings

    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    try:
        out = {}
        for name, (fig, width, height) in figures.items():
            for index, trace in enumerate(fig.data):
                trace.uid = f"{name}-{index}"
            with warnings.catch_warnings():  # plotly's note that kaleido's server ignores per-call options
                warnings.simplefilter("ignore", UserWarning)
                out[name] = stable_svg(fig.to_image(format="svg", width=width, height=height), name)
        return out
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def stable_pdf(pdf: bytes, as_of: dt.date) -> bytes:
    """Chromium stamps the print time: the data date instead, in the same number of bytes (the offsets of the
    PDF's cross-reference table stay true)."""
    stamp = as_of.strftime("%Y%m%d000000").encode()
    return re.sub(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})", lambda m: m.group(1) + stamp, pdf)


def print_pdf(page_html: bytes, as_of: dt.date) -> bytes:
    """print.html printed by headless Chromium, as the briefing prints (metrics.outputs.briefing.to_pdf)."""
    import subprocess
    import tempfile
    from pathlib import Path

    from metrics.outputs.briefing import chromium_path

    browser = chromium_path()
    if browser is None:
        raise PublicationRefused("publish_no_chromium")
    with tempfile.TemporaryDirectory() as tmp:
        page, out = Path(tmp) / "print.html", Path(tmp) / "print.pdf"
        page.write_bytes(page_html)
        try:
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}",
                            page.as_uri()], check=True, capture_output=True, timeout=120)
        except (subprocess.SubprocessError, OSError) as exc:
            raise PublicationRefused("publish_pdf_failed", detail=str(exc).splitlines()[0][:200]) from None
        return stable_pdf(out.read_bytes(), as_of)


def build(pub: Publication, names: dict[str, str], svgs=None, pdf=print_pdf) -> dict[str, bytes]:
    """The folder's files (path -> bytes), screened. `svgs` draws the figures (default: render_svgs); `pdf` prints
    print.html (None: no PDF, for a machine without Chromium)."""
    files = publish_html.site(pub, (svgs or render_svgs)(publish_html.figures(pub)))
    screen_files(files, names)
    if pdf is not None:
        files["print.pdf"] = pdf(files["print.html"], pub.as_of)
    return dict(sorted(files.items()))
