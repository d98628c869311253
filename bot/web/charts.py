"""Small charts drawn on the server as SVG: no script, nothing to load, readable on a phone and printable."""

from __future__ import annotations

from html import escape
from typing import Sequence

COLOURS = ("#b22222", "#1f6fb2", "#2e8b57", "#d98c00")


def trend(labels: Sequence[str], stars: Sequence[int], series: Sequence[tuple[str, Sequence[float]]],
          title: str) -> str:
    """Weeks along the bottom, each week's stars above it, and one line (0–100%) per part of the rating."""
    width, height, left, top, right, bottom = 720, 300, 44, 40, 32, 56
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else left + inner_w / 2

    def y(value: float) -> float:
        return top + inner_h * (1 - max(0.0, min(1.0, value)))

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for share in (0, .25, .5, .75, 1):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(share):.1f}" y2="{y(share):.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 6}" y="{y(share) + 4:.1f}" text-anchor="end" font-size="11" fill="#666">'
                   f'{share:.0%}</text>')
    for i, (label, count) in enumerate(zip(labels, stars)):
        out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="11" '
                   f'fill="#444">{escape(label)}</text>'
                   f'<text x="{x(i):.1f}" y="{top - 14}" text-anchor="middle" font-size="13" fill="#b22222" '
                   f'class="week-stars">{count}★</text>')
    for n, (name, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        # Each line thinner than the one before: where two parts are equal, both still show, one inside the other.
        stroke = 2 + 2.5 * (len(series) - 1 - n)
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline class="part" data-part="{escape(name)}" fill="none" stroke="{colour}" '
                   f'stroke-width="{stroke:g}" stroke-linejoin="round" points="{points}"/>')
        out.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{stroke / 2 + 1:g}" fill="{colour}"><title>{escape(name)} '
                   f'{escape(labels[i])}：{v:.0%}</title></circle>' for i, v in enumerate(values))
        legend_x = left + n * 150
        out.append(f'<rect x="{legend_x}" y="{height - 20 - stroke / 2:g}" width="14" height="{stroke:g}" fill="{colour}"/>'
                   f'<text x="{legend_x + 20}" y="{height - 16}" font-size="13" fill="#222">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(rows: Sequence[tuple[str, int]], title: str, unit: str = "分") -> str:
    """One horizontal bar per row, longest first as given, its number at its end."""
    row_h, left, right, top = 26, 110, 70, 8
    width = 720
    height = top * 2 + row_h * max(1, len(rows))
    most = max((value for _, value in rows), default=0) or 1
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (name, value) in enumerate(rows):
        y = top + i * row_h
        length = (width - left - right) * value / most
        out.append(f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#222">{escape(name)}</text>'
                   f'<rect class="bar" x="{left}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" fill="#b22222"/>'
                   f'<text x="{left + length + 6:.1f}" y="{y + 17}" font-size="13" fill="#444">{value} {unit}</text>')
    out.append("</svg>")
    return "".join(out)
