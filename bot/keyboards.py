"""Inline keyboards."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from common.callbacks import AskOperator, Feedback, RateTicket, ShowArticle
from common.i18n import Texts
from kb.model import Article


def rating(ticket_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for score in range(1, 6):
        builder.button(text=f"{score} ⭐", callback_data=RateTicket(ticket=ticket_id, score=score))
    builder.adjust(5)
    return builder.as_markup()


def operator_button(t: Texts, reason: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("kb-button-operator"), callback_data=AskOperator(reason=reason).pack()
    )


def suggestions(t: Texts, articles: list[Article], reason: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=a.title, callback_data=ShowArticle(id=a.id).pack())]
        for a in articles
    ]
    rows.append([operator_button(t, reason)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def operator_only(t: Texts, reason: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[operator_button(t, reason)]])


def article_links(article: Article | None) -> list[list[InlineKeyboardButton]]:
    if article is None:
        return []
    return [[InlineKeyboardButton(text=text, url=url)] for text, url in article.buttons]


def feedback(t: Texts, article: Article) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *article_links(article),
            [
                InlineKeyboardButton(
                    text=t("kb-feedback-up"),
                    callback_data=Feedback(article=article.id, useful=True).pack(),
                ),
                InlineKeyboardButton(
                    text=t("kb-feedback-down"),
                    callback_data=Feedback(article=article.id, useful=False).pack(),
                ),
            ],
        ]
    )


def links_only(article: Article | None) -> InlineKeyboardMarkup | None:
    """What stays under an answer once it was rated: its link buttons, if any."""
    rows = article_links(article)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
