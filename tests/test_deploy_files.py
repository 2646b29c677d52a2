"""docker-compose.yml cannot run here (no Docker engine); check that it is coherent instead."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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
    assert "rasa run --enable-api -i 0.0.0.0 -p 5005" in rasa["command"][0]
    assert bot["environment"]["NLU_BACKEND"] == "rasa"
    assert bot["environment"]["RASA_URL"] == "http://rasa:5005"
    assert bot["depends_on"]["rasa"]["condition"] == "service_started"
    sources = [v.split(":")[0] for v in rasa["volumes"]]
    assert "./nlu" in sources and "rasa-models" in sources and "rasa-data" in sources
    assert rasa["depends_on"]["rasa-data"]["condition"] == "service_completed_successfully"
    assert "test" in rasa["healthcheck"]
    # The KB's articles are written as Rasa data by the bot's image, from the mounted KB.
    data = services["rasa-data"]
    assert data["build"] == bot["build"]
    assert data["command"][:4] == ["python", "-m", "kb", "rasa"]
    assert "./kb/articles:/app/kb/articles:ro" in data["volumes"]
    assert data["command"][-1] == rasa["environment"]["KB_DATA"]


FAKE_RASA = """#!/bin/sh
echo "$*" >> "$RASA_LOG"
if [ "$1" = train ]; then
  while [ $# -gt 0 ]; do
    case "$1" in --nlu) nlu="$2" ;; --out) out="$2" ;; --fixed-model-name) name="$2" ;; esac
    shift
  done
  ls "$nlu" >> "$RASA_LOG"
  touch "$out/$name.tar.gz"
fi
"""


def run_rasa_command(work: Path) -> list[str]:
    """The compose file's Rasa command, run by sh as the container runs it (compose turns `$$`
    into `$`), with a stand-in `rasa` that logs its arguments and "trains" an empty model."""
    rasa = compose()["services"]["rasa"]
    env = {
        **os.environ,
        **rasa["environment"],
        "PATH": f"{work / 'bin'}:{os.environ['PATH']}",
        "STAGE": str(work / "stage"),
        "KB_DATA": str(work / "rasa-data" / "frontline-kb.yml"),
        "MODELS": str(work / "models"),
        "RASA_LOG": str(work / "rasa.log"),
    }
    (work / "rasa.log").write_text("")
    command = rasa["command"][0].replace("$$", "$")
    subprocess.run(["sh", "-c", command], cwd=work / "app", env=env, check=True, timeout=60)
    return (work / "rasa.log").read_text().splitlines()


def test_compose_trains_rasa_on_nlu_and_the_kb_once_per_change(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "nlu", tmp_path / "app")
    for folder in ("bin", "rasa-data", "models"):
        (tmp_path / folder).mkdir()
    (tmp_path / "bin" / "rasa").write_text(FAKE_RASA)
    (tmp_path / "bin" / "rasa").chmod(0o755)
    kb_data = tmp_path / "rasa-data" / "frontline-kb.yml"
    kb_data.write_text('version: "3.1"\nnlu:\n- intent: kb/a\n  examples: |\n    - a\n')

    first = run_rasa_command(tmp_path)
    assert first[0].startswith("train nlu --config config.yml --nlu ")
    assert "frontline-kb.yml" in first and "nlu.yml" in first  # the KB beside nlu/data
    model = next((tmp_path / "models").iterdir()).name
    assert first[-1].startswith("run --enable-api") and first[-1].endswith(model)

    again = run_rasa_command(tmp_path)
    assert [line.split()[0] for line in again] == ["run"]  # nothing changed: no training

    kb_data.write_text(kb_data.read_text() + "    - b\n")
    changed = run_rasa_command(tmp_path)
    assert changed[0].startswith("train")
    models = [p.name for p in (tmp_path / "models").iterdir()]
    assert len(models) == 1 and models != [model]  # the old model removed
