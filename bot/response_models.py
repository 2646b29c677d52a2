"""Keep aiogram's parsed-response models alive.

aiogram parses every Bot API answer with `Response[<return type>]`, a pydantic generic model.
pydantic caches such parametrised models only weakly, so between calls they are collected and
built again from scratch: measured as the largest single CPU cost per message under load
(bench/load.py). Holding one reference per method type makes the cache hit every time.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType


class KeepResponseModels(BaseRequestMiddleware):
    def __init__(self) -> None:
        self._models: dict[type, Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        kind = type(method)
        if kind not in self._models:
            self._models[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
