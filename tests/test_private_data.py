"""What the bot keeps is residents' data: private on disk, and its secrets never in a log."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.test_console import run_console


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_the_database_photos_and_exports_are_private(tmp_path):
    """Regression: data/ was 0755, the database, its -wal/-shm and the exports 0644 (readable by every user)."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), "red").save(photo)
    old = os.umask(0o022)  # as a shell usually starts the bot
    try:
        result = run_console(tmp_path, "[12号楼群] 王主任: #绑定 12号楼\n"
                                       f"[12号楼群] 张阿姨: [图片 {photo}] #报修 3楼楼道堆了纸箱\n")
        assert result.returncode == 0, result.stderr
        data = tmp_path / "data"
        assert mode(data) == 0o700 and mode(data / "media") == 0o700
        kept = [p for p in data.rglob("*") if p.is_file()]
        assert any(p.name == "louzu.db" for p in kept) and any(p.parent.name == "media" for p in kept)
        assert {p.name: mode(p) for p in kept if mode(p) & 0o077} == {}
        env = {**os.environ, "LOUZU_DATA_DIR": str(data), "DATABASE_URL": ""}
        out = tmp_path / "reports.csv"
        subprocess.run([sys.executable, "-m", "bot", "export", "reports", "--format", "csv", "--since", "2026-01-01",
                        "-o", str(out)], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
        assert mode(out) == 0o600
    finally:
        os.umask(old)


def test_an_older_installs_readable_data_is_made_private_at_start(tmp_path):
    old = os.umask(0o022)
    try:
        assert run_console(tmp_path, "[12号楼群] 王主任: #绑定 12号楼\n").returncode == 0
        data = tmp_path / "data"
        data.chmod(0o755)
        for path in data.glob("louzu.db*"):
            path.chmod(0o644)
        (data / "louzu.db-wal").write_bytes(b"")  # as a crashed run leaves it
        (data / "louzu.db-wal").chmod(0o644)
        assert run_console(tmp_path, "[12号楼群] 张阿姨: #帮助\n").returncode == 0
        assert mode(data) == 0o700
        assert {p.name: oct(mode(p)) for p in data.glob("louzu.db*") if mode(p) & 0o077} == {}
    finally:
        os.umask(old)
