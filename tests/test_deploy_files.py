"""docker-compose.yml cannot run here (no Docker engine); check that it is coherent instead."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def setting_exists(variable: str) -> bool:
    section, _, key = variable.lower().partition("__")
    field = Settings.model_fields.get(section)
    if field is None:
        return False
    if not key:
        return True
    model = field.annotation
    return key in getattr(model, "model_fields", {})


def test_compose_runs_the_bot_against_its_postgres() -> None:
    services = compose()["services"]
    assert {"bot", "postgres"} <= set(services)
    bot = services["bot"]
    env = bot["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    # Every variable the bot gets is a real setting (nested keys: SECTION__KEY).
    assert all(setting_exists(name) for name in env), env
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    # Named volumes used by services are declared.
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in compose()["volumes"]
            else:
                assert (ROOT / source).exists(), f"{source} does not exist"


def test_env_example_names_real_settings() -> None:
    names = re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    fields = {name.upper() for name in Settings.model_fields}
    assert set(names) - {"POSTGRES_PASSWORD"} <= fields
    assert {"BOT_TOKEN", "STAFF_CHAT_ID"} <= set(names)


def test_dockerfile_copies_every_package_and_runs_the_bot() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    assert "common" in packages
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile
    assert 'CMD ["python", "-m", "bot"]' in dockerfile
    assert '".[postgres]"' in dockerfile


def test_compose_serves_rasa_at_the_tested_version_and_the_bot_uses_it() -> None:
    services = compose()["services"]
    rasa, bot = services["rasa"], services["bot"]
    script = (ROOT / "scripts" / "rasa-server").read_text()
    version = re.search(r'^VERSION="([0-9.]+)"', script, re.MULTILINE)
    assert version is not None and rasa["image"] == f"rasa/rasa:{version.group(1)}"
    command = " ".join(rasa["command"])
    # Trains when no model exists, then serves the API on the port the bot is pointed at.
    assert "test -f /models/frontline-nlu.tar.gz || rasa train nlu" in command
    assert "--config config.yml --nlu data" in command
    assert "rasa run --enable-api -i 0.0.0.0 -p 5005" in command
    assert bot["environment"]["NLU_BACKEND"] == "rasa"
    assert bot["environment"]["RASA_URL"] == "http://rasa:5005"
    assert bot["depends_on"]["rasa"]["condition"] == "service_started"
    sources = [v.split(":")[0] for v in rasa["volumes"]]
    assert "./nlu" in sources and "rasa-models" in sources
    for name in ("config.yml", "domain.yml", "data/nlu.yml"):
        assert (ROOT / "nlu" / name).exists()
    assert "test" in rasa["healthcheck"]
