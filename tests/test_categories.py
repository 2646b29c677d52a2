"""Automatic categories: keyword rules, then intents, then the KB article, then the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import StartupError, build_categorizer
from bot.config import load_settings
from kb.service import KnowledgeBaseService
from nlu import data
from nlu.categories import Categorizer, KeywordRule

ROOT = Path(__file__).resolve().parents[1]


def categorizer() -> Categorizer:
    return Categorizer(
        rules=[
            KeywordRule(
                ("не загружается", "файл", "прерывается"), ("Хранилище", "Сбой", "Загрузка")
            )
        ],
        intents={"refund": ("Заказы", "Возвраты", "Деньги")},
        default=("Прочее", "Общее", "Без темы"),
        article_category=lambda intent: ("A", "B", "C") if intent == "delivery" else None,
    )


def test_keyword_rules_win_and_match_word_starts() -> None:
    c = categorizer()
    assert c.categorize("Файлы не загружаются, загрузка прерывается", "refund") == (
        "Хранилище",
        "Сбой",
        "Загрузка",
    )
    assert c.categorize("профайл", None) == ("Прочее", "Общее", "Без темы")  # not a word start


def test_intent_mapping_then_article_then_default() -> None:
    c = categorizer()
    assert c.categorize("верните деньги", "refund") == ("Заказы", "Возвраты", "Деньги")
    assert c.categorize("сколько ехать", "delivery") == ("A", "B", "C")
    assert c.categorize("привет", "greet") == ("Прочее", "Общее", "Без темы")
    assert c.categorize("что-то", None) == ("Прочее", "Общее", "Без темы")


def test_shipped_config_categorises_by_the_kb_and_the_seed_rule() -> None:
    settings = load_settings(ROOT / "config.yml", bot_token="1:" + "a" * 30, staff_chat_id=-100)
    kb = KnowledgeBaseService(settings.kb_dir)
    kb.load()
    c = build_categorizer(settings, kb, set(data.load(ROOT / "nlu" / "data").intents))
    assert c.categorize("сколько стоит доставка", "delivery") == (
        "Заказы",
        "Доставка",
        "Сроки и стоимость",
    )
    assert c.categorize("файл не загружается", None)[2] == "Ошибка загрузки"
    assert c.categorize("привет", "greet") == ("Прочее", "Общие вопросы", "Без темы")


def test_an_unknown_intent_in_config_stops_the_start_naming_the_key() -> None:
    settings = load_settings(
        ROOT / "config.yml",
        bot_token="1:" + "a" * 30,
        staff_chat_id=-100,
        categories={"intents": {"teleport": ["a", "b", "c"]}},
    )
    kb = KnowledgeBaseService(settings.kb_dir)
    kb.load()
    with pytest.raises(StartupError, match=r"categories\.intents: unknown intent 'teleport'"):
        build_categorizer(settings, kb, set(data.load(ROOT / "nlu" / "data").intents))


def test_a_two_level_category_is_a_config_error() -> None:
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match=r"categories\.default"):
        load_settings(
            ROOT / "config.yml",
            bot_token="1:" + "a" * 30,
            staff_chat_id=-100,
            categories={"default": ["a", "b"]},
        )
