"""A city's own words for its topics ("CPAS de Bruxelles", "Huis van de Mechelaar"), edited
in the console: what people in this city call a service, so that the assistant finds the
topic when they use those words.

Editors change their own city's phrasings, admins any city's. A change is stored with an audit
line and published as a new knowledge version in one transaction, as entry changes are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import N_, Message
from bot.core.knowledge import TOPIC_IDS
from bot.core.languages import UI_LANGUAGES
from bot.storage.knowledge_store import _hash
from bot.storage.models import KbCity, KnowledgeVersion
from bot.storage.staff import Staff, audit

#: Phrasings per topic and language; more are noise to the matcher, not help.
MOST: Final = 30
LONGEST: Final = 120
LINE_TOO_LONG: Final = N_("At most {most} characters a line: {line}…")
TOO_MANY_LINES: Final = N_("At most {most} lines.")


def _may(who: Staff, city: str) -> bool:
    return who.admin or (who.may_edit_entries() and who.city == city)


def clean_lines(raw: str) -> tuple[list[str], list[Message]]:
    """One phrasing (or keyword) per line: the lines, blank and repeated ones left out, and
    what is wrong with them (too long, too many)."""
    problems: list[Message] = []
    lines = list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
    long = [line for line in lines if len(line) > LONGEST]
    if long:
        problems.append(Message(LINE_TOO_LONG, {"most": LONGEST, "line": long[0][:40]}))
    if len(lines) > MOST:
        problems.append(Message(TOO_MANY_LINES, {"most": MOST}))
    return lines, problems


class Phrasings:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def of_city(self, who: Staff, city: str) -> dict[str, dict[str, list[str]]] | None:
        """topic -> language -> phrasings; None when this person may not see the city."""
        if not _may(who, city):
            return None
        async with self.sessions() as session:
            row = await session.get(KbCity, city)
            if row is None:
                return None
            stored: dict[str, dict[str, list[str]]] = row.data.get("phrasings", {})
            return {t: dict(stored.get(t, {})) for t in TOPIC_IDS}

    async def save(
        self, who: Staff, city: str, topic: str, language: str, phrasings: list[str]
    ) -> bool | None:
        """Replace the city's phrasings of `topic` in `language`. None: not allowed or no
        such city, topic or language; False: nothing changed; True: saved and published."""
        if not _may(who, city) or topic not in TOPIC_IDS or language not in UI_LANGUAGES:
            return None
        async with self.sessions() as session, session.begin():
            row = await session.get(KbCity, city, with_for_update=True)
            if row is None:
                return None
            data = dict(row.data)
            per_topic = {t: dict(v) for t, v in data.get("phrasings", {}).items()}
            before = per_topic.get(topic, {}).get(language, [])
            if before == phrasings:
                return False
            if phrasings:
                per_topic.setdefault(topic, {})[language] = phrasings
            else:
                per_topic.get(topic, {}).pop(language, None)
                if not per_topic.get(topic):
                    per_topic.pop(topic, None)
            data["phrasings"] = per_topic
            row.data = data
            row.content_hash = _hash({"country": row.country, "data": data})
            audit(
                session, who, "phrasings.edit", f"city:{city}",
                topic=topic, language=language, before=before, after=phrasings,
            )  # fmt: skip
            session.add(
                KnowledgeVersion(
                    checksum=_hash({"city": city, "at": datetime.now(UTC).isoformat()}),
                    source=f"console:{who.id}:phrasings:{city}"[:500],
                    summary={"cities": {"added": 0, "changed": 1, "removed": 0}},
                )
            )
            return True
