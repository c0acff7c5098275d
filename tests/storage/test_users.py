"""Users: found or created once, whoever asks first."""

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import User
from bot.storage.users import UserStore


async def test_a_new_users_first_updates_in_two_processes_make_one_user(
    sessions: async_sessionmaker[AsyncSession], elsewhere: async_sessionmaker[AsyncSession]
) -> None:
    here, there = UserStore(sessions), UserStore(elsewhere)
    for n in range(20):
        chat = f"new{n}"
        first, second = await asyncio.gather(
            here.get_or_create("telegram", chat), there.get_or_create("telegram", chat)
        )
        assert first.id == second.id and first.chat_id == second.chat_id == chat
        assert (first.active, first.language_explicit, first.city) == (True, False, None)
    async with sessions() as session:
        assert await session.scalar(select(func.count(User.id))) == 20


async def test_an_existing_user_is_found_not_changed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    users = UserStore(sessions)
    made = await users.get_or_create("telegram", "42")
    made.city, made.language = "mechelen", "nl"
    await users.save(made)
    found = await users.get_or_create("telegram", "42")
    assert (found.id, found.city, found.language) == (made.id, "mechelen", "nl")
    other = await users.get_or_create("console", "42")
    assert other.id != made.id
