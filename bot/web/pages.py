"""The console's pages: each handler reads the request, asks the Editor, renders a template."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from bot.core.gaps import Missed
from bot.core.i18n import N_, Message
from bot.core.knowledge import TOPIC_IDS, Entry
from bot.core.knowledge.model import TEXT_FIELDS, TextField
from bot.core.languages import UI_LANGUAGES
from bot.storage.editing import Conflict, Invalid, Saved, Stored, text_diff
from bot.storage.phrasings import clean_lines
from bot.storage.sheets import (
    Problem,
    SheetRefused,
    SheetResult,
    export_sheet,
    import_sheet,
    sheet_filename,
)
from bot.storage.staff import Role, TokenProblem
from bot.web import poster_pages
from bot.web.auth import MOST_UPLOAD
from bot.web.forms import FactsForm, form_of, parse_facts

if TYPE_CHECKING:
    from bot.web.app import View

CHOOSE_A_FILE: Final = N_("Choose a spreadsheet file.")
STALE_AFTER: Final = timedelta(days=183)  # "not confirmed for 6 months"
FEEDBACK_SPAN: Final = timedelta(days=30)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _not_found() -> HTTPException:
    return HTTPException(404)


def entry_name(entry: Entry, language: str) -> str:
    found = entry.text("name", language)
    if found is not None:
        return found.text
    return entry.name.get("en") or next(iter(entry.name.values()))


# --- signing in ------------------------------------------------------------------------------


async def login_form(view: View) -> Response:
    """The link from the bot opens this page; the token is spent only by the button (a POST),
    so a link preview or a browser's prefetch cannot use it up."""
    return view.render("login.html", token=view.request.path_params["token"])


async def login(view: View) -> Response:
    _ = view.t.gettext
    outcome = await view.console.staff.login(view.request.path_params["token"])
    if isinstance(outcome, TokenProblem):
        messages = {
            TokenProblem.USED: _(
                "This sign-in link was used already. Send /staff to the bot for a new one."
            ),
            TokenProblem.EXPIRED: _(
                "This sign-in link has expired (links last 10 minutes). "
                "Send /staff to the bot for a new one."
            ),
        }
        message = messages.get(
            outcome, _("This sign-in link is not valid. Send /staff to the bot for a new one.")
        )
        return view.render(
            "error.html", 401 if outcome is TokenProblem.UNKNOWN else 410, message=message
        )
    view.request.session.clear()
    view.request.session.update({"staff": outcome.id, "ui": view.language})
    return _redirect("/")


async def logout(view: View) -> Response:
    view.request.session.clear()
    view.who = None
    return view.render("signin.html", message=view.t.gettext("You are signed out."))


# --- lists ----------------------------------------------------------------------------------


async def home(view: View) -> Response:
    who = view.who
    assert who is not None
    if who.role is Role.COORDINATOR:
        if who.organisation_id is None:  # their organisation is gone: nothing to see
            raise _not_found()
        return _redirect(f"/organisations/{who.organisation_id}")
    if who.city is not None and not who.admin:
        return _redirect(f"/city/{who.city}")
    cities = await view.console.editor.cities(who)
    knowledge = view.console.knowledge()
    names = {
        c: city_name(knowledge.cities[c].name, view.language, c)
        for c in cities
        if c in knowledge.cities
    }
    organisations = await view.console.figures.organisations(who)
    return view.render("cities.html", cities=cities, names=names, organisations=organisations)


def city_name(names: dict[str, str], language: str, slug: str) -> str:
    return names.get(language) or names.get("en") or slug


def known_city_name(view: View, slug: str) -> str:
    """The name of a city of the knowledge, in the console's language; 404 for any other."""
    cities = view.console.knowledge().cities
    if slug not in cities:
        raise HTTPException(404)
    return city_name(cities[slug].name, view.language, slug)


@dataclass(frozen=True)
class Row:
    """One entry in the city's list, with what is left to do on it."""

    stored: Stored
    name: str
    stale: bool
    texts_todo: int  # texts missing or outdated, in the languages this person may write
    missing_facts: tuple[str, ...]
    unhelpful: int  # 👎 last month on the topics it answers


def _languages_for(view: View) -> tuple[str, ...]:
    who = view.who
    assert who is not None
    return tuple(who.languages) if who.role is Role.TRANSLATOR else UI_LANGUAGES


#: Texts to do per (entry content hash, languages): the hash covers the whole entry, so the
#: count is computed once per version of an entry, not on every list (it was most of a
#: 500-entry list's time). Bounded: the oldest goes first.
_TODO: dict[tuple[str, tuple[str, ...]], int] = {}
_TODO_KEPT: Final = 8192


def _texts_todo(stored: Stored, languages: tuple[str, ...]) -> int:
    key = (stored.content_hash, languages)
    count = _TODO.get(key)
    if count is None:
        entry = stored.entry
        count = sum(
            1
            for name in TEXT_FIELDS
            for lang in languages
            if entry.text_status(name, lang) in ("missing", "outdated")
        )
        if len(_TODO) >= _TODO_KEPT:
            del _TODO[next(iter(_TODO))]
        _TODO[key] = count
    return count


def _missing_facts(entry: Entry) -> tuple[str, ...]:
    out = []
    if not entry.address:
        out.append("address")
    if not entry.phone:
        out.append("phone")
    if not entry.hours and not entry.always_open:
        out.append("hours")
    return tuple(out)


async def city(view: View) -> Response:
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    knowledge = view.console.knowledge()
    if slug not in knowledge.cities or (not who.admin and slug != who.city):
        raise _not_found()
    stored = await view.console.editor.city_entries(who, slug)
    now = datetime.now(UTC)
    unhelpful = await view.console.questions.unhelpful_topics(slug, now - FEEDBACK_SPAN)
    languages = _languages_for(view)
    today = now.date()
    rows = [
        Row(
            s,
            entry_name(s.entry, view.language),
            today - s.entry.last_reviewed > STALE_AFTER,
            _texts_todo(s, languages),
            _missing_facts(s.entry),
            sum(unhelpful.get(t, 0) for t in s.entry.topics),
        )
        for s in stored
    ]
    todo = {
        "stale": [r for r in rows if r.stale],
        "texts": sorted((r for r in rows if r.texts_todo), key=lambda r: -r.texts_todo),
        "facts": [r for r in rows if r.missing_facts],
        "unhelpful": sorted((r for r in rows if r.unhelpful), key=lambda r: -r.unhelpful)[:10],
    }
    return view.render(
        "city.html",
        slug=slug,
        city_name=city_name(knowledge.cities[slug].name, view.language, slug),
        mentor=_mentor_name(view, slug),
        rows=rows,
        todo=todo,
        may_edit=who.may_edit_entries(),
        sheet_languages=_sheet_languages(view),
        posters=poster_pages.section(view),
        to_review=await view.console.review.count(who, slug),
    )


def _mentor_name(view: View, slug: str) -> str | None:
    """The name of the city's mentor, when it has one in the network."""
    cities = view.console.knowledge().cities
    mentor = cities[slug].mentor
    if mentor is None or mentor not in cities:
        return None
    return city_name(cities[mentor].name, view.language, mentor)


# --- a new entry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    """What the new entry's form shows: empty, or as sent when it was refused."""

    topics: tuple[str, ...] = ()
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""
    suggestion: int | None = None  # a volunteer's answer it starts from (the review queue)
    asked: tuple[Missed, ...] = ()  # what people asked that it is for (the gaps page)


async def _new_entry_page(
    view: View, slug: str, sent: NewEntry, errors: dict[str, list[str]], status: int = 200
) -> Response:
    knowledge = view.console.knowledge()
    city = knowledge.cities[slug]
    topics = {tid: knowledge.topics[tid] for tid in TOPIC_IDS if tid in knowledge.topics}
    required = list(dict.fromkeys(["en", *city.languages]))
    # An answer in another language (Arabic in Brussels) is shown in its own field, optional.
    given = [lang for by_lang in sent.texts.values() for lang in by_lang]
    return view.render(
        "new_entry.html", status, slug=slug, topics=topics, sent=sent, errors=errors,
        city_name=city_name(city.name, view.language, slug),
        languages=list(dict.fromkeys([*required, *given])), required=required,
    )  # fmt: skip


def _may_add(view: View, slug: str) -> bool:
    who = view.who
    assert who is not None
    return (
        slug in view.console.knowledge().cities
        and who.may_edit_entries()
        and (who.admin or who.city == slug)
    )


async def new_entry(view: View) -> Response:
    """The form: empty, started from another entry (?from=ID: a mentor city's, to adapt) or
    from a volunteer's answer (?suggestion=ID, from the review queue)."""
    slug = view.request.path_params["city"]
    if not _may_add(view, slug):
        raise _not_found()
    knowledge = view.console.knowledge()
    model = knowledge.entry(view.request.query_params.get("from", ""))
    if model is None:
        return await _new_entry_page(view, slug, await _from_suggestion(view, slug), {})
    wanted = ["en", *knowledge.cities[slug].languages]
    texts: dict[str, dict[str, str]] = {}
    for name in ("name", "description"):
        found = {lang: model.text(name, lang) for lang in wanted}
        texts[name] = {lang: t.text for lang, t in found.items() if t is not None}
    return await _new_entry_page(view, slug, NewEntry(tuple(model.topics), texts), {})


async def _from_suggestion(view: View, slug: str) -> NewEntry:
    """`?suggestion=ID`: the form prefilled from a volunteer's answer (its description, in the
    answer's language, and the guessed topic), to be checked; else empty."""
    assert view.who is not None
    asked = view.request.query_params.get("suggestion", "")
    if not asked.isdigit():
        return await _from_gap(view, slug)
    found = await view.console.review.get(view.who, slug, int(asked), datetime.now(UTC))
    if found is None:
        return NewEntry()
    return NewEntry(
        (found.topic,) if found.topic else (),
        {"description": {found.language: found.answer}},
        suggestion=found.id,
    )


async def _from_gap(view: View, slug: str) -> NewEntry:
    """`?gap=ID&gap=ID&topic=T`: a new entry asked for on the gaps page, with what people
    asked beside the form and the topic chosen there."""
    assert view.who is not None
    ids = [int(i) for i in view.request.query_params.getlist("gap") if i.isdigit()]
    if not ids:
        return NewEntry()
    asked = await view.console.gaps.asked(view.who, slug, ids, datetime.now(UTC)) or []
    topic = view.request.query_params.get("topic", "")
    return NewEntry((topic,) if topic in TOPIC_IDS else (), asked=tuple(asked))


async def create_entry(view: View) -> Response:
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    if not _may_add(view, slug):
        raise _not_found()
    form = await view.request.form()
    texts: dict[str, dict[str, str]] = {"name": {}, "description": {}}
    for key, value in form.multi_items():
        name, _, lang = key.partition("-")
        if name in texts and lang in UI_LANGUAGES and isinstance(value, str) and value.strip():
            texts[name][lang] = value
    suggestion = str(form.get("suggestion", ""))
    sent = NewEntry(
        tuple(t for t in form.getlist("topics") if isinstance(t, str)),
        texts,
        str(form.get("source", "")),
        int(suggestion) if suggestion.isdigit() else None,
    )
    made = await view.console.editor.create(who, slug, sent.topics, sent.texts, sent.source)
    if made is None:
        raise _not_found()
    if isinstance(made, Invalid):
        return await _new_entry_page(view, slug, sent, _field_errors(made.errors, view), 422)
    if sent.suggestion is not None:  # reviewed: the entry is made from it (or was already)
        await view.console.review.drafted(
            who, slug, sent.suggestion, made.entry.id, datetime.now(UTC)
        )
    return _redirect(f"/entries/{made.entry.id}?done=created")


# --- one entry -------------------------------------------------------------------------------


def _target_language(view: View, entry: Entry) -> str:
    """The language the texts panel shows: ?lang=, else the first this person may write that
    is not one the entry is written in."""
    who = view.who
    assert who is not None
    asked = view.request.query_params.get("lang")
    if asked in UI_LANGUAGES:
        return asked
    own = set(entry.name)
    for lang in _languages_for(view):
        if lang not in own:
            return lang
    return _languages_for(view)[0]


@dataclass(frozen=True)
class TextRow:
    field: TextField
    source_language: str
    source: str
    text: str
    status: str
    original: bool  # the entry is written in this language (not a translation)
    changed: list[tuple[str, str]] | None  # outdated: what changed in the source since


async def _texts_panel(view: View, stored: Stored, language: str) -> list[TextRow]:
    entry = stored.entry
    rows = []
    for name in TEXT_FIELDS:
        own = entry.originals(name)
        if not own:
            continue
        found = entry.text(name, language)
        tr = entry.translations.get(language, {}).get(name)
        source_lang = tr.source if tr else ("en" if "en" in own else next(iter(own)))
        changed = None
        if found is not None and found.status == "outdated":
            before = await view.console.editor.source_before(view.who, entry.id, name, language)  # type: ignore[arg-type]
            if before is not None:
                changed = text_diff(before, own[source_lang])
        rows.append(
            TextRow(
                name,
                source_lang,
                own.get(source_lang, ""),
                found.text if found else "",
                found.status if found else "missing",
                language in own,
                changed,
            )
        )
    return rows


def _statuses(entry: Entry) -> dict[str, dict[str, str | None]]:
    return {
        name: {lang: entry.text_status(name, lang) for lang in UI_LANGUAGES}
        for name in TEXT_FIELDS
        if entry.originals(name)
    }


async def _entry_page(
    view: View,
    stored: Stored,
    *,
    status: int = 200,
    facts: FactsForm | None = None,
    text_errors: dict[str, list[str]] | None = None,
    texts_sent: dict[str, str] | None = None,
    message: str | None = None,
    language: str | None = None,
) -> Response:
    who = view.who
    assert who is not None
    entry = stored.entry
    language = language or _target_language(view, entry)
    panel = await _texts_panel(view, stored, language)
    if texts_sent:
        panel = [
            TextRow(
                r.field,
                r.source_language,
                r.source,
                texts_sent.get(r.field, r.text),
                r.status,
                r.original,
                r.changed,
            )
            for r in panel
        ]
    knowledge = view.console.knowledge()
    topics = {tid: knowledge.topics[tid] for tid in TOPIC_IDS if tid in knowledge.topics}
    saved = view.request.query_params.get("done")
    return view.render(
        "entry.html",
        status,
        stored=stored,
        entry=entry,
        name=entry_name(entry, view.language),
        language=language,
        panel=panel,
        statuses=_statuses(entry),
        facts=facts or form_of(entry),
        topics=topics,
        may_edit=who.may_edit_entries(),
        may_write=who.may_translate(language),
        text_errors=text_errors or {},
        message=message,
        done=saved,
        stale=datetime.now(UTC).date() - entry.last_reviewed > STALE_AFTER,
        keywords=_keywords_shown(entry, language, texts_sent),
    )


def _keywords_shown(entry: Entry, language: str, sent: dict[str, str] | None) -> str:
    """The keywords' field: as sent when a save was refused, else as stored."""
    if sent is not None and "keywords" in sent:
        return sent["keywords"]
    return "\n".join((entry.keywords or {}).get(language, []))


async def _stored(view: View) -> Stored:
    assert view.who is not None
    stored = await view.console.editor.get(view.who, view.request.path_params["entry"])
    if stored is None:
        raise _not_found()
    return stored


async def entry(view: View) -> Response:
    return await _entry_page(view, await _stored(view))


def _field_errors(errors: dict[str, list[Message]], view: View) -> dict[str, list[str]]:
    """Model errors by the form's field names (`hours.mon.0` is shown at `hours.mon`), in the
    person's language where the catalogs have them (bot/storage/editing.py marks those)."""
    out: dict[str, list[str]] = {}
    for loc, messages in errors.items():
        parts = loc.split(".")
        key = ".".join(parts[:2]) if parts[0] == "hours" else parts[0]
        out.setdefault(key, []).extend(m.in_(view.t) for m in messages)
    return out


async def save_facts(view: View) -> Response:
    who = view.who
    assert who is not None
    stored = await _stored(view)
    if not who.may_edit_entries():
        raise HTTPException(403)
    form = await view.request.form()
    topics = [t for t in form.getlist("topics") if isinstance(t, str)]
    facts, shown = parse_facts(form, topics, view.t)
    if shown.errors:
        return await _entry_page(view, stored, status=422, facts=shown)
    base = str(form.get("base", ""))
    result = await view.console.editor.save_facts(who, stored.entry.id, base, facts)
    if result is None:
        raise _not_found()
    if isinstance(result, Invalid):
        shown = FactsForm(
            shown.values,
            shown.topics,
            shown.always_open,
            shown.hours,
            _field_errors(result.errors, view),
        )
        return await _entry_page(view, stored, status=422, facts=shown)
    if isinstance(result, Conflict):
        return await _entry_page(view, result.current, status=409, message=_conflict(view))
    return _redirect(f"/entries/{stored.entry.id}?done=facts")


def _conflict(view: View) -> str:
    return view.t.gettext(
        "Someone else saved this entry after you opened it. Their version is shown now: "
        "make your change again."
    )


async def save_texts(view: View) -> Response:
    who = view.who
    assert who is not None
    stored = await _stored(view)
    language = view.request.path_params["language"]
    if language not in UI_LANGUAGES:
        raise _not_found()
    if not who.may_translate(language):
        raise HTTPException(403)
    form = await view.request.form()
    texts: dict[str, str] = {
        name: str(form[name]) for name in TEXT_FIELDS if isinstance(form.get(name), str)
    }
    raw = form.get("keywords")
    keywords, wrong = clean_lines(raw) if isinstance(raw, str) else (None, [])
    if wrong:
        return await _entry_page(
            view, stored, status=422, text_errors={"keywords": [m.in_(view.t) for m in wrong]},
            texts_sent={**texts, "keywords": str(raw)}, language=language,
        )  # fmt: skip
    base = str(form.get("base", ""))
    result = await view.console.editor.save_texts(
        who, stored.entry.id, base, language, texts, keywords
    )
    if result is None:
        raise _not_found()
    if isinstance(result, Invalid):
        return await _entry_page(
            view,
            stored,
            status=422,
            text_errors=_field_errors(result.errors, view),
            texts_sent={**texts, "keywords": str(raw or "")},
            language=language,
        )
    if isinstance(result, Conflict):
        return await _entry_page(
            view, result.current, status=409, message=_conflict(view), language=language
        )
    return _redirect(f"/entries/{stored.entry.id}?lang={language}&done=texts")


async def confirm(view: View) -> Response:
    who = view.who
    assert who is not None
    stored = await _stored(view)
    if not who.may_edit_entries():
        raise HTTPException(403)
    result = await view.console.editor.confirm(who, stored.entry.id)
    return await _changed(view, stored, result, "confirmed")


async def _changed(view: View, stored: Stored, result: Saved | None, done: str) -> Response:
    """After a one-click change: back to the entry, or why it could not be made."""
    if result is None:
        raise _not_found()
    if isinstance(result, Invalid):
        problems = "; ".join(m.in_(view.t) for ms in result.errors.values() for m in ms)
        return await _entry_page(view, stored, status=422, message=problems)
    return _redirect(f"/entries/{stored.entry.id}?done={done}")


# --- history ---------------------------------------------------------------------------------


async def revisions(view: View) -> Response:
    assert view.who is not None
    stored = await _stored(view)
    found = await view.console.editor.revisions(view.who, stored.entry.id)
    return view.render(
        "revisions.html",
        stored=stored,
        name=entry_name(stored.entry, view.language),
        revisions=found or [],
        may_edit=view.who.may_edit_entries(),
    )


def _lines(data: dict[str, Any]) -> list[str]:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).splitlines()


async def revision(view: View) -> Response:
    assert view.who is not None
    stored = await _stored(view)
    number = view.request.path_params["number"]
    found = await view.console.editor.revisions(view.who, stored.entry.id) or []
    chosen = next((r for r in found if r.number == number), None)
    if chosen is None:
        raise _not_found()
    diff = list(difflib.unified_diff(_lines(chosen.data), _lines(stored.data), lineterm="", n=2))
    return view.render(
        "revision.html",
        stored=stored,
        name=entry_name(stored.entry, view.language),
        revision=chosen,
        diff=diff[2:],
        latest=found[0].number == number,
        may_edit=view.who.may_edit_entries(),
    )


async def restore(view: View) -> Response:
    who = view.who
    assert who is not None
    stored = await _stored(view)
    if not who.may_edit_entries():
        raise HTTPException(403)
    number = view.request.path_params["number"]
    result = await view.console.editor.restore(who, stored.entry.id, number)
    return await _changed(view, stored, result, "restored")


# --- spreadsheets for translators ------------------------------------------------------------

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_languages(view: View) -> list[str]:
    who = view.who
    assert who is not None
    return [lang for lang in UI_LANGUAGES if who.may_translate(lang)]


async def sheet_download(view: View) -> Response:
    who = view.who
    assert who is not None
    slug, language = view.request.path_params["city"], view.request.path_params["language"]
    try:
        data = await export_sheet(view.console.editor, who, slug, language)
    except SheetRefused:
        raise _not_found() from None
    name = sheet_filename(slug, language)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def sheet_upload(view: View) -> Response:
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    if slug not in view.console.knowledge().cities or (not who.admin and slug != who.city):
        raise _not_found()
    form = await view.request.form(max_part_size=MOST_UPLOAD)
    upload = form.get("sheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        result = SheetResult(errors=(Problem(None, Message(CHOOSE_A_FILE)),))
    else:
        result = await import_sheet(view.console.editor, who, await upload.read(MOST_UPLOAD + 1))
    return view.render("sheet_result.html", 200 if result.ok else 422, slug=slug, result=result)


# --- the city's own words --------------------------------------------------------------------


def _words_languages(view: View, slug: str) -> list[str]:
    """The languages whose words an editor sets: English, then the city's own."""
    city = view.console.knowledge().cities[slug]
    return list(dict.fromkeys(["en", *city.languages]))


async def words(view: View) -> Response:
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    knowledge = view.console.knowledge()
    if slug not in knowledge.cities:
        raise _not_found()
    found = await view.console.phrasings.of_city(who, slug)
    if found is None:
        raise _not_found()
    return view.render(
        "words.html", slug=slug, words=found, languages=_words_languages(view, slug),
        topics=knowledge.topics, problems={}, done=view.request.query_params.get("done"),
    )  # fmt: skip


async def save_words(view: View) -> Response:
    who = view.who
    assert who is not None
    slug = view.request.path_params["city"]
    knowledge = view.console.knowledge()
    if slug not in knowledge.cities or await view.console.phrasings.of_city(who, slug) is None:
        raise _not_found()
    form = await view.request.form()
    problems: dict[str, list[str]] = {}
    wanted: dict[tuple[str, str], list[str]] = {}
    for topic in TOPIC_IDS:
        for lang in _words_languages(view, slug):
            raw = form.get(f"w-{topic}-{lang}")
            if not isinstance(raw, str):
                continue
            lines, wrong = clean_lines(raw)
            if wrong:
                problems[f"{topic}-{lang}"] = [m.in_(view.t) for m in wrong]
            wanted[topic, lang] = lines
    if problems:
        current = await view.console.phrasings.of_city(who, slug) or {}
        for (topic, lang), lines in wanted.items():
            current.setdefault(topic, {})[lang] = lines
        return view.render(
            "words.html", 422, slug=slug, words=current, languages=_words_languages(view, slug),
            topics=knowledge.topics, problems=problems, done=None,
        )  # fmt: skip
    for (topic, lang), lines in wanted.items():
        await view.console.phrasings.save(who, slug, topic, lang, lines)
    return _redirect(f"/city/{slug}/words?done=1")
