"""What a person sees in a drawn chart, checked from the SVG: every label whole and legible, every axis truthful.

`COLLECT` runs in the browser (a dashboard page, a meeting slide, the briefing's HTML) and returns, for each Plotly
chart, its box, every visible text element's box and font size, and each axis's tick labels and range. `problems`
turns that into sentences a person can act on. The same rules apply to the briefing's static images through
`figure_problems`, which lays the same figure objects out with Plotly.js (kaleido) and reads its SVG.
"""

from __future__ import annotations

import math
import re

# Runs in the page. Boxes are client rectangles (px). A text is "visible" when it has size, is not hidden by CSS or
# opacity, and has characters. Axis ranges come from Plotly's own full layout of the chart.
COLLECT = r"""() => {
  const visible = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentNode) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
      if (e.classList && e.classList.contains('js-plotly-plot')) break;
    }
    return true;
  };
  return Array.from(document.querySelectorAll('.js-plotly-plot')).map((gd, index) => {
    const box = gd.getBoundingClientRect();
    const texts = [];
    gd.querySelectorAll('svg text').forEach((t) => {
      const r = t.getBoundingClientRect();
      const content = (t.textContent || '').trim();
      if (!content || r.width < 0.5 || r.height < 0.5 || !visible(t)) return;
      let kind = 'text';
      for (let e = t.parentNode; e && e !== gd; e = e.parentNode) {
        const c = (e.getAttribute && e.getAttribute('class')) || '';
        const m = c.match(/\b([xy]\d*)tick\b/);
        if (m) { kind = 'tick:' + m[1]; break; }
        if (/\blegend\b/.test(c)) { kind = 'legend'; break; }
        if (/\bannotation\b/.test(c)) { kind = 'annotation'; break; }
        if (/\b[xy]\d*title\b/.test(c)) { kind = 'axis-title'; break; }
        if (/\b(textpoint|bartext)\b/.test(c) || /\btrace\b/.test(c)) { kind = 'data-label'; break; }
      }
      // Plotly shrinks a label that does not fit by a scale transform, and rotates crowded tick labels: the size a
      // person sees is the font size times the scale, and a rotated label is a rotated box, not its bounding box.
      const m = t.getScreenCTM();
      const scale = m ? Math.hypot(m.a, m.b) : 1;
      const angle = m ? Math.round(Math.atan2(m.b, m.a) * 180 / Math.PI) : 0;
      let local = {width: r.width, height: r.height};
      try { local = t.getBBox(); } catch (e) {}
      texts.push({text: content, kind, size: (parseFloat(getComputedStyle(t).fontSize) || 0) * scale, angle,
                  w: local.width * scale, h: local.height * scale,
                  cx: (r.left + r.right) / 2, cy: (r.top + r.bottom) / 2,
                  x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
    });
    const axes = [];
    const layout = gd._fullLayout || {};
    Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)).forEach((k) => {
      const a = layout[k];
      if (!a || a.visible === false) return;
      axes.push({name: k, type: a.type, range: a.range ? a.range.slice() : null,
                 title: (a.title && a.title.text) || '', zero_exempt: !!(layout.meta && layout.meta.free_axes &&
                 layout.meta.free_axes.includes(k))});
    });
    return {index, title: (layout.title && layout.title.text) || '',
            box: {x0: box.left, y0: box.top, x1: box.right, y1: box.bottom}, texts, axes};
  });
}"""

TOLERANCE = 1.5  # px: anti-aliasing and sub-pixel rounding
MIN_FONT_PX = 10  # below this a label is unreadable on a phone or a projector


def _overlap(a: dict, b: dict) -> float:
    """Area in px² that two labels share beyond the tolerance at each edge. Two labels turned by the same angle
    (rotated tick labels) are compared as the turned boxes they are; otherwise by their screen rectangles."""
    if a.get("angle", 0) == b.get("angle", 0) and "w" in a and "w" in b:
        theta = math.radians(a.get("angle", 0))
        along, across = (math.cos(theta), math.sin(theta)), (-math.sin(theta), math.cos(theta))
        dx, dy = b["cx"] - a["cx"], b["cy"] - a["cy"]
        w = (a["w"] + b["w"]) / 2 - abs(dx * along[0] + dy * along[1]) - TOLERANCE
        h = (a["h"] + b["h"]) / 2 - abs(dx * across[0] + dy * across[1]) - TOLERANCE
        return w * h if w > 0 and h > 0 else 0.0
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) - TOLERANCE
    h = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) - TOLERANCE
    return w * h if w > 0 and h > 0 else 0.0


def _axis_letter(tick_kind: str) -> str:
    """'tick:y2' -> 'yaxis2' (Plotly's layout key)."""
    name = tick_kind.split(":", 1)[1]
    return f"{name[0]}axis{name[1:]}"


def problems(charts: list[dict], where: str) -> list[str]:
    """Every way the drawn charts mislead or cannot be read, one sentence each."""
    found = []
    for chart in charts:
        label = f"{where} chart {chart['index'] + 1}"
        box, texts = chart["box"], chart["texts"]
        for t in texts:
            if (t["x0"] < box["x0"] - TOLERANCE or t["x1"] > box["x1"] + TOLERANCE
                    or t["y0"] < box["y0"] - TOLERANCE or t["y1"] > box["y1"] + TOLERANCE):
                found.append(f"{label}: {t['kind']} '{t['text']}' lies outside the chart "
                             f"(x {t['x0']:.0f}..{t['x1']:.0f}, y {t['y0']:.0f}..{t['y1']:.0f} in "
                             f"x {box['x0']:.0f}..{box['x1']:.0f}, y {box['y0']:.0f}..{box['y1']:.0f})")
            if t["size"] and t["size"] < MIN_FONT_PX:
                found.append(f"{label}: {t['kind']} '{t['text']}' is {t['size']:.1f} px, too small to read")
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if _overlap(a, b) > 4:
                    found.append(f"{label}: {a['kind']} '{a['text']}' and {b['kind']} '{b['text']}' overlap")
        ticks: dict[str, list[str]] = {}
        for t in texts:
            if t["kind"].startswith("tick:"):
                ticks.setdefault(_axis_letter(t["kind"]), []).append(t["text"])
        for axis, labels in ticks.items():
            repeated = sorted({x for x in labels if labels.count(x) > 1})
            if repeated:
                found.append(f"{label}: {axis} repeats tick labels {repeated} (of {labels})")
        for axis in chart["axes"]:
            if axis["type"] != "linear" or not axis["range"] or axis["zero_exempt"]:
                continue
            low, high = sorted(axis["range"])
            if low > 0 or high < 0:
                found.append(f"{label}: {axis['name']} '{axis['title']}' runs {low:g}..{high:g}, not from zero")
    return found


# --------------------------------------------------------------------------- the briefing's static images

def svg_page(svgs: list[str]) -> str:
    """An HTML page showing static SVG images as if each were a chart, for the collector (`STATIC_COLLECT`)."""
    blocks = "".join(f'<div class="static-chart" style="width:max-content">{s}</div>' for s in svgs)
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body style='margin:0'>{blocks}</body></html>"


# For a kaleido SVG there is no _fullLayout: axis ranges are checked on the figure object instead (full_figure).
STATIC_COLLECT = COLLECT.replace("'.js-plotly-plot'", "'.static-chart'").replace(
    "e.classList.contains('js-plotly-plot')", "e.classList.contains('static-chart')").replace(
    "gd.querySelectorAll('svg text')", "gd.querySelectorAll('svg text')")


def static_axes(fig) -> list[dict]:
    """Axis types and ranges of a figure as Plotly.js lays it out (the briefing's images have no live layout)."""
    full = fig.full_figure_for_development(warn=False)
    meta = full.layout.meta if isinstance(full.layout.meta, dict) else {}
    axes = []
    for name in full.layout:
        if re.fullmatch(r"[xy]axis\d*", name):
            a = full.layout[name]
            if a.visible is False:
                continue
            axes.append({"name": name, "type": a.type, "range": list(a.range) if a.range else None,
                         "title": a.title.text or "", "zero_exempt": name in meta.get("free_axes", [])})
    return axes
