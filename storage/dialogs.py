"""Dialog state rows (storage.models.DialogState): read and written by bot/fsm_storage.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState


async def get(session: AsyncSession, key: str) -> DialogState | None:
    return await session.get(DialogState, key)


async def put(
    session: AsyncSession,
    key: str,
    now: datetime,
    *,
    state: str | bool | None = False,
    data: dict[str, Any] | None = None,
) -> None:
    """Set the state (False: keep it) and/or the data (None: keep it); a row left with
    neither is removed."""
    row = await session.get(DialogState, key)
    if state is False:
        state = row.state if row is not None else None
    new_state = state if isinstance(state, str) else None
    new_data = dict(data) if data is not None else (dict(row.data) if row is not None else {})
    if new_state is None and not new_data:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(DialogState(key=key, state=new_state, data=new_data, updated_at=now))
    else:
        row.state, row.data, row.updated_at = new_state, new_data, now
