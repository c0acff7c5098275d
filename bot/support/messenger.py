"""What the support desk needs from a channel: send, edit and relay, with buttons.

The desk never knows which messenger it talks to. A `Button` names an action (`Do`) and its
arguments; the channel turns that into its own buttons (Telegram: callback data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Do(StrEnum):
    """Actions on the support network's buttons (the values are Telegram's callback kinds)."""

    CONSENT = "o"  # the migrant confirms: send my question (question id)
    CANCEL = "q"
    TAKE = "v"  # a volunteer takes a ticket (ticket id)
    RELEASE = "r"
    CLOSE = "z"
    RATE = "a"  # (ticket id, 1|0)
    SUGGEST = "g"
    SPEAKS = "w"  # a volunteer toggles a language (code)
    READY = "d"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    do: Do
    args: tuple[str | int, ...] = ()


Buttons = Sequence[Sequence[Button]]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document the other side sent, relayed by the messenger's own file id."""

    kind: str  # "photo" | "document"
    file_id: str


class Messenger(Protocol):
    async def send(self, chat_id: str, text: str, buttons: Buttons = ()) -> int | None:
        """Send formatted text; the message id, or None when the chat cannot be reached."""
        ...

    async def edit(
        self, chat_id: str, message_id: int, text: str, buttons: Buttons = ()
    ) -> None: ...

    async def send_file(
        self, chat_id: str, attachment: Attachment, caption: str, buttons: Buttons = ()
    ) -> int | None: ...
