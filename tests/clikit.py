"""`louzu …` as staff run it, against a test's database: `await louzu("roster", "import", "名册.xlsx")`.

The command runs through its real entry point (``bot.cli.main``) in a thread of its own, as
another process would, while the test's bot keeps running; settings come from the environment.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.cli import main


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


class Louzu:
    def __init__(self, capsys) -> None:
        self.capsys = capsys

    async def __call__(self, *argv: str) -> Ran:
        self.capsys.readouterr()
        code = await asyncio.to_thread(main, [str(a) for a in argv])
        captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def louzu(monkeypatch, capsys, tmp_path, settings) -> Louzu:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOUZU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LOUZU_ADMIN_IDS", ",".join(sorted(settings.admin_ids)))
    monkeypatch.setenv("LOUZU_TRANSPORT", "console")
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    return Louzu(capsys)
