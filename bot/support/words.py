"""How the support desk words things: ticket headers, signatures and what each side is told."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import Translator
from bot.core.knowledge import Knowledge
from bot.core.render import Formatter, Renderer
from bot.storage.network import VolunteerInfo
from bot.storage.tickets import TicketInfo
from bot.support.messenger import Button


@dataclass(frozen=True, slots=True)
class Said:
    """What the desk answers the person who acted: text and buttons for their own chat."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


class Words:
    """Formatted, translated pieces of the desk's messages (the formatter is the channel's)."""

    def __init__(self, knowledge: Knowledge, fmt: Formatter) -> None:
        self.knowledge = knowledge
        self.fmt = fmt
        self.renderer = Renderer(knowledge)

    def esc(self, text: str) -> str:
        return self.fmt.escape(text)

    def said(self, text: str) -> Said:
        """A plain sentence as the answer."""
        return Said(self.esc(text))

    def note(self, text: str) -> str:
        """A remark of ours beside someone's words (set apart, in italics where possible)."""
        return self.fmt.italic(self.esc(text))

    def paragraphs(self, *parts: str) -> str:
        """Formatted parts, one paragraph each (empty ones left out)."""
        return "\n\n".join(part for part in parts if part)

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
        """The bold line above a volunteer's answer, in the migrant's language."""
        line = t.gettext("Answer from a volunteer of {organisation} ({name})").format(
            organisation=volunteer.organisation, name=volunteer.display_name
        )
        return self.fmt.bold(self.esc(line))
