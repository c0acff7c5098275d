"""The assistant: understand one message for one city, and word the reply in the user's language.

It is synchronous and pure: no storage, no channel. `bot.conversation` adds state around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from bot.core.decision import HYBRID_THRESHOLDS, Action, Decision, Thresholds, decide
from bot.core.fit import generic_words, order_by_fit
from bot.core.geo import Point
from bot.core.i18n import translator
from bot.core.knowledge import TOPIC_IDS, Entry, Knowledge
from bot.core.languages import (
    UI_LANGUAGES,
    Detection,
    LanguageDetector,
    choose_reply_language,
    script_of,
)
from bot.core.matching import MatchIndex, MatchParams
from bot.core.normalize import clean_message
from bot.core.ranking import HybridParams, Ranker, Stage
from bot.core.render import EMERGENCY_LINE, Formatter, PlainFormatter, Renderer
from bot.core.semantic import Embedder, SemanticIndex, VectorCache, semantic_docs
from bot.core.social import is_urgent, read_alone


class ChoiceKind(StrEnum):
    TOPIC = "topic"
    MORE = "more"
    HUMAN = "human"
    NEARBY = "nearby"  # the services near a point, for all topics
    LANGUAGE = "language"  # from now on, reply in `language` (the user chose another before)


# A reply to a tap or a location needs no language detection.
NO_DETECTION = Detection(language=None, probability=0.0, confident=False, words=0)


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing the user can choose next; a channel shows it as a button or a number.

    TOPIC and MORE name a `topic` (MORE pages on from `offset`); NEARBY carries the point
    whose services to list for every topic; LANGUAGE the `language` to switch to; HUMAN needs
    nothing more.
    """

    kind: ChoiceKind
    label: str
    topic: str | None = None
    offset: int = 0
    near: Point | None = None
    language: str | None = None
    #: MORE: the positions (in layer order) of the entries the first page showed because they
    #: fit the question best; the next pages show the others
    first: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    decision: Decision
    text: str
    choices: tuple[Choice, ...] = ()
    more: int = 0
    shown: int = 0
    #: the highest number the text gives an entry: a channel that numbers the choices too
    #: starts after it, so that no number means two things
    numbered: int = 0
    #: the entry an answer's first page shows first (the best fit), for the 👍/👎 per entry
    entry: str | None = None


@dataclass(frozen=True, slots=True)
class Asked:
    """One incoming message and what we know of who sent it."""

    text: str
    city: str
    explicit_language: str | None = None
    client_language: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


class UnknownCity(KeyError):
    pass


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        detector: LanguageDetector,
        *,
        embedder: Embedder | None = None,
        vectors: VectorCache | None = None,
        thresholds: Thresholds | None = None,
        hybrid_thresholds: Thresholds | None = None,
        params: MatchParams | None = None,
        hybrid_params: HybridParams | None = None,
        page_size: int = 3,
    ) -> None:
        """Without an embedder the assistant runs the lexical matcher alone.

        With one, texts missing from `vectors` are embedded now (in memory only); callers that
        can store them (the app, `kb import`) fill the cache first.
        """
        self.knowledge = knowledge
        self._generic: dict[str, dict[str, frozenset[str]]] = {}  # language -> topic -> words
        self.detector = detector
        self.thresholds = thresholds or Thresholds()
        self.hybrid_thresholds = hybrid_thresholds or HYBRID_THRESHOLDS
        self.index = MatchIndex(knowledge, params)
        semantic = None
        if embedder is not None:
            cache = vectors if vectors is not None else VectorCache()
            docs = semantic_docs(knowledge)
            cache.fill(embedder, cache.missing(embedder.model_id, (d.text for d in docs)))
            labels = (*knowledge.topics, *knowledge.intents)
            semantic = SemanticIndex(labels, docs, cache, embedder.model_id)
        self.ranker = Ranker(knowledge, self.index, semantic, embedder, hybrid_params)
        self.renderer = Renderer(knowledge)
        self.page_size = page_size

    def city(self, slug: str) -> str:
        if slug not in self.knowledge.cities:
            raise UnknownCity(slug)
        return slug

    def understand(self, asked: Asked) -> Decision:
        city = self.knowledge.cities[self.city(asked.city)]
        text = clean_message(asked.text)
        detection = self.detector.detect(text)
        language = choose_reply_language(
            explicit=asked.explicit_language,
            detection=detection,
            client=asked.client_language,
            city_default=city.default_language,
            hint=self.language_hint(text, detection),
        )
        alone = read_alone(text, detection.words)
        if alone is not None:
            return Decision(alone, None, (), 1.0, language, detection, Stage.ALONE)
        ranking = self.ranker.rank(text, city.slug, detection.language)
        path = ranking.stage
        th = self.hybrid_thresholds if path is Stage.HYBRID else self.thresholds
        action, topic, candidates, confidence = decide(
            ranking.scores, th, urgent=is_urgent(text), chatter_lead=ranking.chatter_lead
        )
        return Decision(
            action, topic, candidates, round(min(1.0, confidence), 3), language, detection, path
        )

    def language_hint(self, text: str, detection: Detection) -> str | None:
        """For a short message, the language of the knowledge words it uses ("doctor?": en).

        Only languages of the message's script count; a tie goes to the detector's favourite.
        """
        if detection.confident or detection.language is None:
            return None
        script = script_of(detection.language)
        among = [
            lang
            for lang in self.index.languages_of(text)
            if lang in UI_LANGUAGES and script_of(lang) == script
        ]
        if len(among) > 1:
            if detection.language in among:
                return detection.language
            return self.detector.prefer(text, among) if script == "LATIN" else among[0]
        return among[0] if among else None

    # -- replies --------------------------------------------------------------------------

    def menu(self, language: str) -> tuple[Choice, ...]:
        t = translator(language)
        return tuple(
            Choice(ChoiceKind.TOPIC, self.renderer.topic_title(self.knowledge.topics[tid], t), tid)
            for tid in TOPIC_IDS
        )

    def _generic_words(self, topic: str, language: str) -> frozenset[str]:
        if language not in self._generic:
            self._generic[language] = generic_words(self.knowledge, language)
        return self._generic[language].get(topic, frozenset())

    def fitted(
        self,
        city: str,
        topic: str,
        question: str,
        language: str,
        entries: list[Entry] | None = None,
    ) -> list[int]:
        """The positions of the topic's entries for the city (`entries`, when the caller has
        them already), best fit to `question` first."""
        entries = self.knowledge.entries_for(city, topic) if entries is None else entries
        return order_by_fit(entries, question, language, self._generic_words(topic, language))

    def topic_reply(
        self,
        decision: Decision,
        city: str,
        topic: str,
        now: datetime,
        fmt: Formatter,
        offset: int = 0,
        *,
        question: str | None = None,
        first: tuple[int, ...] = (),
    ) -> Reply:
        """One page of a topic's entries. On the first page of an answer to a `question`, the
        entries that fit it best come first; `first` carries that choice to the next pages."""
        t = translator(decision.language)
        entries = self.knowledge.entries_for(city, topic)
        count = len(entries)
        if question and not offset:
            ranked = self.fitted(city, topic, question, decision.language, entries)
            first = tuple(ranked[: self.page_size])
        first = tuple(i for i in first if 0 <= i < count)
        order = [*first, *(i for i in range(count) if i not in first)] if first else None
        text, more = self.renderer.answer(
            city, topic, now, t, fmt, offset=offset, limit=self.page_size, order=order
        )
        if first == tuple(range(len(first))):
            first = ()  # the layer order: nothing to carry
        choices: tuple[Choice, ...] = ()
        if more:
            label = t.ngettext("Show {n} more service", "Show {n} more services", more).format(
                n=more
            )
            choices = (Choice(ChoiceKind.MORE, label, topic, offset + self.page_size, first=first),)
        shown = max(0, min(self.page_size, count - offset))
        top = (order[0] if order else 0) if count and not offset else None
        return Reply(
            decision,
            text,
            choices,
            more,
            shown,
            offset + shown if shown else 0,
            entry=entries[top].id if top is not None else None,
        )

    def nearby_reply(
        self,
        language: str,
        city: str,
        here: Point,
        topic: str | None,
        now: datetime,
        fmt: Formatter,
    ) -> Reply:
        """The services nearest to a shared location: for `topic`, or for every topic."""
        t = translator(language)
        text, found = self.renderer.nearby(city, here, topic, now, t, fmt)
        decision = Decision(Action.ANSWER, topic, (), 1.0, language, NO_DETECTION)
        choices: tuple[Choice, ...] = ()
        if topic:
            title = self.renderer.topic_title(self.knowledge.topics[topic], t)
            choices = (
                Choice(ChoiceKind.NEARBY, t.gettext("All topics near me"), near=here),
                Choice(ChoiceKind.TOPIC, title, topic),
            )
        return Reply(decision, text, choices, 0, len(found), len(found))

    def reply(self, asked: Asked, fmt: Formatter | None = None) -> Reply:
        fmt = fmt or PlainFormatter()
        decision = self.understand(asked)
        return self.reply_to(decision, asked.city, asked.now, fmt, question=asked.text)

    def reply_to(
        self,
        decision: Decision,
        city: str,
        now: datetime,
        fmt: Formatter,
        *,
        question: str | None = None,
    ) -> Reply:
        t = translator(decision.language)
        _ = t.gettext
        human = Choice(ChoiceKind.HUMAN, _("Ask a person"))
        if decision.action is Action.ANSWER and decision.topic:
            reply = self.topic_reply(decision, city, decision.topic, now, fmt, question=question)
            if decision.topic == "emergency":
                # The numbers come first; a person is offered beside them.
                return replace(reply, choices=(*reply.choices, human))
            return reply
        if decision.action is Action.CLARIFY:
            choices = tuple(
                Choice(
                    ChoiceKind.TOPIC, self.renderer.topic_title(self.knowledge.topics[tid], t), tid
                )
                for tid in decision.candidates
            )
            text = fmt.escape(
                _("I am not sure I understood. Which of these is closest to what you need?")
            )
            if "emergency" in decision.candidates:
                # Never make a person in danger tap before they see the number.
                text = f"{fmt.bold(fmt.escape(_(EMERGENCY_LINE)))}\n\n{text}"
            return Reply(decision, text, (*choices, human))
        if decision.action is Action.GREETING:
            text = _("Hello! I can tell you where to find help in your city. What do you need?")
            return Reply(decision, fmt.escape(text), self.menu(decision.language))
        if decision.action is Action.THANKS:
            text = _("You are welcome. Ask me again whenever you need.")
            return Reply(decision, fmt.escape(text), self.menu(decision.language))
        if decision.action is Action.HELP:
            text = _("Tell me in a few words what you need, choose a topic, or ask a person.")
            text = f"{fmt.bold(fmt.escape(_(EMERGENCY_LINE)))}\n\n{fmt.escape(text)}"
            return Reply(decision, text, (*self.menu(decision.language), human))
        if decision.action is Action.OUT_OF_SCOPE:
            text = fmt.escape(
                _(
                    "That is not something I can help with. I can help you find services in "
                    "your city: choose a topic below, or ask a person."
                )
            )
            if "emergency" in decision.candidates:
                text = f"{fmt.bold(fmt.escape(_(EMERGENCY_LINE)))}\n\n{text}"
            return Reply(decision, text, (*self.menu(decision.language), human))
        if decision.action is Action.ESCALATE:
            text = _("You can ask a person from the local support network. Tap the button below.")
            return Reply(decision, fmt.escape(text), (human,))
        if not decision.detection.words:
            text = _(
                "I did not find a question in your message. "
                "Please choose a topic or write what you need in a few words."
            )
        else:
            text = _("Sorry, I did not understand. Please choose a topic, or ask a person.")
        return Reply(decision, fmt.escape(text), (*self.menu(decision.language), human))
