"""The honour list as a PNG picture (Pillow), legible whatever characters people's names use.

Fonts come from PyPI packages, so a fresh machine draws Chinese with no system
fonts installed: Noto Sans SC first, then Noto Sans TC and Noto Sans JP for the
rarer characters SC leaves out (𠮷 is in JP, many Hong Kong name characters in
TC). Together they cover the whole of the basic block and Extension A, but only
part of Extensions B and later; font files put in <data dir>/fonts (or Debian's
fonts-hanazono / fonts-babelstone-han, when installed) are tried after them.
Each character is drawn with the first font that has a real glyph for it: a font
without one would draw its .notdef box, which is how we tell.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

NOT_A_CHARACTER = "\U0010FFFD"  # a private-use code point no font maps: always the .notdef glyph
WIDTH, MARGIN = 1080, 64
RED, GOLD, INK, GREY, PAPER = "#C8102E", "#FFD86B", "#2B2B2B", "#7A6F66", "#FFF8E7"


SYSTEM_FALLBACKS = ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
                    "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf")


def font_paths(extra_dir: Path | None = None) -> tuple[Path, ...]:
    """The fonts tried, in order: the packaged Noto fonts, then any in ``extra_dir``, then system ones."""
    import pylopdf_fonts_jp
    import pylopdf_fonts_zh_cn
    import pylopdf_fonts_zh_tw

    packaged = [pylopdf_fonts_zh_cn.sans_path(), pylopdf_fonts_zh_tw.sans_path(), pylopdf_fonts_jp.sans_path()]
    extra = sorted(p for p in extra_dir.iterdir() if p.suffix.lower() in (".ttf", ".otf", ".ttc")) \
        if extra_dir is not None and extra_dir.is_dir() else []
    system = [Path(p) for p in SYSTEM_FALLBACKS if Path(p).is_file()]
    return tuple(packaged + extra + system)


@functools.lru_cache(maxsize=None)
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _mask(face: ImageFont.FreeTypeFont, text: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(text)
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=65536)
def has_glyph(path: Path, char: str) -> bool:
    """Whether ``path`` draws ``char`` with a glyph of its own rather than its .notdef box."""
    face = font(path, 32)
    return _mask(face, char) != _mask(face, NOT_A_CHARACTER)


def runs(text: str, size: int, paths: tuple[Path, ...]) -> list[tuple[ImageFont.FreeTypeFont, str]]:
    """``text`` cut into pieces that one font draws, each with the first font that has its glyphs."""
    pieces: list[tuple[ImageFont.FreeTypeFont, str]] = []
    for char in text:
        path = next((p for p in paths if has_glyph(p, char)), None)
        if path is None:
            _warn_missing(char)
            path = paths[0]
        face = font(path, size)
        if pieces and pieces[-1][0] is face:
            pieces[-1] = (face, pieces[-1][1] + char)
        else:
            pieces.append((face, char))
    return pieces


@functools.lru_cache(maxsize=1024)
def _warn_missing(char: str) -> None:
    log.warning("no font has a glyph for %r (U+%04X): put a font that has it in <data dir>/fonts", char, ord(char))


def draw_text(draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str, size: int, fill: str,
              paths: tuple[Path, ...]) -> float:
    """Draw ``text`` from (x, baseline); returns the x where it ends."""
    for face, piece in runs(text, size, paths):
        draw.text((x, baseline), piece, font=face, fill=fill, anchor="ls")
        x += face.getlength(piece)
    return x


def text_width(text: str, size: int, paths: tuple[Path, ...]) -> float:
    return sum(face.getlength(piece) for face, piece in runs(text, size, paths))


def _wrap(text: str, size: int, width: float, paths: tuple[Path, ...]) -> list[str]:
    lines, line, used = [], "", 0.0
    for char in text:
        wide = text_width(char, size, paths)
        if used + wide > width and line:
            lines.append(line)
            line = char.lstrip()
            used = text_width(line, size, paths)
        else:
            line += char
            used += wide
    return lines + [line] if line else lines


class Poster(Protocol):
    """What a picture shows: a title, sections of (place, words) lines, a footer (schedules/honour.py's HonourList)."""

    label: str
    footer: str
    community: str

    def sections(self) -> list[tuple[str, list[tuple[int | None, str]]]]: ...


MEDALS = {1: ("#E6B422", "#A67C00"), 2: ("#C0C0C0", "#8A8A8A"), 3: ("#CD7F32", "#8C5523")}  # gold, silver, bronze
BODY, HEAD, LINE, HEAD_BEFORE, HEAD_AFTER, TOP, BOTTOM = 34, 40, 54, 44, 6, 200, 110
INDENT = 72  # room for a place's medal or number before the words
SECTION_LINES = 21  # a section's lines in the picture at most (ties for the last places can make a list long)


def _badge(draw: ImageDraw.ImageDraw, x: float, baseline: float, rank: int, paths: tuple[Path, ...]) -> None:
    """A medal (a coloured disc with the place in it) for the first three places, the place number for the rest."""
    if rank in MEDALS:
        fill, rim = MEDALS[rank]
        cy, r = baseline - BODY * 0.36, 22
        draw.ellipse((x, cy - r, x + 2 * r, cy + r), fill=fill, outline=rim, width=3)
        number = str(rank)
        draw_text(draw, x + r - text_width(number, 28, paths) / 2, cy + 10, number, 28, "#FFFFFF", paths)
    else:
        number = f"{rank}."
        draw_text(draw, x + 44 - text_width(number, BODY, paths), baseline, number, BODY, GREY, paths)


def render(honour: Poster, path: Path, fonts_dir: Path | None = None) -> Path:
    """Draw the honour list to ``path`` (made with its folder if missing; replaced whole, never half-written)."""
    paths = font_paths(fonts_dir)
    blocks: list[tuple[str, int | None, str]] = []  # (kind, place, text)
    for title, lines in honour.sections():
        blocks.append(("head", None, title))
        if len(lines) > SECTION_LINES:
            lines = lines[:SECTION_LINES - 1] + [(None, f"……还有 {len(lines) - SECTION_LINES + 1} 条")]
        for rank, line in lines:
            for n, part in enumerate(_wrap(line, BODY, WIDTH - 2 * MARGIN - INDENT, paths)):
                blocks.append(("line", rank if n == 0 else None, part))
    # As tall as what is on it: the header, each block, and the footer under the last line.
    height = TOP + sum(HEAD_BEFORE + HEAD + HEAD_AFTER if kind == "head" else LINE for kind, _, _ in blocks) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, TOP), fill=RED)
    title = f"{honour.label} 光荣榜"
    if honour.community:
        draw_text(draw, (WIDTH - text_width(honour.community, 36, paths)) / 2, 56, honour.community, 36, "#FFFFFF",
                  paths)
    draw_text(draw, (WIDTH - text_width(title, 64, paths)) / 2, 132 if honour.community else 118, title, 64, GOLD,
              paths)
    subtitle = "爱心储蓄银行 · 感谢每一位为社区出力的邻居"
    draw_text(draw, (WIDTH - text_width(subtitle, 28, paths)) / 2, 182, subtitle, 28, "#FFFFFF", paths)
    y = float(TOP)
    for kind, rank, text in blocks:
        if kind == "head":
            y += HEAD_BEFORE + HEAD
            draw.rectangle((MARGIN, y - HEAD + 2, MARGIN + 10, y + 8), fill=RED)
            draw_text(draw, MARGIN + 26, y, text, HEAD, RED, paths)
            y += HEAD_AFTER
        else:
            y += LINE
            if rank is not None:
                _badge(draw, MARGIN + 16, y, rank, paths)
            draw_text(draw, MARGIN + 16 + INDENT, y, text, BODY, INK, paths)
    draw.line((MARGIN, height - BOTTOM + 40, WIDTH - MARGIN, height - BOTTOM + 40), fill=GOLD, width=2)
    footer = honour.footer
    draw_text(draw, (WIDTH - text_width(footer, 26, paths)) / 2, height - 30, footer, 26, GREY, paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".honour-", suffix=".png")
    os.close(handle)
    try:
        # Not optimize=True: it makes the file 2% smaller and takes five times as long to write.
        image.save(temporary, format="PNG")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the picture is meant to be sent and seen
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
