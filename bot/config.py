"""Settings: `config.yml` (path from CONFIG_FILE), then a `.env` file (path from ENV_FILE), then
environment variables, each overriding the one before.

Environment variables win so that containers and CI can run the bot with env vars only; secrets
(the token) are never read from the committed file's defaults. Every error names where its
value came from: the variable, the `.env` line or the config file's line.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from datetime import time as time_of_day
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

from bot.settings_origins import KnownKeysDotEnv, Origins, env_file_lines, env_name, yaml_key_lines
from handoff.hours import DAYS, WorkingHours, parse_interval
from handoff.routing import Routing, StaffGroup, category_path
from kb.yaml_errors import locate
from storage.urls import normalise_database_url

DEFAULT_CONFIG_FILE = "config.yml"
DEFAULT_ENV_FILE = ".env"
# The starter articles ship inside the package, so the default works from any directory.
PACKAGED_KB = Path(__file__).resolve().parents[1] / "kb" / "articles"
PACKAGED_NLU = Path(__file__).resolve().parents[1] / "nlu"
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{10,}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A configuration problem, phrased for one line on stderr."""


class KBSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Relevance (0-100, kb.search) for an article to answer on the question's words alone.
    match_threshold: float = Field(default=55.0, ge=0, le=100)
    # Articles at least this relevant (but below match_threshold) are offered as suggestions.
    # (20 is set for the default with embeddings; without them unrelated questions score
    # higher, and 30 keeps their suggestions out.)
    suggest_threshold: float = Field(default=20.0, ge=0, le=100)
    # How many "did you mean" suggestions to show when nothing matches well enough.
    suggestions: int = Field(default=3, ge=0, le=10)
    # Seconds between checks of the KB files for changes (0 turns the watcher off).
    reload_interval: float = Field(default=5.0, ge=0)


class HandoffSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Words or phrases that, anywhere in a customer's message, mean "give me a person".
    operator_keywords: list[str] = Field(
        default_factory=lambda: [
            "оператор",
            "человек",
            "живой",
            "сотрудник",
            "менеджер",
            "operator",
            "human",
            "agent",
            "real person",
            "live person",
        ]
    )
    # How many recent messages of the dialog the context card shows.
    history_messages: int = Field(default=10, ge=0, le=50)
    # Sign operators' text replies with their first name (by default operators stay anonymous).
    sign_replies: bool = False
    # Seconds to wait for the other parts of an album before relaying it as one.
    album_window: float = Field(default=0.5, ge=0.05, le=5)


class OrderSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # "csv" reads csv_path; "http" calls url (with {number} in it) and expects the JSON contract
    # described in the README.
    backend: Literal["csv", "http"] = "csv"
    csv_path: Path = Path(__file__).resolve().parent / "orders_sample.csv"
    url: str = ""
    timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _template(cls, value: str) -> str:
        if value and "{number}" not in value:
            raise ValueError("must contain {number}, e.g. https://shop.example/api/orders/{number}")
        return value


class CallbackSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Region assumed for phone numbers typed without a country code (ISO 3166, e.g. RU, GB).
    default_region: str = "RU"
    # Time windows offered to the customer, as "HH:MM-HH:MM".
    windows: list[str] = Field(
        default_factory=lambda: ["09:00-12:00", "12:00-15:00", "15:00-18:00", "18:00-21:00"]
    )


def _three_levels(value: list[str]) -> list[str]:
    if len(value) != 3 or not all(part.strip() for part in value):
        raise ValueError("must be 3 non-empty levels: [area, type, topic]")
    return value


class CategoryRule(BaseModel):
    model_config = {"extra": "forbid"}

    # Any of these words (matched at a word start, any case) puts the contact in `category`.
    words: list[str] = Field(min_length=1)
    category: list[str]

    @field_validator("category")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        return _three_levels(value)


class CategorySettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Keyword rules, checked in order before anything else; the first match wins.
    rules: list[CategoryRule] = Field(default_factory=list)
    # intent -> [area, type, topic]; an intent not listed takes its KB article's category.
    intents: dict[str, list[str]] = Field(default_factory=dict)
    # For contacts that match nothing (greetings, out of scope, a bare /operator).
    default: list[str] = Field(default_factory=lambda: ["Прочее", "Общие вопросы", "Без темы"])

    @field_validator("intents")
    @classmethod
    def _intent_paths(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for intent, path in value.items():
            try:
                _three_levels(path)
            except ValueError as exc:
                raise ValueError(f"{intent}: {exc}") from None
        return value

    @field_validator("default")
    @classmethod
    def _default(cls, value: list[str]) -> list[str]:
        return _three_levels(value)


class WorkingHoursSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # IANA time zone of the schedule, e.g. Europe/Moscow.
    timezone: str = "Europe/Moscow"
    # Per weekday: "HH:MM-HH:MM" intervals (comma-separated for a break), "" when closed.
    days: dict[str, str] = Field(default_factory=lambda: dict.fromkeys(DAYS, "09:00-21:00"))
    # Dates (YYYY-MM-DD) when the desk is closed all day.
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Moscow)") from None
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[str, str]) -> dict[str, str]:
        for day, spec in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}: use {', '.join(DAYS)}")
            for part in filter(None, (p.strip() for p in spec.split(","))):
                try:
                    parse_interval(part)
                except ValueError as exc:
                    raise ValueError(f"{day}: {part!r} is not HH:MM-HH:MM ({exc})") from None
        return value

    def build(self) -> WorkingHours:
        week = {
            DAYS.index(day): tuple(parse_interval(p.strip()) for p in spec.split(",") if p.strip())
            for day, spec in self.days.items()
        }
        return WorkingHours(ZoneInfo(self.timezone), week, frozenset(self.holidays))


Priority = Literal["urgent", "high", "normal", "low"]


def _default_targets() -> dict[Priority, int]:
    return {"urgent": 5, "high": 15, "normal": 30, "low": 120}


def _default_intent_priorities() -> dict[str, Priority]:
    return {"complaint": "high", "payment_failed": "high", "technical_problem": "high"}


class StaffGroupSettings(BaseModel):
    """A staff group beside the default one (STAFF_CHAT_ID), with the tickets it takes."""

    model_config = {"extra": "forbid"}

    id: int  # the forum supergroup's id, negative
    name: str = Field(min_length=1, max_length=64)
    # Rules, all of which a new ticket must meet (an empty one matches anything): the
    # customer's language, the category path or its beginning ("Оплата / Возврат"), the
    # ticket's priority (urgent, high, normal, low).
    languages: list[Literal["ru", "en"]] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    priorities: list[Literal["urgent", "high", "normal", "low"]] = Field(default_factory=list)
    # The group's own schedule and first-reply targets, instead of working_hours and
    # sla.first_reply_minutes (a round-the-clock incidents line, say).
    working_hours: WorkingHoursSettings | None = None
    first_reply_minutes: dict[Literal["urgent", "high", "normal", "low"], int] | None = None

    @field_validator("id")
    @classmethod
    def _group_id(cls, value: int) -> int:
        if value >= 0:
            raise ValueError("must be a group id, a negative number such as -1001234567890")
        return value

    @field_validator("categories")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if any(not category_path(c) for c in value):
            raise ValueError("a category is a path such as 'Оплата' or 'Оплата / Возврат'")
        return value

    def group(self) -> StaffGroup:
        return StaffGroup(
            id=self.id,
            name=self.name,
            languages=frozenset(self.languages),
            categories=tuple(category_path(c) for c in self.categories),
            priorities=frozenset(self.priorities),
            hours=self.working_hours.build() if self.working_hours else None,
            first_reply_minutes=(
                {str(k): v for k, v in self.first_reply_minutes.items()}
                if self.first_reply_minutes is not None
                else None
            ),
        )


class SlaSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # First-reply target per priority, in working minutes.
    first_reply_minutes: dict[Priority, int] = Field(default_factory=_default_targets)
    # Warn in the ticket's topic this many minutes before the target is missed.
    warn_before_minutes: int = Field(default=5, ge=0)
    # Seconds between SLA checks (0 turns the checks off).
    check_interval: float = Field(default=30.0, ge=0)
    # intent -> priority (anything else is "normal").
    intents: dict[str, Priority] = Field(default_factory=_default_intent_priorities)
    # Words that make a ticket urgent whatever its intent (matched at word starts).
    urgent_words: list[str] = Field(
        default_factory=lambda: ["срочно", "немедленно", "urgent", "asap", "emergency"]
    )


class StatsSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # A customer's messages with gaps up to this belong to one contact (conversation).
    session_gap_minutes: int = Field(default=30, ge=1)
    # Time zone of days, hours and weeks in the statistics.
    timezone: str = "Europe/Moscow"
    # The weekly report goes to the admins on this weekday at this local time.
    weekly_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_time: str = "09:00"
    # Week-over-week growth of a category above this percentage raises an alert.
    growth_alert_percent: float = Field(default=25.0, ge=0)
    # Cost estimate (the seeds' formula): incidents x average hours x hourly cost x roles.
    hourly_cost: float = Field(default=1500.0, ge=0)
    roles_involved: int = Field(default=1, ge=1)
    currency: str = "₽"
    # Where weekly exports are written (one folder per week).
    export_dir: Path = Path("data/exports")
    # Seconds between checks whether the weekly report is due (0 turns the schedule off).
    schedule_interval: float = Field(default=60.0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return WorkingHoursSettings._zone(value)

    @field_validator("weekly_time")
    @classmethod
    def _time(cls, value: str) -> str:
        try:
            time_of_day.fromisoformat(value)
        except ValueError:
            raise ValueError("must be HH:MM, e.g. 09:00") from None
        return value


class DeliverySettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Attempts per Bot API call on 5xx and network errors before giving up (a 429 uses none).
    max_attempts: int = Field(default=5, ge=1, le=20)
    # Calls (sends, edits, topic operations) in any minute into one group (Telegram: ~20).
    group_rate_per_minute: float = Field(default=20.0, ge=0)
    # Places of that minute card refreshes and topic renames leave free for people's messages.
    cosmetic_reserve: int = Field(default=3, ge=0, le=19)
    # Messages a second into one private chat (Telegram: about 1), after a burst of
    # `private_burst` at once; and Bot API calls a second in all (Telegram: about 30). 0: off.
    private_per_second: float = Field(default=1.0, ge=0)
    private_burst: int = Field(default=3, ge=1, le=30)
    overall_per_second: int = Field(default=30, ge=0)
    # How long a relayed message is retried through Bot API outages (5xx, network errors)
    # before its sender is told it was not delivered. Telegram keeps updates 24 h.
    give_up_after_hours: float = Field(default=24.0, gt=0)


class ServerSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # The HTTP server for /healthz, /metrics and (in webhook mode) Telegram's webhook.
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: no server (polling mode only)
    # A server of their own for /healthz and /metrics (0: they share host:port above). With
    # the webhook public on 0.0.0.0, keep these on 127.0.0.1 or a private network.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)


class WebhookSettings(BaseModel):
    model_config = {"extra": "forbid"}

    # Public HTTPS base URL Telegram posts to (the load balancer in front of the replicas).
    url: str = ""
    path: str = "/telegram/webhook"
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; requests without it are refused.
    secret_token: SecretStr = SecretStr("")
    # Register the webhook with Telegram at start-up (one replica is enough; all may).
    set_webhook: bool = True
    max_connections: int = Field(default=40, ge=1, le=100)

    @field_validator("secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not SECRET_RE.match(secret):
            raise ValueError("1-256 characters, only A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value


class PolicySettings(BaseModel):
    model_config = {"extra": "forbid"}

    # An intent at or above this confidence is acted on; below it the bot suggests articles.
    confident: float = Field(default=0.5, ge=0, le=1)
    # After this many unsure turns in a row the bot offers a person outright.
    low_confidence_turns: int = Field(default=2, ge=1, le=10)


class Settings(BaseSettings):
    """Every field maps to a top-level key of config.yml and to an upper-case env variable."""

    model_config = SettingsConfigDict(
        extra="forbid",
        env_nested_delimiter="__",
        yaml_file=DEFAULT_CONFIG_FILE,
        yaml_file_encoding="utf-8",
    )

    bot_token: SecretStr = Field(description="the token from @BotFather")
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Bot API base URL (a self-hosted server)"
    )
    staff_chat_id: int = Field(description="the operators' forum supergroup id, negative")
    staff_chat_name: str = Field(
        default="main", min_length=1, max_length=64, description="the default group's name"
    )
    staff_groups: list[StaffGroupSettings] = Field(
        default_factory=list,
        description="more staff groups and the tickets they take (JSON list in env)",
    )
    escalate_to: str = Field(
        default="", description="the group (by name) that takes tickets past their SLA or urgent"
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="admins' Telegram user ids, comma-separated"
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///data/frontline.db",
        description="SQLite file or postgresql+asyncpg://user:password@host:5432/db",
    )
    kb_dir: Path = Field(default=PACKAGED_KB, description="directory of the KB's Markdown articles")
    nlu_dir: Path = Field(
        default=PACKAGED_NLU, description="Rasa project whose data/ trains the intents"
    )
    default_language: str = Field(
        default="ru", description="ru or en: customers' language if unknown"
    )
    staff_language: str = Field(default="ru", description="ru or en: the staff group's language")
    mode: Literal["polling", "webhook"] = Field(default="polling", description="polling or webhook")
    polling_timeout: int = Field(default=30, ge=0, le=50, description="long-poll seconds")
    concurrency: int = Field(default=16, ge=1, le=500, description="updates handled at once")
    redis_url: str = Field(default="", description="Redis for dialog state and locks (replicas)")
    update_attempts: int = Field(
        default=3, ge=1, le=10, description="tries before a failing update is quarantined"
    )
    quarantine_check_interval: float = Field(
        default=10.0, ge=0, description="seconds between checks for quarantine replays (0: off)"
    )
    server: ServerSettings = Field(
        default_factory=ServerSettings, description="/healthz, /metrics and the webhook's server"
    )
    webhook: WebhookSettings = Field(
        default_factory=WebhookSettings, description="webhook mode: public URL, path, secret"
    )
    request_timeout: float = Field(default=60.0, gt=0, description="Bot API request seconds")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    nlu_backend: Literal["embedded", "rasa"] = Field(
        default="embedded", description="embedded (no server) or rasa"
    )
    nlu_embeddings: bool = Field(
        default=True,
        description="pretrained word vectors beside TF-IDF for intents and KB search",
    )
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="the Rasa server")
    rasa_timeout: float = Field(
        default=2.0, gt=0, le=60, description="seconds before the embedded NLU answers instead"
    )
    kb: KBSettings = Field(default_factory=KBSettings, description="KB search thresholds")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="when to act")
    orders: OrderSettings = Field(default_factory=OrderSettings, description="order look-ups")
    callback: CallbackSettings = Field(
        default_factory=CallbackSettings, description="callback requests"
    )
    handoff: HandoffSettings = Field(default_factory=HandoffSettings, description="the desk")
    categories: CategorySettings = Field(
        default_factory=CategorySettings, description="category rules"
    )
    delivery: DeliverySettings = Field(
        default_factory=DeliverySettings, description="Bot API retries and pacing"
    )
    working_hours: WorkingHoursSettings = Field(
        default_factory=WorkingHoursSettings, description="the desk's hours and holidays"
    )
    sla: SlaSettings = Field(default_factory=SlaSettings, description="first-reply targets")
    stats: StatsSettings = Field(
        default_factory=StatsSettings, description="weekly statistics and exports"
    )

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("must look like 123456:ABC-DEF... (the token @BotFather gave)")
        return value

    @field_validator("staff_chat_id")
    @classmethod
    def _group_id(cls, value: int) -> int:
        if value >= 0:
            raise ValueError("must be a group id, a negative number such as -1001234567890")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("kb_dir")
    @classmethod
    def _kb_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError("knowledge-base directory not found")
        return value

    @field_validator("nlu_dir")
    @classmethod
    def _nlu_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError("Rasa project directory not found")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("default_language", "staff_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("ru", "en"):
            raise ValueError("must be 'ru' or 'en'")
        return value

    @field_validator("staff_groups")
    @classmethod
    def _distinct_groups(
        cls, value: list[StaffGroupSettings], info: ValidationInfo
    ) -> list[StaffGroupSettings]:
        ids = [info.data.get("staff_chat_id"), *(g.id for g in value)]
        names = [str(info.data.get("staff_chat_name", "")).casefold()]
        names += [g.name.casefold() for g in value]
        if len(set(ids)) != len(ids):
            raise ValueError("each group's id must differ from the others and from staff_chat_id")
        if len(set(names)) != len(names):
            raise ValueError(
                "each group's name must differ from the others and from staff_chat_name"
            )
        return value

    @field_validator("escalate_to")
    @classmethod
    def _known_group(cls, value: str, info: ValidationInfo) -> str:
        names = [info.data.get("staff_chat_name", "")]
        names += [g.name for g in info.data.get("staff_groups", [])]
        if value and value.casefold() not in {str(n).casefold() for n in names}:
            raise ValueError(
                f"no staff group of that name; the groups: {', '.join(map(str, names))}"
            )
        return value

    def routing(self) -> Routing:
        routing = Routing(
            self.staff_chat_id, tuple(g.group() for g in self.staff_groups), self.staff_chat_name
        )
        if self.escalate_to:
            routing = replace(routing, escalate_to=routing.by_name(self.escalate_to))
        return routing

    _origins: Origins | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_file = settings_cls.model_config.get("env_file")
        return (
            init_settings,
            env_settings,
            KnownKeysDotEnv(settings_cls, env_file=env_file),
            YamlConfigSettingsSource(settings_cls),
        )

    def label(self, key: str) -> str:
        """`key (where its value came from)`, for start-up errors: `database_url (env
        DATABASE_URL)`, `kb_dir (config.yml:12)`, `telegram_api_url (default; env
        TELEGRAM_API_URL sets it)`."""
        loc = tuple(key.split("."))
        where = self._origins.of(loc) if self._origins is not None else None
        if where is None:
            return f"{key} (default; env {env_name(loc)} sets it)"
        return f"{key} ({where})"


def _check_yaml(path: Path) -> dict[tuple[str, ...], int]:
    """Parse the file ourselves first so a syntax error names its line; the line of each key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        index, problem = locate(exc)
        line = f":{index + 1}" if index is not None else ""
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from exc
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping of keys")
    return yaml_key_lines(text)


SECRET_KEYS = ("token", "secret", "password")


def _shown(key: str, given: Any) -> str:
    """The offending value for the message; never a secret, and a URL without its password."""
    if any(word in key for word in SECRET_KEYS) or isinstance(given, dict | list):
        return ""
    text = repr(given)
    if key.endswith("_url"):
        text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    return f" (got {text})"


def _describe(error: ValidationError, origins: Origins) -> str:
    first = error.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    key = ".".join(loc) or "?"
    env = env_name(loc)
    where = origins.of(loc)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        elsewhere = (
            f" (or {env}=… in .env)" if key == "bot_token" else f", or {key} in the config file"
        )
        return f"config error: {key} is required: set env {env}{elsewhere}"
    if first["type"] == "extra_forbidden":
        return f"config error: {where or origins.config_file}: unknown key {key!r}"
    shown = _shown(key, first.get("input"))
    return f"config error: {key} ({where or 'default'}): {msg}{shown}"


def _env_file(raw: str | None) -> Path | None:
    """ENV_FILE names the file; unset: ./.env if there is one; set but empty: none."""
    if raw is None:
        default = Path(DEFAULT_ENV_FILE)
        return default if default.is_file() else None
    if not raw:
        return None
    if not Path(raw).is_file():
        raise ConfigError(f"{raw}: env file not found (ENV_FILE)")
    return Path(raw)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings; raise ConfigError with one readable line on any problem."""
    raw = config_file if config_file is not None else os.environ.get("CONFIG_FILE")
    path = Path(raw) if raw else Path(DEFAULT_CONFIG_FILE)
    explicit = raw is not None
    config_lines: dict[tuple[str, ...], int] = {}
    if path.exists():
        config_lines = _check_yaml(path)
    elif explicit:
        raise ConfigError(f"{path}: config file not found (CONFIG_FILE)")
    env_file = _env_file(os.environ.get("ENV_FILE"))
    origins = Origins(
        config_file=path if path.exists() else None,
        config_lines=config_lines,
        env_file=env_file,
        env_file_lines=env_file_lines(env_file) if env_file is not None else {},
        environ=frozenset(name.upper() for name in os.environ),
    )
    # A subclass per call carries the file paths without global state.
    config = {
        **Settings.model_config,
        "yaml_file": origins.config_file,
        "env_file": env_file,
    }
    cls = type("Settings", (Settings,), {"model_config": config})
    try:
        settings: Settings = cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origins)) from exc
    except SettingsError as exc:
        # A list or mapping in the environment that is not JSON (STAFF_GROUPS, say).
        field = re.search(r'field "(\w+)"', str(exc))
        key = field.group(1) if field else "?"
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ConfigError(
            f"config error: {key} (env {env_name((key,))}): not valid JSON{cause}"
        ) from exc
    settings._origins = origins
    return settings
