"""What the support desk needs from a channel: send, edit and copy messages, with buttons.

The desk never knows which messenger it talks to. A `Button` names an action (`Do`) and its
arguments; the channel turns that into its own buttons (on Telegram, callback data). A message
that is not plain text (a photo, a voice note, a location...) is an `Original`: the channel
re-sends it from the sender's chat as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum, auto
from typing import Protocol


class Do(StrEnum):
    """Actions on the support network's buttons."""

    CONSENT = auto()  # the migrant confirms: send my question (question id)
    CANCEL = auto()
    TAKE = auto()  # a volunteer takes a ticket (ticket id)
    RELEASE = auto()  # (ticket id)
    CLOSE = auto()  # (ticket id)
    RATE = auto()  # (ticket id, 1|0)
    SUGGEST = auto()  # (ticket id)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    do: Do
    args: tuple[str | int, ...] = ()


Buttons = Sequence[Sequence[Button]]


class Media(StrEnum):
    """What a message is when it is not text: every kind a person can send."""

    PHOTO = auto()
    DOCUMENT = auto()
    VOICE = auto()
    AUDIO = auto()
    VIDEO = auto()
    VIDEO_NOTE = auto()
    ANIMATION = auto()
    STICKER = auto()
    LOCATION = auto()
    CONTACT = auto()
    POLL = auto()
    DICE = auto()


#: Kinds that tell where a person is or how to reach them.
WHEREABOUTS = frozenset({Media.LOCATION, Media.CONTACT})


@dataclass(frozen=True, slots=True)
class Original:
    """A message someone sent in their own chat, which the channel can copy elsewhere."""

    chat_id: str
    message_id: int
    media: Media


class Messenger(Protocol):
    async def send(self, chat_id: str, text: str, buttons: Buttons = ()) -> int | None:
        """Send formatted text; the message id, or None when the chat cannot be reached."""
        ...

    async def edit(
        self, chat_id: str, message_id: int, text: str, buttons: Buttons = ()
    ) -> None: ...

    async def copy(
        self, original: Original, chat_id: str, note: str, buttons: Buttons = ()
    ) -> int | None:
        """Copy `original` to `chat_id` with a formatted note (a caption, or a message just
        before it when the kind takes none); the copy's id, or None when unreachable."""
        ...
