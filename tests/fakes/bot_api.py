"""A fake Telegram Bot API server on loopback, for end-to-end tests and the benchmark.

A real python-telegram-bot ``Application`` runs against it, and nothing reaches the internet::

    async with FakeBotApi() as fake:
        builder = ApplicationBuilder().token(FakeBotApi.token).base_url(fake.base_url)
        app = builder.base_file_url(fake.base_file_url).build()
        ...  # add handlers; initialize, start, app.updater.start_polling(timeout=1)
        mark = fake.mark()
        fake.push_update(fake.message(42, "/start"))
        [reply] = await fake.wait_for("sendMessage", chat_id=42, since=mark)
        fake.push_update(fake.callback(42, reply.button_data()[0]))

The server is tornado on the running asyncio loop, on 127.0.0.1 and a free port. ``getUpdates``
long-polls the updates given to ``push_update``; every other call but ``getMe`` is recorded in
``calls`` before it is answered. Sends and edits answer realistic ``Message`` JSON, and each
chat's messages are remembered, so that ``callback()`` embeds the message whose button was
pressed (its text without markup, as Telegram gives it). ``fail_next`` and ``block`` make calls
fail with an API error; ``break_next`` carries a call out and then stalls its answer or drops
the connection without one, as a network can. The factories (``message``, ``callback``,
``photo``...) build real Update JSON without pushing it; ``voice(audio=...)`` keeps the note's
bytes in ``files``, which ``getFile`` and the file URL serve, and an upload (``sendVoice``...)
keeps its bytes in its call's params (``body``). PTB sends form fields whose non-string
values are JSON encoded; they are decoded back, except free text (``text``, ``data``...).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.fakes.telegram_html import check_markup, check_text, visible

JSON = dict[str, Any]


@dataclass(frozen=True)
class Break:
    """A call carried out whose answer never arrives: ``stall`` holds it back for ``seconds``
    (the client times out), ``reset`` closes the connection without an answer."""

    kind: str
    seconds: float = 0.0


_Dispatch = Callable[[str, JSON], Awaitable[tuple[int, JSON] | Break]]

# fmt: off
_STRING_KEYS = frozenset({  # free text: never decoded, even when it looks like JSON or a number
    "text", "caption", "callback_query_id", "data", "description", "short_description", "url",
    "secret_token", "title", "language_code", "parse_mode", "emoji", "query", "name", "action",
    "inline_message_id", "file_id", "ip_address", "business_connection_id", "message_effect_id",
    "switch_inline_query", "first_name", "last_name", "username", "custom_emoji_id",
})
_NUMBER_KEYS = frozenset({"offset", "limit", "timeout", "cache_time", "max_connections",
                          "retry_after", "duration", "width", "height"})
_FLOAT_KEYS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
_SENDS = {"sendmessage": "message", "sendphoto": "photo", "senddocument": "document",
          "sendvoice": "voice", "sendvideo": "video", "sendlocation": "location"}
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "photo", "document", "voice",
                 "video", "sticker", "location", "venue", "audio", "video_note", "animation",
                 "contact", "poll", "dice")
# fmt: on
_MEDIA: dict[str, JSON] = {  # the fields PTB needs besides file_id and file_unique_id
    "photo": dict(width=1280, height=960),
    "document": dict(file_name="document.pdf", mime_type="application/pdf"),
    "voice": dict(duration=3, mime_type="audio/ogg"),
    "audio": dict(duration=3, mime_type="audio/mp4", file_name="message.m4a"),
    "video_note": dict(duration=3, length=240),
    "video": dict(width=640, height=360, duration=5, mime_type="video/mp4"),
    "sticker": dict(width=512, height=512, is_animated=False, is_video=False, type="regular"),
}
_COMMAND = re.compile(r"/\S+")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def _decode(key: str, value: Any) -> Any:
    """Turn one PTB form value back into the JSON value it encodes."""
    if not isinstance(value, str) or key in _STRING_KEYS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if key in _FLOAT_KEYS or key in _NUMBER_KEYS or key.endswith("_id"):
        number = _as_int(value)
        if number is not None and key not in _FLOAT_KEYS:
            return number
        try:
            return float(value)
        except ValueError:
            return value
    return value


@dataclass
class Call:
    """One recorded Bot API call."""

    method: str
    params: dict[str, Any]
    at: float
    failed: bool = False
    broken: str | None = None  # carried out, but its answer stalled or was cut off
    message_id: int | None = None  # the message it sent or edited, once carried out

    @property
    def chat_id(self) -> int | None:
        return _as_int(self.params.get("chat_id"))

    @property
    def text(self) -> str | None:
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup")
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        return rows if isinstance(rows, list) else []

    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button_texts(self) -> list[str]:
        markup = self.params.get("reply_markup")
        keyboard = markup.get("keyboard", []) if isinstance(markup, dict) else []
        rows = [*self.buttons, *keyboard]
        return [b if isinstance(b, str) else str(b.get("text", "")) for row in rows for b in row]


@dataclass
class ApiError:
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    error_code: int
    description: str
    retry_after: int | None = None


def _error_body(error: ApiError) -> JSON:
    body: JSON = {"ok": False, "error_code": error.error_code, "description": error.description}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return body


class _Signal:
    """A broadcast wake-up: :meth:`notify` releases every current waiter."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)


class _BotApiHandler(tornado.web.RequestHandler):
    def initialize(self, dispatch: _Dispatch) -> None:
        self.dispatch = dispatch

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        if token != FakeBotApi.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            answer = await self.dispatch(method, self._params())
            if isinstance(answer, Break):
                await asyncio.sleep(answer.seconds)  # a stall: the client has given up by now
                self._auto_finish = False  # nothing more is written on this connection
                self.request.connection.detach().close()  # type: ignore[union-attr]
                return
            status, body = answer
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(body))

    def _params(self) -> JSON:
        request = self.request
        raw: JSON = {}
        if request.headers.get("Content-Type", "").startswith("application/json"):
            loaded = json.loads(request.body or b"{}")
            raw.update(loaded if isinstance(loaded, dict) else {})
        else:  # query string, urlencoded or multipart form: PTB's json_parameters
            raw.update({key: values[-1].decode() for key, values in request.arguments.items()})
        for key, files in request.files.items():
            upload = files[-1]
            raw[key] = dict(
                filename=upload.filename,
                content_type=upload.content_type,
                size=len(upload.body),
                body=upload.body,
            )
        return {key: _decode(key, value) for key, value in raw.items()}


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, files: dict[str, bytes]) -> None:
        self.files = files

    def get(self, token: str, path: str) -> None:
        if token != FakeBotApi.token:
            raise tornado.web.HTTPError(401)
        self.set_header("Content-Type", "application/octet-stream")
        file_id = path.removeprefix("files/")
        self.write(self.files.get(file_id, f"fake file {path}".encode()))


class FakeBotApi:
    """The fake Bot API server; see the module docstring."""

    token: ClassVar[str] = "123456789:TESTTOKEN-for-the-fake-bot-api"

    def __init__(self, *, username: str = "guichet_test_bot", bot_id: int = 123456789) -> None:
        self.username = username
        # Called with every recorded call: a benchmark waits on these instead of rescanning.
        self.listeners: list[Callable[[Call], None]] = []
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        #: What getFile and a file download give for a file id (`voice(audio=...)`).
        self.files: dict[str, bytes] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._last_message_id: dict[int, int] = {}  # one counter per chat: users' and the bot's
        self._messages: dict[int, dict[int, JSON]] = {}  # chat id -> message id -> message
        self._last_sent: dict[int, int] = {}
        self._chats: dict[int, JSON] = {}
        self._failures: list[tuple[str, int | None, ApiError]] = []
        self._breaks: list[tuple[str, int | None, Break]] = []
        self._holds: list[tuple[str, int | None, asyncio.Event, bool]] = []
        self.held = 0  # calls waiting on a hold
        #: Asked at every call (getMe aside) for a fault: an API error instead of the call, or
        #: a Break after it (a stall, a dropped connection). For chaos benchmarks.
        self.faults: Callable[[str], ApiError | Break | None] | None = None
        self._blocked: set[int] = set()
        self._answered: set[str] = set()  # callback queries answered (once each, as Telegram)
        self._ids = itertools.count(1)
        self._recorded = _Signal()
        self._pushed = _Signal()
        self._polls = 0  # getUpdates requests in progress
        self._poll_ended = _Signal()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._port = 0
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._server is not None:
            return
        app = tornado.web.Application(
            [
                (r"/bot([^/]*)/([^/]+)", _BotApiHandler, {"dispatch": self._dispatch}),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, {"files": self.files}),
            ],
            log_function=lambda handler: None,
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._port = int(sockets[0].getsockname()[1])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self._stopping = False

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping = True
        self._pushed.notify()  # pending long polls answer at once
        server.stop()
        deadline = asyncio.get_running_loop().time() + 2
        while self._polls and asyncio.get_running_loop().time() < deadline:
            await self._poll_ended.wait(0.1)
        await server.close_all_connections()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- assertions and control --------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return self._matching(self.calls, method, chat_id)

    @staticmethod
    def _matching(calls: list[Call], method: str, chat_id: int | None) -> list[Call]:
        name = method.lower()
        return [c for c in calls if c.method.lower() == name and chat_id in (None, c.chat_id)]

    def mark(self) -> int:
        return len(self.calls)

    async def wait_for(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        count: int = 1,
        since: int | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self._matching(self.calls[since or 0 :], method, chat_id)
            remaining = deadline - loop.time()
            if len(found) >= count:
                return found
            if remaining <= 0:
                recent = ", ".join(f"{c.method}({c.chat_id})" for c in self.calls[-15:])
                where = "" if chat_id is None else f" for chat {chat_id}"
                raise AssertionError(
                    f"waited {timeout}s for {count} {method}{where} from call {since or 0} on, "
                    f"got {len(found)}; the last calls were: {recent or 'none'}"
                )
            await self._recorded.wait(remaining)

    def push_update(self, update: dict[str, Any]) -> int:
        update_id = int(update.get("update_id", self._next_update_id))
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._updates.append({"update_id": update_id, **update})
        self._pushed.notify()
        return update_id

    def unconfirmed(self) -> int:
        """Updates the bot has not confirmed yet (by asking for the ones after them)."""
        return len(self._updates)

    def fail_next(
        self, method: str, error: ApiError, *, times: int = 1, chat_id: int | None = None
    ) -> None:
        self._failures.extend([(method.lower(), chat_id, error)] * times)

    def break_next(
        self,
        method: str,
        kind: str,
        *,
        seconds: float = 0.0,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of `method` are carried out, then their answer stalls for
        `seconds` (kind "stall") or their connection is dropped (kind "reset")."""
        assert kind in ("stall", "reset")
        self._breaks.extend([(method.lower(), chat_id, Break(kind, seconds))] * times)

    def hold_next(
        self, method: str, *, chat_id: int | None = None, carried_out: bool = False
    ) -> asyncio.Event:
        """The next call of `method` waits until the event returned is set; then its
        connection is dropped without an answer. It is not carried out (a request that never
        reached Telegram whole), or, with `carried_out`, it is (Telegram acts on a request it
        received whole, whether or not its sender is still there to read the answer)."""
        release = asyncio.Event()
        self._holds.append((method.lower(), chat_id, release, carried_out))
        return release

    def block(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    # -- update factories --------------------------------------------------------------------

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        reply_to_message_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        chat: JSON = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = f"Test {chat_type}"
        self._chats[chat_id] = chat
        sender = self._user(chat_id, first_name, language_code)
        if username:
            chat["username"] = sender["username"] = username
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
        }
        if text is not None:
            message["text"] = text
            if command := _COMMAND.match(text):
                length = len(command.group().encode("utf-16-le")) // 2
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._known(chat_id, reply_to_message_id)
        message.update(fields)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return {"message": copy.deepcopy(message)}

    def callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        sender = self._user(chat_id, self._chat(chat_id).get("first_name", "Test"), language_code)
        wanted = self._last_sent.get(chat_id) if message_id is None else message_id
        message = self._known(chat_id, wanted)
        if isinstance(message.get("text"), str):  # as Telegram gives it: without the markup
            message["text"] = visible(message["text"])
        query = {
            "id": f"cb{next(self._ids)}",
            "from": sender,
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return {"callback_query": query}

    def photo(self, chat_id: int, *, caption: str | None = None, **kw: Any) -> dict[str, Any]:
        sizes = [self._file("photo", width=90, height=68), self._file("photo")]
        return self.message(chat_id, photo=sizes, **self._captioned(caption, kw))

    def voice(
        self,
        chat_id: int,
        *,
        duration: int = 3,
        audio: bytes | None = None,
        file_size: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A voice note; with `audio`, getFile and the download give those bytes."""
        return self.sound(
            "voice", chat_id, duration=duration, audio=audio, file_size=file_size, **kw
        )

    def sound(
        self,
        kind: str,
        chat_id: int,
        *,
        duration: int = 3,
        audio: bytes | None = None,
        file_size: int | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A message that can be heard, of `kind` "voice", "audio" or "video_note"; with
        `audio`, getFile and the download give those bytes."""
        found = self._file(kind, duration=duration)
        if audio is not None:
            self.files[found["file_id"]] = audio
            found["file_size"] = len(audio)
        if file_size is not None:
            found["file_size"] = file_size
        return self.message(chat_id, **kw | {kind: found})

    def sticker(self, chat_id: int, *, emoji: str = "👍", **kw: Any) -> dict[str, Any]:
        return self.message(chat_id, sticker=self._file("sticker", emoji=emoji), **kw)

    def document(self, chat_id: int, *, caption: str | None = None, **kw: Any) -> dict[str, Any]:
        document = self._file("document")
        return self.message(chat_id, document=document, **self._captioned(caption, kw))

    def video(self, chat_id: int, *, caption: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.message(chat_id, video=self._file("video"), **self._captioned(caption, kw))

    def _file(self, kind: str, **fields: Any) -> JSON:
        n = next(self._ids)
        return dict(
            file_id=f"fake-{kind}-{n}",
            file_unique_id=f"u{kind}{n}",
            file_size=2048,
            **_MEDIA[kind] | fields,
        )

    @staticmethod
    def _captioned(caption: str | None, kw: JSON) -> JSON:
        return kw if caption is None else {**kw, "caption": caption}

    # -- chats and messages ------------------------------------------------------------------

    def _me(self) -> JSON:
        return dict(id=self.bot_id, is_bot=True, first_name="Guichet Test", username=self.username)

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Test {kind}"}

    def _user(self, chat_id: int, first_name: str, language_code: str | None) -> JSON:
        private = self._chat(chat_id)["type"] == "private"
        user = dict(
            id=chat_id if private else 1000 + abs(chat_id), is_bot=False, first_name=first_name
        )
        return user | ({"language_code": language_code} if language_code else {})

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _known(self, chat_id: int, message_id: int | None) -> JSON:
        """A copy of a remembered message, or else a minimal message from the bot (a new one
        when `message_id` is None)."""
        found = self._messages.get(chat_id, {}).get(message_id) if message_id else None
        if found is not None:
            return copy.deepcopy(found)
        return {
            "message_id": message_id or self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._me(),
        }

    def _store(self, chat_id: int, content: JSON) -> JSON:
        """Remember a message the bot sent, and return it."""
        message = self._known(chat_id, None) | content
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        self._last_sent[chat_id] = message["message_id"]
        return message

    # -- the Bot API -------------------------------------------------------------------------

    async def _dispatch(self, method: str, params: JSON) -> tuple[int, JSON] | Break:
        name = method.lower()
        if name == "getme":
            me = self._me() | {"can_join_groups": True, "can_read_all_group_messages": False}
            return 200, {"ok": True, "result": me | {"supports_inline_queries": False}}
        fault = self.faults(name) if self.faults is not None else None
        if name == "getupdates":
            if isinstance(fault, ApiError):
                return fault.error_code, _error_body(fault)
            updates = await self._get_updates(params)
            return fault if isinstance(fault, Break) else (200, {"ok": True, "result": updates})
        held = self._hold(name, _as_int(params.get("chat_id")))
        if held is not None:
            release, carried_out = held
            self.held += 1
            await release.wait()
            self.held -= 1
            if not carried_out:
                return Break("reset")
            fault = Break("reset")  # carried out below, its answer never sent
        call = Call(method, params, time.monotonic())
        error = (
            self._failure(name, call.chat_id)
            or (fault if isinstance(fault, ApiError) else None)
            or self._missing(name, params)
            or self._refusal(name, params)
            or self._answered_twice(name, params)
        )
        call.failed = error is not None
        result = None if error is not None else self._result(name, params, call.chat_id or 0)
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            call.message_id = result["message_id"]
        self.calls.append(call)
        self._recorded.notify()
        for listener in self.listeners:
            listener(call)
        if error is None:
            broken = self._break(name, call.chat_id)
            if broken is None and isinstance(fault, Break):
                broken = fault
            if broken is not None:
                call.broken = broken.kind
                return broken
            return 200, {"ok": True, "result": result}
        return error.error_code, _error_body(error)

    @staticmethod
    def _refusal(name: str, params: JSON) -> ApiError | None:
        """What the real Bot API would refuse: bad HTML, too long, bad buttons."""
        problem = check_markup(params.get("reply_markup"))
        field = {"sendmessage": "text", "editmessagetext": "text"}.get(name)
        if problem is None and field is not None:
            problem = check_text(str(params.get(field, "")), params.get("parse_mode"))
        return ApiError(400, problem) if problem else None

    def _missing(self, name: str, params: JSON) -> ApiError | None:
        """Telegram refuses to edit a message id that was never given out in the chat."""
        if not name.startswith("editmessage") or "inline_message_id" in params:
            return None
        chat_id = _as_int(params.get("chat_id")) or 0
        message_id = _as_int(params.get("message_id")) or 0
        if 0 < message_id <= self._last_message_id.get(chat_id, 0):
            return None
        return ApiError(400, "Bad Request: message to edit not found")

    def _answered_twice(self, name: str, params: JSON) -> ApiError | None:
        """Telegram accepts one answer per callback query; a second one is refused."""
        if name != "answercallbackquery":
            return None
        query = str(params.get("callback_query_id"))
        if query in self._answered:
            return ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query id is invalid",
            )
        self._answered.add(query)
        return None

    def _failure(self, name: str, chat_id: int | None) -> ApiError | None:
        for index, (method, wanted, error) in enumerate(self._failures):
            if method == name and (wanted is None or wanted == chat_id):
                del self._failures[index]
                return error
        if chat_id in self._blocked and name.startswith(("send", "copy", "forward")):
            return ApiError(403, "Forbidden: bot was blocked by the user")
        return None

    def _hold(self, name: str, chat_id: int | None) -> tuple[asyncio.Event, bool] | None:
        for index, (method, wanted, release, carried_out) in enumerate(self._holds):
            if method == name and (wanted is None or wanted == chat_id):
                del self._holds[index]
                return release, carried_out
        return None

    def _break(self, name: str, chat_id: int | None) -> Break | None:
        for index, (method, wanted, broken) in enumerate(self._breaks):
            if method == name and (wanted is None or wanted == chat_id):
                del self._breaks[index]
                return broken
        return None

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = _as_int(params.get("offset")) or 0
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        self._polls += 1
        try:
            while not self._updates and not self._stopping and loop.time() < deadline:
                await self._pushed.wait(deadline - loop.time())
        finally:  # the handler writes its answer before stop() resumes
            self._polls -= 1
            self._poll_ended.notify()
        return self._updates[: _as_int(params.get("limit")) or 100]

    def _result(self, name: str, params: JSON, chat_id: int) -> Any:
        markup = params.get("reply_markup")
        inline = (
            {"reply_markup": markup}
            if isinstance(markup, dict) and "inline_keyboard" in markup
            else {}
        )
        if name in _SENDS:
            kind = _SENDS[name]
            content: JSON = {key: params[key] for key in ("caption", "entities") if key in params}
            if kind == "message":
                content["text"] = params.get("text", "")
            elif kind == "location":
                content["location"] = {k: params.get(k, 0.0) for k in ("latitude", "longitude")}
            else:
                file, value = self._file(kind), params.get(kind)
                if isinstance(value, str) and not value.startswith(("http", "attach://")):
                    file["file_id"] = value  # sent by file_id
                content[kind] = [file] if kind == "photo" else file
            reply = params.get("reply_parameters") or {}
            reply_id = _as_int(params.get("reply_to_message_id") or reply.get("message_id"))
            if reply_id is not None:
                content["reply_to_message"] = self._known(chat_id, reply_id)
            return self._store(chat_id, content | inline)
        if name in ("copymessage", "forwardmessage"):
            from_chat = _as_int(params.get("from_chat_id")) or 0
            source = self._known(from_chat, _as_int(params.get("message_id")))
            content = {key: source[key] for key in _CONTENT_KEYS if key in source}
            if name == "forwardmessage":
                origin = {"type": "hidden_user", "sender_user_name": "Test", "date": source["date"]}
                return self._store(chat_id, content | {"forward_origin": origin})
            if "caption" in params:
                content["caption"] = params["caption"]
            return {"message_id": self._store(chat_id, content | inline)["message_id"]}
        if name in ("editmessagetext", "editmessagereplymarkup", "editmessagecaption"):
            if "inline_message_id" in params:
                return True
            message_id = _as_int(params.get("message_id")) or 0
            chat = self._messages.setdefault(chat_id, {})
            message = chat[message_id] = chat.get(message_id) or self._known(chat_id, message_id)
            assert message_id > 0  # _missing refuses the edit of a message that never was
            message.pop("reply_markup", None)  # an edit without a keyboard removes it
            field = {"editmessagetext": "text", "editmessagecaption": "caption"}.get(name)
            if field is not None:
                entities = "entities" if field == "text" else "caption_entities"
                message.pop(entities, None)
                message.update({k: params[k] for k in (field, entities) if k in params})
            message.update(inline, edit_date=int(time.time()))
            return message
        if name == "deletemessage":
            self._messages.get(chat_id, {}).pop(_as_int(params.get("message_id")) or 0, None)
        elif name in ("setmycommands", "deletemycommands", "getmycommands"):
            language = str(params.get("language_code") or "")
            if name == "getmycommands":
                return self.commands.get(language, [])
            if name == "setmycommands":
                self.commands[language] = list(params.get("commands") or [])
            else:
                self.commands.pop(language, None)
        elif name == "setwebhook":
            self.webhook = dict(params)
        elif name == "deletewebhook":
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        elif name == "getwebhookinfo":
            info = dict(has_custom_certificate=False, pending_update_count=len(self._updates))
            return info | {"url": (self.webhook or {}).get("url", "")}
        elif name == "getfile":
            file_id = str(params.get("file_id", ""))
            found: JSON = dict(
                file_id=file_id, file_unique_id=f"u{file_id}", file_path=f"files/{file_id}"
            )
            if file_id in self.files:
                found["file_size"] = len(self.files[file_id])
            return found
        return True
