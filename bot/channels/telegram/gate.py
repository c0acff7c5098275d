"""Who is writing, decided once, before the assistant's handlers (handler group -1).

Only where a city has a support network. An invitation link makes the writer a volunteer; a
volunteer's own commands go to the network; a volunteer's reply to a ticket (or any message
while they hold exactly one) is relayed to the migrant; a migrant's message that belongs to one
of their tickets reaches its volunteer. Those updates stop here (`ApplicationHandlerStop`).
Everything else goes on to the assistant, which answers a volunteer's question like anyone's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram.channel import Channel, Context

if TYPE_CHECKING:
    from bot.channels.telegram.support import Volunteers


class Gate:
    def __init__(self, channel: Channel, volunteers: Volunteers) -> None:
        self.channel = channel
        self.volunteers = volunteers

    async def join(self, update: Update, context: Context) -> None:
        """`/start v_<code>`: an invitation to the support network, whoever opens it."""
        code = (context.args or [""])[0].strip()[2:]
        await self.volunteers.join(update, context, code)
        raise ApplicationHandlerStop

    async def command(self, update: Update, context: Context) -> None:
        """A volunteer's command (their /start shows their status); anyone else's goes on."""
        if await self.volunteers.command(update, context):
            raise ApplicationHandlerStop

    async def message(self, update: Update, context: Context) -> None:
        """Text, a photo or a document that belongs to a ticket is relayed; the rest goes on."""
        # One read tells a known chat's user, and whether the two questions below need asking.
        who = await self.channel.who(update)
        if (who is None or who.volunteer) and await self.volunteers.message(update, context):
            raise ApplicationHandlerStop  # a volunteer's answer, relayed to the migrant
        seen = await self.channel.seen(update)
        if (
            seen is not None
            and (who is None or who.tickets)
            and await self.volunteers.follow_up(update, context, seen)
        ):
            raise ApplicationHandlerStop  # more from the migrant for their volunteer
