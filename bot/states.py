"""Dialog states (aiogram FSM): kept in memory by default, in Redis when configured."""

from aiogram.fsm.state import State, StatesGroup


class OrderFlow(StatesGroup):
    number = State()


class CallbackFlow(StatesGroup):
    name = State()
    phone = State()
    window = State()


class RatingComment(StatesGroup):
    text = State()
