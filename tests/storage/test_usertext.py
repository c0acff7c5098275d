"""Text a person typed is stored cleaned of what the database refuses, whatever path it takes."""

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import (
    KbSuggestion,
    Organisation,
    Question,
    Ticket,
    TicketMessage,
    User,
    Volunteer,
)
from bot.storage.usertext import storable

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DIRTY = "Jan\x00 Peeters \ud83d\ude00 \udc00!"
CLEAN = "Jan Peeters 😀 \ufffd!"


def test_storable_drops_nul_joins_surrogate_pairs_and_replaces_lone_ones() -> None:
    assert storable(DIRTY) == CLEAN
    assert storable("\ud800") == "\ufffd"
    assert storable("plain, déjà ✓") == "plain, déjà ✓"


async def test_every_column_of_typed_text_stores_it_cleaned(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = Organisation(city="brussels", name="Red Cross")
        user = User(channel="telegram", chat_id="m1")
        session.add_all([org, user])
        await session.flush()
        volunteer = Volunteer(
            organisation_id=org.id, channel="telegram", chat_id="v1", display_name=DIRTY
        )
        ticket = Ticket(user_id=user.id, city="brussels", language="nl", question=DIRTY)
        question = Question(
            user_id=user.id, city="brussels", action="answer", confidence=1.0, text=DIRTY
        )
        session.add_all([volunteer, ticket, question])
        await session.flush()
        message = TicketMessage(ticket_id=ticket.id, sender="migrant", text=DIRTY)
        suggestion = KbSuggestion(
            city="brussels", language="nl", question=DIRTY, answer=DIRTY, ticket_id=ticket.id
        )
        session.add_all([message, suggestion])
    async with sessions() as session, session.begin():
        # A statement without the ORM's objects goes through the same column types.
        await session.execute(update(Ticket).values(question=f"{DIRTY}?"))
    async with sessions() as session:
        assert await session.scalar(select(Volunteer.display_name)) == CLEAN
        assert await session.scalar(select(Ticket.question)) == f"{CLEAN}?"
        assert await session.scalar(select(Question.text)) == CLEAN
        assert await session.scalar(select(TicketMessage.text)) == CLEAN
        stored = (await session.execute(select(KbSuggestion.question, KbSuggestion.answer))).one()
        assert tuple(stored) == (CLEAN, CLEAN)
