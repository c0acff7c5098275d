"""Calls to the Bot API that lose nothing and send nothing twice.

Every call Guichet makes goes through `Delivery`, the bot's HTTP connection:

- **Retries.** 429 is waited out for its `retry_after`; a 5xx answer, a refused or timed-out
  connection and a connection reset while the request was being written are tried again with
  backoff, for up to `budget` seconds. Telegram answered these before doing anything, or never
  received the whole request.
- **No second copy.** When the whole request was written and no answer came (a read timeout,
  a reset), Telegram may have sent the message already. A call that sends something (a
  message, a copy, a photo) is then taken as delivered, logged, and not sent again: a
  duplicate would be as confusing as the "Sorry" the handler would otherwise have said. Calls
  that change nothing when repeated (edits, settings) are tried again.
- **Answers to button presses** (`answerCallbackQuery`) only stop the button's spinner. When
  one fails for good ("query is too old" after a slow start, an outage), the button's action
  still goes ahead.
- **Replays.** While an update from the inbox (or a support timer's step, a job of the inbox)
  is handled, each call that succeeded is recorded in a journal (`bot/storage/sent.py`; an
  answer is kept in memory until another call follows it or the update is handed back, and
  is not written at all when the update is done first), and a send is marked in flight as
  soon as its request has been written whole (httpcore's trace of the request, through
  `Marking`), before its answer comes. When an interrupted
  handling is run again, a call that the first run already made (the same method for the
  same chat, in the same order) is answered from the journal and not sent again; a send that
  was in flight when the process died is taken as delivered, as a send whose answer never
  came is while the process lives. The mark is a commit, which takes several turns of the
  event loop; so a send is first noted in a local file (`bot/channels/telegram/sending.py`)
  in the same instant its request is written, and a restarted process takes those notes into
  the journal before it handles anything.
- **An outage.** When the budget runs out, the call raises `StillFailing`; the update's
  handling stops and the inbox worker hands the update back, to be handled again later.

`Forbidden` (the user blocked the bot) and other refusals are final and reach the handler.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels.telegram.sending import Noted, SendingFile, notes_about
from bot.storage.sent import (
    IN_FLIGHT,
    UNRECORDED,
    Entry,
    Handling,
    SentJournal,
    handling,
)

log = logging.getLogger(__name__)

#: Methods whose second call is a second message in the chat.
SENDS: Final = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVoice",
        "sendVideo",
        "sendVideoNote",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendMediaGroup",
    }
)
ANSWER_TAP: Final = "answerCallbackQuery"
#: How long the spinner's answer is tried: Telegram refuses it after about 15 seconds anyway.
ANSWER_TAP_BUDGET: Final = 5.0
#: Errors raised before the request was completely written: Telegram cannot have acted on it.
NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


#: httpcore's trace event (HTTP/1.1 and HTTP/2) once a request has been written whole.
WRITTEN: Final = "send_request_body.complete"

Written = Callable[[], Awaitable[None]]
#: What to do once the request of the call being made in this task is written whole.
_written: ContextVar[Written | None] = ContextVar("guichet_written", default=None)


class Marking(httpx.AsyncBaseTransport):
    """The bot's HTTP transport: tells the call being made (through `_written`) the moment its
    request has been written whole, from httpcore's trace events, before the answer is read."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        written = _written.get()
        if written is not None:

            async def trace(event: str, info: dict[str, Any]) -> None:
                if event.endswith(WRITTEN):
                    await written()

            request.extensions = {**request.extensions, "trace": trace}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class _Mark:
    """A send known to have been written whole, until its answer is recorded (or its update
    done) or a failure comes back. Where it is kept:

    - with a local file (`sending`), it is noted there at once; one process serving the
      database (SQLite) keeps it there alone, until the answer is recorded or the update is
      done, so a send costs no commit of its own. With several processes it is also marked in
      the journal, beside the call (`marking`), for another machine that takes the update over;
    - without a local file, it is marked in the journal before the answer is read.
    """

    journal: SentJournal
    sending: SendingFile | None
    marking: set[asyncio.Task[None]] | None  # None: the note alone (one process)
    current: Handling
    method: str
    target: str
    seq: int = 0
    noted: bool = False  # in the local file, not yet released
    marked: bool = False  # in the journal (or on its way there)
    task: asyncio.Task[None] | None = None

    async def written(self) -> None:
        if self.noted or self.marked:
            return
        if not self.seq:
            self.current.seq += 1
            self.seq = self.current.seq
        sent = Noted(self.current.update_id, self.seq, self.method, self.target)
        if self.sending is None:  # the journal alone: marked before the answer is read
            self.marked = True
            self.current.journalled = True
            await _mark_in(self.journal, sent)
            return
        self.sending.note(sent)
        self.noted = True
        if self.marking is not None:
            self.marked = True
            self.current.journalled = True
            self.task = asyncio.create_task(self._commit(sent))
            self.marking.add(self.task)
            self.task.add_done_callback(self.marking.discard)

    async def _commit(self, sent: Noted) -> None:
        try:
            await _mark_in(self.journal, sent)
        except asyncio.CancelledError:
            self.kept()  # the process is stopping: the note stays, for the next start
            raise
        except Exception:
            log.exception("could not mark a %s in the journal; its note stays", sent.method)
            self.kept()
            return
        self.release()

    def release(self) -> None:
        """The send is in the journal, or refused: its note is no longer needed."""
        if self.noted and self.sending is not None:
            self.sending.marked()
            self.noted = False

    def kept(self) -> None:
        """The note stays (its send is not in the journal), though this call is over."""
        if self.noted and self.sending is not None:
            self.sending.abandoned()
            self.noted = False

    async def struck(self) -> None:
        """Refused, or never sent whole: taken out of the file and the journal."""
        if self.task is not None:  # struck out only once it is there
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        if self.marked:
            await self.journal.unmark(self.current.update_id, self.seq)
            self.marked = False
        self.release()


class StillFailing(NetworkError):
    """Telegram could not be reached within the budget; the update is handled again later."""


def _now() -> datetime:
    return datetime.now(UTC)


async def _mark_in(journal: SentJournal, sent: Noted) -> None:
    """Mark a send in flight in the journal."""
    await journal.mark(sent.update_id, sent.seq, sent.method, sent.target, _now())


def _ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def _chat_of(request_data: RequestData | None) -> Any:
    params = request_data.parameters if request_data else {}
    return params.get("chat_id")


def target(request_data: RequestData | None) -> str:
    """Whom a call is for: its chat, or the button press it answers."""
    params = request_data.parameters if request_data else {}
    return str(params.get("chat_id") or params.get("callback_query_id") or "")


def _assumed(request_data: RequestData | None) -> bytes:
    """The answer of a send taken as done: a message whose id is unknown (0)."""
    chat = _chat(_chat_of(request_data))
    return _ok({"message_id": 0, "date": int(time.time()), "chat": chat})


def _chat(chat_id: Any) -> dict[str, Any]:
    try:
        return {"id": int(chat_id), "type": "private"}
    except (TypeError, ValueError):
        return {"id": 0, "type": "private"}


def kept(payload: bytes) -> bytes:
    """What the journal keeps of an answer: a message's id and date, or the plain result. The
    text, the chat's names and the buttons are not kept; the chat comes from the request."""
    try:
        result = json.loads(payload).get("result")
    except (ValueError, AttributeError):
        return _ok(True)
    if isinstance(result, dict) and "message_id" in result:
        return _ok({"message_id": result["message_id"], "date": result.get("date", 0)})
    if isinstance(result, list):  # sendMediaGroup, copyMessages
        return _ok([{"message_id": m.get("message_id")} for m in result if isinstance(m, dict)])
    return _ok(result if isinstance(result, bool | int | str) else True)


def replayed(stored: bytes, request_data: RequestData | None) -> bytes:
    """A journal entry as the library expects the answer: a message gets its chat back."""
    body = json.loads(stored)
    result = body.get("result")
    chat = _chat(_chat_of(request_data))
    if isinstance(result, dict) and "message_id" in result:
        result.setdefault("chat", chat)
        result.setdefault("date", 0)
    elif isinstance(result, list):
        for m in result:
            m.setdefault("chat", chat)
            m.setdefault("date", 0)
    return json.dumps(body).encode()


def _retry_after(payload: bytes) -> float | None:
    try:
        value = json.loads(payload).get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


Sleep = Callable[[float], Awaitable[None]]


class Delivery(HTTPXRequest):
    """The bot's connection for every method but getUpdates; see the module's docstring."""

    def __init__(
        self,
        journal: SentJournal | None = None,
        *,
        budget: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.journal = journal
        self.budget = budget
        self.sleep = sleep
        self.sending: SendingFile | None = None  # see `resume`
        #: Marks being committed beside calls, when several processes serve (see `resume`).
        self.marking: set[asyncio.Task[None]] | None = None

    async def resume(self, sending: SendingFile, *, several: bool = False) -> int:
        """Take the sends noted in `sending` by the last process as in flight (marked in the
        journal before anything is handled), then note this process's sends there; with
        `several` processes serving, mark them in the journal too. Returns how many were
        noted."""
        noted = sending.read()
        if self.journal is not None:
            for sent in noted:
                await _mark_in(self.journal, sent)
        sending.clear()
        self.sending = sending
        self.marking = set() if several else None
        if noted:
            log.info("%d message(s) on their way at the last stop: taken as sent", len(noted))
        return len(noted)

    async def _take_notes(self, update_id: int) -> None:
        """Before an update is handled again: what any instance on this machine noted about it
        (one that died, not yet restarted) is marked in the journal."""
        if self.sending is None or self.journal is None:
            return
        for sent in notes_about(self.sending.path.parent, update_id):
            await _mark_in(self.journal, sent)

    async def shutdown(self) -> None:
        if self.marking:  # a second for the last marks; what is not committed stays noted
            await asyncio.wait(self.marking, timeout=1.0)
            for task in list(self.marking):
                task.cancel()
            await asyncio.gather(*self.marking, return_exceptions=True)
        await super().shutdown()
        if self.sending is not None:
            self.sending.close()
            self.sending = None

    def _build_client(self) -> httpx.AsyncClient:
        """The library's client, on a transport that tells when a request is written whole."""
        kwargs = dict(self._client_kwargs)
        inner = kwargs.pop("transport", None) or httpx.AsyncHTTPTransport(
            limits=kwargs["limits"], http1=kwargs["http1"], http2=kwargs["http2"]
        )
        return httpx.AsyncClient(transport=Marking(inner), **kwargs)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]

        async def call() -> tuple[int, bytes]:
            return await super(Delivery, self).do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip

        current = handling.get()
        if current is None or self.journal is None:
            return await self.deliver(endpoint, request_data, call)
        whom = target(request_data)
        if current.replay and current.done is None:
            await self._take_notes(current.update_id)
            current.done = await self.journal.entries(current.update_id)
            current.seq = max((e.seq for e in current.done), default=0)
        for entry in current.done or ():
            if (entry.method, entry.target) == (endpoint, whom):
                assert current.done is not None
                current.done.remove(entry)
                if entry.answer == IN_FLIGHT:
                    log.info("%s was in flight when a process stopped: taken as sent", endpoint)
                    return 200, _assumed(request_data)
                log.debug("%s of update %d: already done", endpoint, current.update_id)
                return 200, replayed(entry.answer, request_data)
        if current.unwritten:  # a call after these: their answers may matter now
            await self.journal.write(current, _now())
        mark = (
            _Mark(self.journal, self.sending, self.marking, current, endpoint, whom)
            if endpoint in SENDS
            else None
        )
        told = _written.set(mark.written if mark else None)
        try:
            code, payload = await self.deliver(endpoint, request_data, call, mark)
        except StillFailing:  # its mark, if any, was struck out before it gave up
            current.failed = True
            raise
        finally:
            _written.reset(told)
        if not 200 <= code < 300:
            if mark:
                await mark.struck()
            return code, payload
        if mark and mark.seq:  # its note goes with the answer, unless its mark does that
            note = mark if mark.task is None else None
            await self.journal.answered(
                current, Entry(mark.seq, endpoint, whom, kept(payload)), note
            )
            return code, payload
        if endpoint not in UNRECORDED:
            current.seq += 1
            await self.journal.answered(
                current, Entry(current.seq, endpoint, whom, kept(payload)), None
            )
        return code, payload

    async def deliver(
        self,
        endpoint: str,
        request_data: RequestData | None,
        call: Callable[[], Awaitable[tuple[int, bytes]]],
        mark: _Mark | None = None,
    ) -> tuple[int, bytes]:
        """One call, tried until it is answered, taken as done, or out of budget. A send's mark
        is struck out before it is tried again."""
        budget = ANSWER_TAP_BUDGET if endpoint == ANSWER_TAP else self.budget
        deadline = time.monotonic() + budget
        backoff = 0.25
        while True:
            try:
                code, payload = await call()
            except (TimedOut, NetworkError) as exc:
                cause = exc.__cause__
                if not isinstance(cause, NOT_SENT) and endpoint in SENDS:
                    log.warning(
                        "%s: no answer from Telegram (%s); taken as delivered, not sent again",
                        endpoint,
                        type(cause or exc).__name__,
                    )
                    return 200, _assumed(request_data)
                wait, why = backoff, type(cause or exc).__name__
            else:
                if code == 429:
                    wait, why = _retry_after(payload) or backoff, "429"
                elif code >= 500:
                    wait, why = backoff, str(code)
                elif code == 400 and endpoint == ANSWER_TAP:
                    log.info("the answer to a button press was refused (too old); going on")
                    return 200, _ok(True)
                else:
                    return code, payload
            if mark:
                await mark.struck()
            if time.monotonic() + wait > deadline:
                if endpoint == ANSWER_TAP:
                    log.info("could not answer a button press (%s); its action goes on", why)
                    return 200, _ok(True)
                raise StillFailing(f"{endpoint}: no success within {budget:.0f} s ({why})")
            log.info("%s: %s from Telegram, trying again in %.2f s", endpoint, why, wait)
            await self.sleep(wait)
            backoff = min(backoff * 2, 8.0)
