"""Dialog states (aiogram FSM): kept in the database by default (bot/fsm_storage.py), in Redis
when configured."""

from aiogram.fsm.state import State, StatesGroup


class OrderFlow(StatesGroup):
    number = State()


class CallbackFlow(StatesGroup):
    name = State()
    phone = State()
    window = State()


class RatingComment(StatesGroup):
    text = State()
