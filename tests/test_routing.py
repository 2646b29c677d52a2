"""Which staff group a new ticket goes to, and the staff groups' settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from handoff.routing import Routing, StaffGroup, category_path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:TEST-emulator-token-abcdef"
ROUTING = Routing(
    -1,
    (
        StaffGroup(-2, "Incidents", priorities=frozenset({"urgent"})),
        StaffGroup(-3, "English", languages=frozenset({"en"})),
        StaffGroup(-4, "Refunds", categories=(category_path("Оплата / Возврат"),)),
        StaffGroup(-5, "Payments", categories=(category_path("оплата"),)),
        StaffGroup(-6, "Second line"),  # no rules: only what is moved there
    ),
)


@pytest.mark.parametrize(
    ("language", "category", "priority", "group"),
    [
        ("ru", ("Прочее", "Общие вопросы", "Без темы"), "normal", -1),  # nothing else matches
        ("en", ("Прочее", "Общие вопросы", "Без темы"), "normal", -3),
        ("en", ("Оплата", "Возврат", "—"), "urgent", -2),  # the first group that matches
        ("ru", ("Оплата", "Возврат", "Сроки"), "normal", -4),  # the narrower branch is first
        ("ru", ("ОПЛАТА", "Способы", "Карта"), "high", -5),  # any letter case
        ("ru", ("Оплатами", "—", "—"), "normal", -1),  # whole levels, not letters
        ("ru", (None, None, None), "low", -1),
    ],
)
def test_the_first_group_whose_rules_all_match_takes_the_ticket(
    language: str, category: tuple[str | None, ...], priority: str, group: int
) -> None:
    assert ROUTING.group_for(language, category, priority) == group


def test_groups_are_named_for_transfer_in_any_case() -> None:
    assert ROUTING.by_name(" second LINE ") == -6 and ROUTING.by_name("main") == -1
    assert ROUTING.by_name("nowhere") is None
    assert ROUTING.chat_ids == {-1, -2, -3, -4, -5, -6}


@pytest.mark.parametrize(
    ("groups", "error"),
    [
        ('[{"id": -1001, "name": "A"}]', "id must differ"),
        ('[{"id": -2, "name": "Main"}]', "name must differ"),
        ('[{"id": 5, "name": "A"}]', "staff_groups.0.id (env STAFF_GROUPS): must be a group id"),
        ('[{"id": -2, "name": "A", "languages": ["de"]}]', "staff_groups.0.languages.0"),
        ('[{"id": -2, "name": "A", "categories": [" / "]}]', "a category is a path"),
        ('[{"id": -2, "name": "A"', "staff_groups (env STAFF_GROUPS): not valid JSON"),
    ],
)
def test_a_bad_staff_group_is_named_in_the_error(
    groups: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFF_GROUPS", groups)
    with pytest.raises(ConfigError, match=re.escape(error)):
        load_settings(ROOT / "config.yml", bot_token=TOKEN, staff_chat_id=-1001)


def test_escalation_names_a_known_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_GROUPS", '[{"id": -2, "name": "Вторая линия"}]')
    monkeypatch.setenv("ESCALATE_TO", "ВТОРАЯ ЛИНИЯ")
    settings = load_settings(ROOT / "config.yml", bot_token=TOKEN, staff_chat_id=-1001)
    assert settings.routing().escalate_to == -2
    monkeypatch.setenv("ESCALATE_TO", "третья")
    with pytest.raises(
        ConfigError, match=r"escalate_to \(env ESCALATE_TO\): .*the groups: main, Вторая линия"
    ):
        load_settings(ROOT / "config.yml", bot_token=TOKEN, staff_chat_id=-1001)
