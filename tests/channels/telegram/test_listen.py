"""What "🔊 Listen" reads of the message it is under."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message

from bot.channels.telegram.listen import ReadAloud
from bot.channels.telegram.voice import heard_line
from bot.core.i18n import translator


def test_the_users_own_words_and_the_feedback_line_are_not_read_aloud() -> None:
    t = translator("fr")
    answer = "Cours de langue\nLa commune propose des cours."
    text = "\n\n".join(
        [heard_line(t, "où apprendre le néerlandais"), answer, t.gettext("Was this helpful?")]
    )
    message = Message(1, datetime.now(UTC), Chat(5, "private"), text=text)
    assert ReadAloud.text_of(message, "fr") == answer
