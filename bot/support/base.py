"""What every part of the support desk shares: its stores, its messenger and its words."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.i18n import Translator
from bot.core.knowledge import Knowledge
from bot.core.render import Formatter, Renderer
from bot.settings import SupportSettings
from bot.storage.network import Network, VolunteerInfo
from bot.storage.questions import QuestionLog
from bot.storage.tickets import TicketInfo, Tickets
from bot.storage.users import UserStore
from bot.support.messenger import Button, Messenger

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Said:
    """What the desk answers the person who acted: text and buttons for their own chat."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


class DeskBase:
    def __init__(
        self,
        *,
        network: Network,
        tickets: Tickets,
        users: UserStore,
        questions: QuestionLog,
        knowledge: Knowledge,
        fmt: Formatter,
        settings: SupportSettings,
        channel: str = "telegram",
    ) -> None:
        self.network = network
        self.tickets = tickets
        self.users = users
        self.questions = questions
        self.knowledge = knowledge
        self._messenger: Messenger | None = None  # attached by the channel that serves it
        self.fmt = fmt
        self.settings = settings
        self.channel = channel
        self.renderer = Renderer(knowledge)

    @property
    def messenger(self) -> Messenger:
        if self._messenger is None:
            raise RuntimeError("no channel is attached to the support desk")
        return self._messenger

    def attach(self, messenger: Messenger) -> None:
        self._messenger = messenger

    # -- words ------------------------------------------------------------------------------

    def esc(self, text: str) -> str:
        return self.fmt.escape(text)

    def topic_title(self, topic: str | None, t: Translator) -> str:
        if topic is None or topic not in self.knowledge.topics:
            return t.gettext("no topic")
        return self.renderer.topic_title(self.knowledge.topics[topic], t)

    def header(self, ticket: TicketInfo, t: Translator) -> str:
        """ "🆘 Ticket #12 · Arabic · 🏠 Housing": what a volunteer sees of a ticket."""
        line = t.gettext("Ticket #{number}").format(number=ticket.id)
        parts = [line, t.language_name(ticket.language), self.topic_title(ticket.topic, t)]
        mark = "🆘" if ticket.urgent else "📨"
        return f"{mark} " + self.fmt.bold(self.esc(" · ".join(parts)))

    def signature(self, volunteer: VolunteerInfo, t: Translator) -> str:
        return t.gettext("Answer from a volunteer of {organisation} ({name})").format(
            organisation=volunteer.organisation, name=volunteer.display_name
        )
