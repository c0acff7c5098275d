"""The knowledge base: topics, intents, countries, cities and their service entries."""

from bot.core.knowledge.model import (
    INTENT_IDS,
    TOPIC_IDS,
    City,
    Country,
    Entry,
    Intent,
    Knowledge,
    Region,
    Topic,
)

__all__ = [
    "INTENT_IDS",
    "TOPIC_IDS",
    "City",
    "Country",
    "Entry",
    "Intent",
    "Knowledge",
    "Region",
    "Topic",
]
