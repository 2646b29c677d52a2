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
        # Noticed lines later by the parser, blamed where the mistake is.
        ('a: 1\nb: "open quote\nc: 3\nd: 4\n', "c.yml:2: invalid YAML"),
        ("staff_chat_id: -100111\ntitle Foo\nkb: {}\n", "c.yml:2: invalid YAML"),
        ("- just\n- a list\n", "c.yml:1: the top level must be a mapping"),
        (
            "staff_chat_id: -100111\nkb:\n  match_treshold: 80\n",
            "c.yml:3: unknown key 'kb.match_treshold'",
        ),
        (
            "staff_chat_id: -100111\nkb:\n  match_threshold: high\n",
            "c.yml:3): Input should be a valid number",
        ),
        ("staff_chat_id: -100111\ndefault_language: de\n", "c.yml:2): must be 'ru' or 'en'"),
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


def test_a_value_from_the_environment_is_blamed_on_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yml"
    path.write_text("staff_chat_id: -100111\n")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "support")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "staff_chat_id (env STAFF_CHAT_ID)" in message and "(got 'support')" in message
    assert "c.yml" not in message


def test_start_up_errors_name_where_a_value_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yml"
    path.write_text("staff_chat_id: -100111\nkb:\n  reload_interval: 0\n")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    settings = load_settings(path)
    assert settings.label("telegram_api_url") == (
        "telegram_api_url (default; env TELEGRAM_API_URL sets it)"
    )
    assert settings.label("staff_chat_id") == f"staff_chat_id ({path}:1)"
    assert settings.label("kb.reload_interval") == f"kb.reload_interval ({path}:3)"
    assert settings.label("database_url") == "database_url (env DATABASE_URL)"


def test_a_dot_env_file_is_read_below_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE")
    (tmp_path / ".env").write_text(
        "# shared with docker compose\n"
        f"BOT_TOKEN={TOKEN}\n"
        "STAFF_CHAT_ID=-100222\n"
        "POSTGRES_PASSWORD=only-for-compose\n"
        "LOG_LEVEL=debug\n"
    )
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.staff_chat_id == -100222
    assert settings.log_level == "WARNING"  # the environment wins

    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nSTAFF_CHAT_ID=support\n")
    with pytest.raises(ConfigError, match=r"staff_chat_id \(\.env:2\)"):
        load_settings()
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(ConfigError, match="env file not found"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("notaurl", "not a database URL"),
        ("mysql://shop:hunter2@db/shop", "unsupported database 'mysql'"),
    ],
)
def test_a_bad_database_url_is_one_line_without_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "-100")
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("config error: database_url (env DATABASE_URL): ")
    assert expected in message and "hunter2" not in message


def test_sync_database_urls_run_on_the_async_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "-100")
    for given, used in (
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
    ):
        monkeypatch.setenv("DATABASE_URL", given)
        assert load_settings().database_url == used


def test_postgres_without_its_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "asyncpg" else real(name, *a)
    )
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "-100")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/db")
    with pytest.raises(ConfigError, match=r"install the postgres extra"):
        load_settings()


def test_a_malformed_webhook_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_CHAT_ID", "-100")
    monkeypatch.setenv("WEBHOOK__SECRET_TOKEN", "my secret!")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "webhook.secret_token (env WEBHOOK__SECRET_TOKEN)" in str(caught.value)
    assert "my secret" not in str(caught.value)
