# The Frontline bot. Build: docker build -t frontline .   Run: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY common ./common
COPY nlu ./nlu
COPY handoff ./handoff
COPY kb ./kb
COPY storage ./storage
COPY stats ./stats
COPY config.yml alembic.ini ./
RUN pip install ".[postgres]" && useradd --create-home frontline && mkdir -p /app/data \
    && chown frontline /app/data
USER frontline

# Migrations are applied by the bot itself at start.
EXPOSE 8080
CMD ["python", "-m", "bot"]
