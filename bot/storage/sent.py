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

Most handlings make one send and nothing after it, and their update is done a moment later:
recording that answer would be a write that `done` erases at once. So an answer is kept in
memory with the handling (`Handling.keep`) and written only when it can still matter: before
the handling makes another call, when the update is handed back (`Inbox.later`), or at once for
a call whose answer the caller keeps (a message's id stored with a ticket: `needing_answers`).
Until it is written or the update is done, the send's in-flight note stays, so a process that
dies in between takes the send as made, as it would without its answer. Calls that change
nothing when made again and whose answer nobody reads (`UNRECORDED`: the typing indicator, the
answer to a button press) are not recorded at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final, Protocol, cast

from sqlalchemy import Executable, Table, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.conflicts import dialect as dialect_of
from bot.storage.conflicts import insert_for
from bot.storage.models import SentCall

_sent: Final = cast(Table, SentCall.__table__)

#: How long the id of a handled update is kept to recognise a duplicate (Telegram keeps
#: unconfirmed updates for 24 hours); a journal's entries left by an update set aside, as long.
KEEP_IDS: Final = timedelta(days=1)


#: The answer of a send in flight: its request was written whole, no answer has come yet.
IN_FLIGHT: Final = b""
#: Calls whose repetition changes nothing and whose answer nobody reads: never recorded.
UNRECORDED: Final = frozenset({"sendChatAction", "answerCallbackQuery"})


@cache
def _mark(dialect: str) -> Executable:
    """Built once (each send is marked), on the table: two runs racing under one number keep
    the first."""
    marked: Executable = insert_for(dialect, _sent).on_conflict_do_nothing(
        index_elements=["update_id", "seq"]
    )
    return marked


@cache
def record_statement(dialect: str) -> Executable:
    """Built once (each answered call is recorded), on the table: the answer fills a send's
    mark; two runs racing under one number keep the first answer. Rows: `journal_rows`."""
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


class Note(Protocol):
    """What stands for a send until its answer is in the journal (a line in the local file of
    sends in flight, see bot/channels/telegram/sending.py)."""

    def release(self) -> None:
        """The answer is in the journal, or the update is done: the note may go."""

    def kept(self) -> None:
        """The answer could not be written: the note stays, for the next start."""


@dataclass
class Handling:
    """The update (or timer step) being handled in this task: its calls are numbered for
    the journal. A channel's inbox worker, and the support timers, set it."""

    update_id: int
    replay: bool  # handled before: its journal may hold answers
    seq: int = 0  # the number of the last call recorded
    failed: bool = False  # a call ran out of budget: hand the update back
    done: list[Entry] | None = None  # on a replay: the journal's calls not yet made again
    #: Answers not written yet (see the module's docstring), each with its send's note.
    unwritten: list[tuple[Entry, Note | None]] = field(default_factory=list)
    journalled: bool = False  # something of this handling was written to the journal

    def __post_init__(self) -> None:
        self.journalled = self.journalled or self.replay

    def keep(self, entry: Entry, note: Note | None) -> None:
        self.unwritten.append((entry, note))

    def take(self) -> list[Entry]:
        """The answers to write now; `written` or `unsettled` follows."""
        return [entry for entry, _ in self.unwritten]

    def written(self) -> None:
        """The kept answers are in the journal, or the update is done: their notes go."""
        notes, self.unwritten = self.unwritten, []
        for _, note in notes:
            if note is not None:
                note.release()

    def unsettled(self) -> None:
        """The handling ends with its answers unwritten and its update not done: the notes
        stay, for the next start."""
        notes, self.unwritten = self.unwritten, []
        for _, note in notes:
            if note is not None:
                note.kept()


handling: ContextVar[Handling | None] = ContextVar("guichet_handling", default=None)
#: True while a caller makes calls whose answers it keeps (see `needing_answers`).
_answers_needed: ContextVar[bool] = ContextVar("guichet_answers_needed", default=False)


@contextmanager
def needing_answers() -> Iterator[None]:
    """The calls made inside keep their answers (a message's id, stored with a ticket): they
    are recorded in the journal at once, so that a second run gets the same id."""
    token = _answers_needed.set(True)
    try:
        yield
    finally:
        _answers_needed.reset(token)


def answers_needed() -> bool:
    return _answers_needed.get()


def journal_rows(update_id: int, entries: list[Entry], now: datetime) -> list[dict[str, object]]:
    """The rows of answers for `record_statement`."""
    return [
        {"update_id": update_id, "seq": e.seq, "method": e.method, "target": e.target[:64],
         "answer": e.answer, "at": now}
        for e in entries
    ]  # fmt: skip


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

    async def answered(self, current: Handling, entry: Entry, note: Note | None) -> None:
        """A call of `current` was answered: keep its answer in memory, or write it at once
        when the caller keeps it (`needing_answers`)."""
        current.keep(entry, note)
        if answers_needed():
            await self.write(current, datetime.now(UTC))

    async def write(self, current: Handling, now: datetime) -> None:
        """Write the answers `current` kept in memory (before it makes another call, or at
        once when its caller keeps them); their notes go once they are in."""
        entries = current.take()
        if not entries:
            return
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    record_statement(dialect_of(session)),
                    journal_rows(current.update_id, entries, now),
                )
        except BaseException:
            current.unsettled()
            raise
        current.journalled = True
        current.written()

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
