"""Configuration: the committed file, env overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:ABCdefGHIjklMNOpqr"


def test_committed_config_loads_with_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "-1001234567890")
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    monkeypatch.setenv("KB__MATCH_THRESHOLD", "81")
    settings = load_settings(ROOT / "config.yml")
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.staff_chat_id == -1001234567890
    assert settings.admin_ids == [11, 22, 33]
    assert settings.kb.match_threshold == 81
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert (settings.kb_dir / "ru").is_dir()


def test_every_committed_key_is_commented() -> None:
    lines = (ROOT / "config.yml").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.endswith(":"):
            continue
        previous = lines[index - 1].strip()
        assert previous.startswith("#"), f"config.yml:{index + 1}: key without a comment above it"


def test_env_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yml"
    path.write_text(
        f"bot_token: '{TOKEN}'\nstaff_chat_id: -100111\ntelegram_api_url: http://a:1/\n"
    )
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081")
    monkeypatch.setenv("CONFIG_FILE", str(path))
    settings = load_settings()
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.staff_chat_id == -100111


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("staff_chat_id: [1, 2\n", "c.yml:2: invalid YAML"),
        ("- just\n- a list\n", "c.yml:1: the top level must be a mapping"),
        ("staff_chat_id: -100111\nkb:\n  match_treshold: 80\n", "unknown key 'kb.match_treshold'"),
        (
            "staff_chat_id: -100111\nkb:\n  match_threshold: high\n",
            "kb.match_threshold (env KB__MATCH_THRESHOLD)",
        ),
        (
            "staff_chat_id: -100111\ndefault_language: de\n",
            "default_language (env DEFAULT_LANGUAGE)",
        ),
        ("staff_chat_id: -100111\ntelegram_api_url: api.telegram.org\n", "must start with http://"),
    ],
)
def test_bad_file_values_name_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    path = tmp_path / "c.yml"
    path.write_text(content)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_explicit_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIG_FILE", "/nonexistent/frontline.yml")
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings()


def test_token_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "secret-but-malformed")
    monkeypatch.setenv("STAFF_CHAT_ID", "-100")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "secret-but-malformed" not in str(caught.value)
