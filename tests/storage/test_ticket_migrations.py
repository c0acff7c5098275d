"""Migrations of the ticket tables keep what is there (SQLite must not rebuild a table whose
rows have children: with foreign keys on, dropping the old copy would delete them)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import create_engine, upgrade


async def test_one_ticket_per_question_keeps_existing_tickets_and_their_messages(
    database_url: str,
) -> None:
    engine: AsyncEngine = create_engine(database_url)
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tickets (id, city, language, urgent, status, question, "
                    "created_at) VALUES (1, 'brussels', 'ar', false, 'open', 'old', "
                    "CURRENT_TIMESTAMP), (2, 'brussels', 'ar', false, 'open', 'older', "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO ticket_messages (ticket_id, sender, text, created_at) "
                    "VALUES (1, 'migrant', 'more', CURRENT_TIMESTAMP)"
                )
            )
        await upgrade(engine, "0005")
        async with engine.connect() as conn:
            kept = await conn.execute(text("SELECT id, question_id FROM tickets ORDER BY id"))
            assert [tuple(row) for row in kept] == [(1, None), (2, None)]  # NULLs may repeat
            assert await conn.scalar(text("SELECT text FROM ticket_messages")) == "more"
    finally:
        await engine.dispose()
