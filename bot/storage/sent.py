"""The journal of what handling an update sent: each outgoing call, numbered in the order the
handler made it, with its method, its target (a chat, or a button press) and the platform's
answer.

A call that sends something (a message, a copy, a photo) is marked *in flight* as soon as its
whole request has been written to Telegram, before the answer comes: here (`mark`), or first
in a local file that a restarted process copies here (`bot/channels/telegram/sending.py`).
The answer is added when it comes, and a failure answer strikes the mark out. Other calls
(edits, answers to button presses, settings) are recorded once answered: doing them again
changes nothing.

A process that dies with a send in flight leaves the mark: when the update is handled again,
that send is taken as made, as a send whose answer never came is taken as made while the
process lives. Telegram acts on a request it received whole, whoever is left to read the
answer, so taking it as made is what keeps the message from arriving twice. The windows that
remain are described in README's "Nothing lost". A request not written whole when its process
died (still connecting, or waiting out a 429) carries no mark and is made again; Telegram never
saw it.

When an update is handled again (its process died before it was marked done), the handler runs
again and makes its calls again. Each call takes the first entry not yet taken with the same
method and target, in the order they were made, and is answered from it instead of being sent
a second time. A call with no such entry is sent and recorded after the others. A second run
may skip calls (the first run's ticket exists now, so no offer is made again): their entries
are simply not taken. With idempotent state changes (one question per update, one ticket per
question) the second run converges on the first: nothing is lost and nothing is sent twice.

An entry lives as long as its update is unfinished: `Inbox.done` deletes the update's entries
with its content. An answer keeps a message's id and date, not its text.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Final, cast

from sqlalchemy import Executable, Table, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert_for
from bot.storage.inbox import KEEP_IDS
from bot.storage.models import SentCall

_sent: Final = cast(Table, SentCall.__table__)


#: The answer of a send in flight: its request was written whole, no answer has come yet.
IN_FLIGHT: Final = b""


@cache
def _mark(dialect: str) -> Executable:
    """Built once (each send is marked), on the table: two runs racing under one number keep
    the first."""
    marked: Executable = insert_for(dialect, _sent).on_conflict_do_nothing(
        index_elements=["update_id", "seq"]
    )
    return marked


@cache
def _record(dialect: str) -> Executable:
    """Built once (each answered call is recorded), on the table: the answer fills a send's
    mark; two runs racing under one number keep the first answer."""
    insert = insert_for(dialect, _sent)
    recorded: Executable = insert.on_conflict_do_update(
        index_elements=["update_id", "seq"],
        set_={"answer": insert.excluded.answer, "at": insert.excluded.at},
        where=_sent.c.answer == IN_FLIGHT,
    )
    return recorded


@cache
def _unmark() -> Executable:
    gone: Executable = delete(_sent).where(
        _sent.c.update_id == bindparam("update_id"),
        _sent.c.seq == bindparam("seq"),
        _sent.c.answer == IN_FLIGHT,
    )
    return gone


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    method: str
    target: str
    answer: bytes


@dataclass
class Handling:
    """The update (or timer step) being handled in this task: its calls are numbered for
    the journal. A channel's inbox worker, and the support timers, set it."""

    update_id: int
    replay: bool  # handled before: its journal may hold answers
    seq: int = 0  # the number of the last call recorded
    failed: bool = False  # a call ran out of budget: hand the update back
    done: list[Entry] | None = None  # on a replay: the journal's calls not yet made again


handling: ContextVar[Handling | None] = ContextVar("guichet_handling", default=None)


class SentJournal:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def entries(self, update_id: int) -> list[Entry]:
        """The calls recorded while handling `update_id`, in the order they were made."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SentCall).where(SentCall.update_id == update_id).order_by(SentCall.seq)
            )
            return [Entry(r.seq, r.method, r.target, r.answer) for r in rows]

    async def record(
        self,
        update_id: int,
        seq: int,
        method: str,
        target: str,
        answer: bytes,
        now: datetime,
    ) -> None:
        """Record a call that was answered, filling its mark if it was a send (once: two runs
        racing under one number keep the first answer)."""
        call = {"method": method, "target": target[:64], "answer": answer, "at": now}
        async with self._sessions() as session, session.begin():
            await session.execute(
                _record(dialect_of(session)), {"update_id": update_id, "seq": seq, **call}
            )

    async def mark(self, update_id: int, seq: int, method: str, target: str, now: datetime) -> None:
        """Mark a send in flight: its request was written whole to the platform."""
        call = {"method": method, "target": target[:64], "answer": IN_FLIGHT, "at": now}
        async with self._sessions() as session, session.begin():
            await session.execute(
                _mark(dialect_of(session)), {"update_id": update_id, "seq": seq, **call}
            )

    async def unmark(self, update_id: int, seq: int) -> None:
        """Strike out a send's mark: the platform refused it, or never received it whole."""
        async with self._sessions() as session, session.begin():
            await session.execute(_unmark(), {"update_id": update_id, "seq": seq})

    async def count(self, update_id: int) -> int:
        async with self._sessions() as session:
            entries = select(func.count()).where(SentCall.update_id == update_id)
            return int(await session.scalar(entries) or 0)

    async def purge(self, now: datetime, keep: timedelta = KEEP_IDS) -> int:
        """Entries of updates set aside long ago (a handled update's go with it)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(SentCall).where(SentCall.at < now - keep))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
