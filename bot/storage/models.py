"""The database schema. Alembic migrations in `migrations/` must agree with these models.

Migrants are stored pseudonymously: a channel and chat id (needed to reply), a city, a
language and a consent time. No names, usernames or phone numbers. Question texts are kept
only until `text_expires_at`; counts and timings stay for statistics.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy import text as sql_text
from sqlalchemy import (
    true as sa_true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.usertext import UserString, UserText

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


def _now() -> Any:
    return func.now()


# --- knowledge ---------------------------------------------------------------------------


class KnowledgeVersion(Base):
    """One import of the knowledge base; the newest row is the live version."""

    __tablename__ = "knowledge_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[datetime] = mapped_column(server_default=_now())
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class KbTopic(Base):
    __tablename__ = "kb_topics"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))


class KbIntent(Base):
    __tablename__ = "kb_intents"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))


class KbCountry(Base):
    __tablename__ = "kb_countries"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    data: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))


class KbRegion(Base):
    __tablename__ = "kb_regions"
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    data: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))


class KbCity(Base):
    __tablename__ = "kb_cities"
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    data: Mapped[dict[str, Any]]  # the city block and its own phrasings
    content_hash: Mapped[str] = mapped_column(String(64))


class KbEntry(Base):
    """A service entry; `scope` is network, country, region or city, `scope_key` its code or
    slug."""

    __tablename__ = "kb_entries"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)  # order within its file
    data: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(server_default=_now())
    __table_args__ = (Index("ix_kb_entries_scope", "scope", "scope_key"),)


class KbEntryTopic(Base):
    """Which topics an entry answers: for coverage and statistics queries across cities."""

    __tablename__ = "kb_entry_topics"
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("kb_entries.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class KbEmbedding(Base):
    """A text's embedding, by content key (model and text), so no text is embedded twice."""

    __tablename__ = "kb_embeddings"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


# --- people ------------------------------------------------------------------------------


class User(Base):
    """A migrant, pseudonymous: only what is needed to answer them."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    language_explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None]
    last_topic: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=_now())
    #: A random key of this person for the statistics' "fewer than 5 people" rule
    #: (bot/storage/question_days.py): never derived from an id, gone with the row.
    stats_key: Mapped[str | None] = mapped_column(
        String(32), index=True, default=lambda: secrets.token_hex(16)
    )
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)


class Question(Base):
    """One message, for statistics; the text is erased after the retention period."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=_now(), index=True)
    city: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(UserText)
    text_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    #: The update this question came from ("telegram:<update id>"), so that an update handled
    #: again after a crash logs its question once.
    origin: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    #: What staff decided about this question as a gap (see bot/storage/gaps.py): None while
    #: open, else "out-of-scope" (not a city service), "phrased" (added as a topic's phrasing)
    #: or "entry" (a new entry was asked for). Decided questions leave the gaps page.
    gap: Mapped[str | None] = mapped_column(String(16))
    #: The entry an answer showed first (the one that fits the question best), for the
    #: statistics' 👍/👎 per entry; None when no entry was shown.
    entry: Mapped[str | None] = mapped_column(String(128))
    __table_args__ = (
        Index("ix_questions_city_created_at", "city", "created_at"),
        Index(
            "ix_questions_feedback",
            "city",
            "created_at",
            sqlite_where=sql_text("helpful IS NOT NULL"),
            postgresql_where=sql_text("helpful IS NOT NULL"),
        ),
    )


class QuestionDay(Base):
    """A sealed day's count of a city's questions for one value of one dimension (topic,
    language, outcome or local hour): what the statistics add up instead of the questions."""

    __tablename__ = "question_days"
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    questions: Mapped[int] = mapped_column(Integer)
    #: different people that day, up to 5 (their keys in `question_day_people`): a cell with
    #: 5 on any day of a period has 5 for the period, and needs no key read
    people: Mapped[int] = mapped_column(Integer)


class QuestionDayPerson(Base):
    """Up to 5 people's random keys (`users.stats_key`) of a `QuestionDay` cell: enough to
    tell whether a period's cell has 5 people or more, never who."""

    __tablename__ = "question_day_people"
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    person: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class QuestionDaySealed(Base):
    """A city's day whose roll-up is written: sealed once, by whoever came first."""

    __tablename__ = "question_days_sealed"
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(server_default=_now())


# --- the support network and tickets (volunteer hand-over) ---------------------------------


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    city: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    __table_args__ = (UniqueConstraint("city", "name"),)


class Volunteer(Base):
    __tablename__ = "volunteers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(UserString(64))
    languages: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"codes": [...]}
    topics: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ids": [...]}
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    ui_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    __table_args__ = (UniqueConstraint("channel", "chat_id", "organisation_id"),)


class Ticket(Base):
    """A question handed to the support network. `status` moves open → claimed → closed."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    city: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    question: Mapped[str | None] = mapped_column(UserText)
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    text_expires_at: Mapped[datetime | None]
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    # The first volunteer message, and the latest one (a claim waits for an answer after it).
    answered_at: Mapped[datetime | None]
    last_answer_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))  # migrant|volunteer|staff|system
    # Each reminder step fires once: its time is set by the caller that won it.
    widened_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]
    claim_reminded_at: Mapped[datetime | None]
    # Staff gave the ticket to a volunteer (`tickets assign`), taking it from `assigned_from` if
    # someone held it; the bot tells them both once (`assign_told_at`).
    assigned_at: Mapped[datetime | None]
    assigned_from: Mapped[int | None] = mapped_column(Integer)
    assign_told_at: Mapped[datetime | None]
    # The logged question the migrant consented to send: one ticket per question at most.
    question_id: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    __table_args__ = (Index("ix_tickets_city_created_at", "city", "created_at"),)


class TicketMessage(Base):
    """A relayed message: its text, and for anything else (a photo, a voice note...) its kind
    and its id in the sender's chat, from which the channel copies it. A migrant's voice note
    keeps its automatic transcript, erased with the texts."""

    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # migrant | volunteer | system
    text: Mapped[str | None] = mapped_column(UserText)
    file_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    file_kind: Mapped[str | None] = mapped_column(String(16))  # a `Media` kind, or None for text
    # The copy in the other side's chat, so that a reply to it finds its ticket.
    delivered_chat_id: Mapped[str | None] = mapped_column(String(64))
    delivered_message_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_message_id: Mapped[int | None] = mapped_column(BigInteger)  # in the sender's chat
    transcript: Mapped[str | None] = mapped_column(UserText)  # a voice note's, made by machine
    __table_args__ = (
        Index("ix_ticket_messages_delivered", "delivered_chat_id", "delivered_message_id"),
    )


class Invite(Base):
    """A code that makes whoever redeems it a volunteer of an organisation."""

    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class CityNetwork(Base):
    """A city's support network settings: its optional coordination group chat."""

    __tablename__ = "city_networks"
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_chat_id: Mapped[str | None] = mapped_column(String(64))


class TicketOffer(Base):
    """A ticket shown to a volunteer: the message that carries its "take" button."""

    __tablename__ = "ticket_offers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    __table_args__ = (
        UniqueConstraint("ticket_id", "volunteer_id"),
        Index("ix_ticket_offers_message", "chat_id", "message_id"),
    )


class KbSuggestion(Base):
    """A volunteer's answer proposed for the knowledge base, for city staff to review."""

    __tablename__ = "kb_suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    city: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(UserText)
    answer: Mapped[str] = mapped_column(UserText)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


# --- delivery: the durable inbox and the journal of what was sent -------------------------


class InboxUpdate(Base):
    """An update received from a channel, kept until handled (see bot/storage/inbox.py)."""

    __tablename__ = "inbox"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column()
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    __table_args__ = (Index("ix_inbox_waiting", "done_at", "chat_id", "update_id"),)


class SentCall(Base):
    """What the platform answered to the `seq`th call made while handling an update."""

    __tablename__ = "sent_calls"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    method: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))  # the chat (or button press) it was for
    answer: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(index=True)


# --- city staff: the web console ----------------------------------------------------------


class StaffMember(Base):
    """A person of a city or of the network who works in the console.

    `role` is admin, editor, translator or coordinator; `city` is None only for an admin;
    `languages` are a translator's; `organisation_id` is a coordinator's (of `city`). They sign
    in from the Telegram chat `chat_id`, bound when they open their invitation.
    """

    __tablename__ = "staff_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(64), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    chat_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    # An organisation that goes leaves its coordinator with nothing to see, not deleted: their
    # audit lines and revisions keep their name.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )


class StaffToken(Base):
    """A one-time token: an invitation ('join') or a sign-in link ('login'), stored hashed."""

    __tablename__ = "staff_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=_now())


class EntryRevision(Base):
    """One version of an entry, append-only: what an import, an edit, a confirmation or a
    restore left. `number` counts from 1 per entry."""

    __tablename__ = "entry_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(128))
    number: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    action: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=_now())
    __table_args__ = (UniqueConstraint("entry_id", "number"),)


class AuditEvent(Base):
    """Who changed what, when: every change made in the console or for staff."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(server_default=_now(), index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
