"""The fake Bot API, driven by a real python-telegram-bot Application and Bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import ApiError, FakeBotApi

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        FakeBotApi.token, base_url=fake.base_url, base_file_url=fake.base_file_url
    ) as plain:
        yield plain


def build(fake: FakeBotApi, token: str = FakeBotApi.token) -> AnyApplication:
    builder = ApplicationBuilder().token(token).base_url(fake.base_url)
    return builder.base_file_url(fake.base_file_url).build()


async def test_a_polling_application_echoes_and_answers_buttons(fake: FakeBotApi) -> None:
    pressed: list[tuple[str | None, str | None]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("Help")], ["Bye"]])
        await update.effective_message.reply_text("welcome", reply_markup=keyboard)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        buttons = [
            [InlineKeyboardButton("Again", callback_data="again")],
            [InlineKeyboardButton("Site", url="https://example.org")],
        ]
        await update.effective_message.reply_text(
            f"echo: {update.effective_message.text}", reply_markup=InlineKeyboardMarkup(buttons)
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        shown = query.message.text if query.message and hasattr(query.message, "text") else None
        pressed.append((query.data, shown))
        await query.answer("done")
        await query.edit_message_text(f"pressed {query.data}")

    app = build(fake)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    await app.initialize()
    assert app.updater is not None
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        fake.push_update(fake.message(42, "/start now", language_code="fr"))
        [welcome] = await fake.wait_for("sendMessage", chat_id=42)
        assert welcome.text == "welcome"
        assert welcome.button_texts() == ["Help", "Bye"]
        assert welcome.buttons == []

        mark = fake.mark()
        fake.push_update(fake.message(42, "bonjour"))
        [reply] = await fake.wait_for("sendMessage", chat_id=42, since=mark)
        assert reply.text == "echo: bonjour"
        assert reply.button_data() == ["again"]
        assert reply.button_texts() == ["Again", "Site"]
        assert not reply.failed

        mark = fake.mark()
        fake.push_update(fake.callback(42, "again"))
        [edit] = await fake.wait_for("editMessageText", chat_id=42, since=mark)
        [answer] = fake.calls_of("answerCallbackQuery")
        assert answer.params["text"] == "done"
        assert edit.text == "pressed again"
        assert pressed == [("again", "echo: bonjour")]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake.calls_of("sendMessage", chat_id=7) == []


async def test_failures_raise_the_matching_ptb_errors(
    fake: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else RetryAfter() itself warns (PTB 22.2+)
    fake.fail_next("sendMessage", ApiError(429, "Too Many Requests: retry after 1", 1))
    with pytest.raises(RetryAfter):
        await bot.send_message(42, "first")
    sent = await bot.send_message(42, "second")
    assert sent.text == "second"
    assert [c.failed for c in fake.calls_of("sendMessage")] == [True, False]

    fake.fail_next("sendMessage", ApiError(400, "Bad Request: chat not found"), chat_id=9)
    await bot.send_message(42, "other chat is not affected")
    assert len(fake.calls_of("sendMessage", chat_id=42)) == 3

    fake.block(7)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(7, "hello?")
    with pytest.raises(Forbidden):
        await bot.send_location(7, latitude=48.85, longitude=2.35)
    assert [c.failed for c in fake.calls_of("sendMessage", chat_id=7)] == [True]


async def test_a_callback_query_is_answered_once(fake: FakeBotApi, bot: Bot) -> None:
    assert await bot.answer_callback_query("cb1", "done")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("cb1")
    assert await bot.answer_callback_query("cb2")
    assert [c.failed for c in fake.calls_of("answerCallbackQuery")] == [False, True, False]


async def test_a_wrong_token_is_rejected_at_initialize(fake: FakeBotApi) -> None:
    app = build(fake, token="123456789:NOT-the-right-token")
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        await app.bot.shutdown()
    assert fake.calls == []


async def test_commands_webhook_and_parameters_are_stored(fake: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Commencer")], language_code="fr")
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    assert fake.commands["fr"] == [{"command": "start", "description": "Commencer"}]
    assert [c["command"] for c in fake.commands[""]] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["start"]
    await bot.delete_my_commands(language_code="fr")
    assert set(fake.commands) == {""}

    await bot.set_webhook("https://example.org/hook", secret_token="s3cret", max_connections=5)
    assert fake.webhook == {
        "url": "https://example.org/hook",
        "secret_token": "s3cret",
        "max_connections": 5,
    }
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    await bot.delete_webhook()
    assert fake.webhook is None

    # Free text is never decoded; numbers, floats and booleans are.
    await bot.send_message(42, "123", disable_notification=True)
    await bot.send_message(42, "[1, 2]")
    sent = await bot.send_location(42, latitude=48, longitude=2.35)
    first, second, location = fake.calls[-3:]
    assert (first.text, first.chat_id, first.params["disable_notification"]) == ("123", 42, True)
    assert second.text == "[1, 2]"
    assert location.params["latitude"] == 48.0
    assert isinstance(location.params["latitude"], float)
    assert sent.location is not None and sent.location.longitude == 2.35


async def test_media_edits_and_files_parse_in_ptb(fake: FakeBotApi, bot: Bot) -> None:
    photo = await bot.send_photo(42, photo=b"\x89PNG fake bytes", caption="a photo")
    assert photo.photo and photo.caption == "a photo"
    assert fake.calls_of("sendPhoto")[0].params["photo"]["size"] == 15
    await bot.send_document(42, document="known-file-id")
    copied = await bot.copy_message(43, from_chat_id=42, message_id=photo.message_id)
    forwarded = await bot.forward_message(43, from_chat_id=42, message_id=photo.message_id)
    assert forwarded.photo and forwarded.forward_origin is not None
    assert copied.message_id != forwarded.message_id

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(42, "question", reply_markup=markup)
    edited = await bot.edit_message_reply_markup(42, sent.message_id)
    assert not isinstance(edited, bool) and edited.reply_markup is None
    callback = fake.callback(42, "yes")["callback_query"]
    assert callback["message"]["message_id"] == sent.message_id

    file = await bot.get_file("abc")
    assert bytes(await file.download_as_bytearray()) == b"fake file files/abc"

    factories = [
        fake.message(-100123, "/help@guichet_test_bot", chat_type="supergroup"),
        fake.photo(5, caption="look"),
        fake.voice(5),
        fake.sticker(5),
        fake.document(5),
        fake.video(5),
        fake.message(5, location={"latitude": 1.5, "longitude": 2.5}, reply_to_message_id=1),
        fake.callback(5, "x", message_id=99),
    ]
    updates = [Update.de_json({"update_id": i, **u}, bot) for i, u in enumerate(factories)]
    group, photo_u, voice, sticker, document, video, located, pressed = updates
    assert group.effective_user is not None and group.effective_user.id == 1000 + 100123
    assert group.message is not None and group.message.entities[0].length == 22
    assert photo_u.message is not None and photo_u.message.caption == "look"
    assert voice.message is not None and voice.message.voice is not None
    assert sticker.message is not None and sticker.message.sticker is not None
    assert document.message is not None and document.message.document is not None
    assert video.message is not None and video.message.video is not None
    assert located.message is not None and located.message.location is not None
    assert located.message.reply_to_message is not None
    assert pressed.callback_query is not None and pressed.callback_query.message is not None
    ids = [u.message.message_id for u in (photo_u, voice, sticker) if u.message is not None]
    assert ids == sorted(set(ids))


async def test_long_polling_wakes_on_push_and_stop(fake: FakeBotApi, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    update_id = fake.push_update(fake.message(1, "hi"))
    [update] = await polling
    assert update.update_id == update_id and loop.time() - started < 2
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()

    with pytest.raises(AssertionError, match="sendMessage"):
        await fake.wait_for("sendMessage", timeout=0.05)

    polling = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    await fake.stop()
    assert await asyncio.wait_for(polling, 2) == ()
    assert fake.calls == []  # getMe and getUpdates are not recorded


async def test_raw_http_json_bodies_get_and_wrong_tokens(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        me = (await client.get(f"/bot{FakeBotApi.token}/getMe")).json()
        assert me["result"]["username"] == "guichet_test_bot"
        body = {"chat_id": 5, "text": "7", "reply_markup": {"inline_keyboard": []}}
        sent = (await client.post(f"/bot{FakeBotApi.token}/sendMessage", json=body)).json()
        assert sent["ok"] and sent["result"]["text"] == "7"
        query = await client.get(f"/bot{FakeBotApi.token}/sendChatAction?chat_id=5&action=typing")
        assert query.json() == {"ok": True, "result": True}
        wrong = await client.post("/bot1:wrong/sendMessage", data={"chat_id": "5", "text": "x"})
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert [(c.method, c.chat_id, c.params.get("action")) for c in fake.calls] == [
        ("sendMessage", 5, None),
        ("sendChatAction", 5, "typing"),
    ]
    assert fake.calls[0].text == "7"
