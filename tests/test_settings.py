"""Settings: defaults, one clear line for a bad value, and every key documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.settings import RENAMED, Settings, SettingsError
from schedules.declared import jobs

ROOT = Path(__file__).resolve().parent.parent


def test_defaults():
    settings = Settings.from_mapping({})
    assert settings.database_url == "sqlite+aiosqlite:///data/louzu.db"
    assert str(settings.timezone) == "Asia/Shanghai"
    assert settings.bot_name == "楼组小助手"
    assert settings.chosen_transport() == "console"
    assert Settings.from_mapping({"WECHATY_PUPPET_SERVICE_TOKEN": "insecure_x"}).chosen_transport() == "wechaty"


def test_admins_and_database_urls_are_read_the_way_people_write_them():
    settings = Settings.from_mapping({"LOUZU_ADMIN_IDS": " 王主任, wxid_abc ,", "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.admin_ids == {"王主任", "wxid_abc"}
    assert settings.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize("key, value", [
    ("LOUZU_TIMEZONE", "Mars/Olympus"),
    ("LOUZU_TRANSPORT", "telegram"),
    ("LOUZU_MAX_AWARD", "-5"),
    ("LOUZU_LOG_LEVEL", "LOUD"),
    ("DATABASE_URL", "mysql://root@localhost/x"),
    ("WECHATY_PUPPET_SERVICE_ENDPOINT", "localhost"),
    ("LOUZU_BOT_NAME", "楼组 小助手"),
    ("WECHATY_PUPPET_SERVICE_TLS", "maybe"),
    ("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", "/no/such/ca.pem"),
    ("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", "-----BEGIN CERTIFICATE-----\\nnot base64\\n-----END CERTIFICATE-----"),
])
def test_a_bad_value_names_its_key(key, value):
    with pytest.raises(SettingsError, match=f"^{key}：") as refused:
        Settings.from_mapping({key: value})
    # Committee staff start the bot: one line, in Chinese, saying what is allowed.
    said = str(refused.value)
    assert "\n" not in said and re.search(r"[\u4e00-\u9fff]", said.removeprefix(f"{key}：")), said


def test_wechaty_transport_needs_a_token():
    with pytest.raises(SettingsError, match="^WECHATY_PUPPET_SERVICE_TOKEN："):
        Settings.from_mapping({"LOUZU_TRANSPORT": "wechaty"})


def test_bad_setting_at_start_is_one_line_not_a_traceback(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOUZU_TIMEZONE", "Nowhere/City")
    assert main(["run", "--console"]) == 2
    err = capsys.readouterr().err
    assert err == "louzu: 设置有误：LOUZU_TIMEZONE：“Nowhere/City”不是已知的时区，请写时区名，例如 Asia/Shanghai\n"


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LOUZU_BOT_NAME=小楼\nLOUZU_MAX_AWARD=20\n", encoding="utf-8")
    settings = Settings.load(env_file, environ={"LOUZU_MAX_AWARD": "30"})
    assert settings.bot_name == "小楼" and settings.max_award == 30


class Recording(dict):
    """An empty environment that remembers every key the settings asked it for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def test_every_setting_is_documented_in_config_example():
    """Regression: keys read from tables in settings.py escaped a check that grepped for get("…")."""
    environment = Recording()
    Settings.from_mapping(environment)
    read = {key for key in environment.asked if key.isupper()} - set(RENAMED)  # an old name is not advertised
    read |= {spec.setting for spec in jobs.scheduled()}  # job times: declared with their jobs
    assert len(read) > 30  # every key the settings read, tables included
    lines = (ROOT / "config.example.env").read_text(encoding="utf-8").splitlines()
    documented = {}
    for previous, line in zip([""] + lines, lines):
        if re.match(r"^[A-Z_]+=", line):
            documented[line.split("=")[0]] = previous
    assert read <= set(documented), read - set(documented)
    assert all(comment.startswith("# ") for comment in documented.values())


def test_the_gateways_certificate_is_given_as_text_or_as_a_file(tmp_path):
    from bot.transport.puppet_channel import WECHATY_ROOT_CA

    defaults = Settings.from_mapping({})
    assert (defaults.puppet_tls, defaults.puppet_tls_ca_cert, defaults.puppet_tls_server_name) == ("auto", "", "")
    path = tmp_path / "ca.pem"
    path.write_text(WECHATY_ROOT_CA, encoding="ascii")
    from_file = Settings.from_mapping({"WECHATY_PUPPET_SERVICE_TLS_CA_CERT": str(path),
                                       "WECHATY_PUPPET_SERVICE_TLS": "ON"})
    assert (from_file.puppet_tls, from_file.puppet_tls_ca_cert) == ("on", WECHATY_ROOT_CA)
    one_line = WECHATY_ROOT_CA.replace("\n", "\\n")  # as a Node.js gateway's environment often has it
    assert Settings.from_mapping({"WECHATY_PUPPET_SERVICE_TLS_CA_CERT": one_line}).puppet_tls_ca_cert == WECHATY_ROOT_CA
