"""The honour-list picture draws every character of people's names with a real glyph, rare ones included.

A font without a character draws its .notdef box, which has ink too; so each
character, drawn the way the picture draws it, is compared with the .notdef
drawing of every font the picture may use.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from schedules import picture
from schedules.honour import HonourList

NAMES = ["刘䶮", "𠮷田由美", "龘垚燚", "张阿姨", "王师傅", "欧阳淼", "犇鑫", "李楼长", "周晓燕", "赵网格"]
SIZE = 64


def canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (2 * SIZE, 2 * SIZE), 0)
    return image, ImageDraw.Draw(image)


def drawn_as_in_the_picture(char: str, paths) -> bytes:
    image, draw = canvas()
    picture.draw_text(draw, 10, SIZE + 20, char, SIZE, "white", paths)
    return image.tobytes()


def drawn_with(path, char: str) -> bytes:
    image, draw = canvas()
    draw.text((10, SIZE + 20), char, font=picture.font(path, SIZE), fill="white", anchor="ls")
    return image.tobytes()


def honour_with(names: list[str]) -> HonourList:
    return HonourList(
        label="2026年11月",
        volunteers=[(rank, name, "12号楼", 60 - rank) for rank, name in enumerate(names, 1)],
        building_best=[("12号楼", names[:1], 59), ("11号楼", names[1:3], 40)],
        cleaners=[(1, "王师傅", 12)],
        star_buildings=[("12号楼", 4.5)],
        footer="楼组小助手 · 2026-12-01",
    )


def test_every_character_of_real_names_is_drawn_with_a_real_glyph(tmp_path):
    path = picture.render(honour_with(NAMES), tmp_path / "honour" / "2026-11.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] == picture.WIDTH
    paths = picture.font_paths()
    notdefs = {drawn_with(p, picture.NOT_A_CHARACTER) for p in paths}
    assert all(any(notdef) for notdef in notdefs)  # the .notdef box has ink: "any ink" would prove nothing
    for char in dict.fromkeys("".join(NAMES) + "光荣榜爱心积分前十名（）：、"):
        drawn = drawn_as_in_the_picture(char, paths)
        assert any(drawn), char
        assert drawn not in notdefs, f"{char!r} (U+{ord(char):04X}) was drawn as a missing glyph"


def test_the_comparison_catches_a_missing_glyph():
    paths = picture.font_paths()
    simplified = paths[0]  # Noto Sans SC alone has no 𠮷: it would draw its .notdef box
    assert drawn_with(simplified, "𠮷") == drawn_with(simplified, picture.NOT_A_CHARACTER)
    assert drawn_as_in_the_picture("𠮷", paths) != drawn_with(simplified, picture.NOT_A_CHARACTER)
    assert drawn_as_in_the_picture(picture.NOT_A_CHARACTER, paths) == drawn_with(simplified, picture.NOT_A_CHARACTER)


def test_fonts_dropped_in_the_data_directory_are_tried_after_the_packaged_ones(tmp_path):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    extra = fonts / "Extra.otf"
    extra.write_bytes(picture.font_paths()[0].read_bytes())
    paths = picture.font_paths(fonts)
    assert paths[3] == extra and len(paths) >= 4


def test_a_long_list_wraps_and_the_file_is_replaced_whole(tmp_path):
    target = tmp_path / "honour" / "2026-11.png"
    picture.render(honour_with(["很长很长的名字" * 6] + NAMES), target)
    first = target.stat().st_size
    picture.render(honour_with(NAMES), target)
    assert target.stat().st_size != first
    assert [p.name for p in target.parent.iterdir()] == ["2026-11.png"]  # no temporary file left behind


def test_a_street_of_600_buildings_makes_a_picture_of_a_few_screens_not_hundreds(tmp_path):
    street = HonourList(label="2026年11月", building_best=[(f"{n}号楼", [f"居民{n}"], 90) for n in range(1, 601)],
                        star_buildings=[(f"{n}号楼", 4.5) for n in range(1, 201)], footer="楼组小助手 · 2026-12-01")
    few = HonourList(label="2026年11月", building_best=[(f"{n}号楼", [f"居民{n}"], 90) for n in range(1, 21)],
                     star_buildings=[(f"{n}号楼", 4.5) for n in range(1, 21)], footer="楼组小助手 · 2026-12-01")
    with Image.open(picture.render(street, tmp_path / "street.png")) as big, \
            Image.open(picture.render(few, tmp_path / "few.png")) as small:
        assert big.height == small.height  # 20 lines a section: the last says how many more there are
