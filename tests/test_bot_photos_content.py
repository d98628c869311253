"""A report keeps a photo only when its bytes are a picture: HEIC/HEIF by the brand of its ftyp box, not by its name."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import PendingPhoto, ReportPhoto


def heic_bytes(brand: bytes = b"heic", compatible: tuple[bytes, ...] = (b"mif1", b"heic")) -> bytes:
    """The start of a HEIC file as an iPhone writes it: an ftyp box, then (here) filler for the rest."""
    box = b"ftyp" + brand + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (len(box) + 4).to_bytes(4, "big") + box + b"\x00\x00\x00\x08meta" + bytes(200)


async def test_a_file_named_heic_that_is_not_a_picture_is_not_kept(chat, settings, tmp_path):
    """Regression: any file named .heic was kept as a report photo."""
    await chat.setup_building()
    fake = tmp_path / "holiday.heic"
    fake.write_bytes(b"#!/bin/sh\necho this is no picture\n" * 20)
    reply = await chat.one(f"[12号楼群] 张阿姨: [图片 {fake}] #报修 3楼楼道堆了纸箱")
    assert "附件不是图片，没有附上" in reply
    assert await chat.count(ReportPhoto) == 0
    assert await chat(f"[12号楼群] 张阿姨: [图片 {fake}]") == []  # sent alone: not kept for a report either
    assert await chat.count(PendingPhoto) == 0
    assert not [p for p in settings.media_dir.glob("*") if p.is_file()]


async def test_a_real_heic_is_kept_whatever_its_name(chat, settings, tmp_path):
    await chat.setup_building()
    photo = tmp_path / "IMG_0001.bin"
    photo.write_bytes(heic_bytes())
    reply = await chat.one(f"[12号楼群] 张阿姨: [图片 {photo}] #报修 3楼楼道堆了纸箱")
    assert "已附照片 1 张" in reply
    [kept] = await chat.scalars(select(ReportPhoto))
    assert kept.path.endswith(".heic") and (settings.media_dir / kept.path).is_file()
    still = tmp_path / "still.jpg"
    still.write_bytes(heic_bytes(b"mif1", (b"mif1",)))  # a HEIF still picture, whatever its name says
    assert "已附照片 1 张" in await chat.one(f"[12号楼群] 老周: [图片 {still}] #报修 楼道灯坏了")
    assert {p.path.rsplit(".", 1)[1] for p in await chat.scalars(select(ReportPhoto))} == {"heic", "heif"}
