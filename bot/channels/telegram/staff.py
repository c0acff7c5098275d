"""City staff in Telegram: opening their invitation (`/start s_<token>`) binds the chat, and
`/staff` answers with a one-time sign-in link to the console. Both run before every other
handler (group -2) and stop there."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core.i18n import translator
from bot.storage.staff import StaffStore, TokenProblem

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class StaffDoor:
    store: StaffStore
    console_url: str  # the console's public address, for the sign-in links

    async def join(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        assert message is not None and chat is not None
        _ = translator(update.effective_user.language_code if update.effective_user else "en")
        token = (context.args or [""])[0].strip()[2:]
        joined = await self.store.join(token, str(chat.id))
        if isinstance(joined, TokenProblem):
            if joined is TokenProblem.EXPIRED:
                text = _.gettext("This staff invitation has expired. Ask for a new one.")
            else:
                text = _.gettext("This staff invitation is not valid any more. Ask for a new one.")
        else:
            text = _.gettext(
                "Welcome, {name}. Send /staff whenever you want to open the staff console."
            ).format(name=joined.name)
        await message.reply_text(text, parse_mode=None)
        raise ApplicationHandlerStop

    async def login(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        assert message is not None and chat is not None
        who = await self.store.by_chat(str(chat.id))
        if who is None:
            return  # not staff: the command goes on to the assistant like any unknown one
        t = translator(update.effective_user.language_code if update.effective_user else "en")
        token = await self.store.login_token(who.id)
        text = t.gettext(
            "Your sign-in link to the staff console (it works once, for 10 minutes):\n{link}"
        ).format(link=f"{self.console_url}/login/{token}")
        await message.reply_text(text, parse_mode=None)
        raise ApplicationHandlerStop
