"""The coverage matrix of the network (topics x cities) and what a learning city can take from
its mentor, on the sample knowledge."""

from datetime import date

from bot.core.knowledge import TOPIC_IDS, Knowledge
from bot.core.knowledge.coverage import FACTS, STATUSES
from bot.core.knowledge.matrix import CSV_HEAD, cell, csv_rows, from_mentor, markdown_lines, matrix
from bot.core.languages import UI_LANGUAGES

TODAY = date(2026, 12, 7)


def test_every_topic_and_city_has_a_cell_with_what_a_migrant_of_the_city_gets(
    knowledge: Knowledge,
) -> None:
    cells = matrix(knowledge)
    assert len(cells) == len(TOPIC_IDS) * len(knowledge.cities)
    housing = cells["housing", "brussels"]
    assert [e.id for e in housing.entries] == [
        e.id for e in knowledge.entries_for("brussels", "housing")
    ]
    own = {e.id for e in knowledge.own_entries("brussels")}
    assert housing.own == sum(e.id in own for e in housing.entries) > 0
    texts = sum(1 for e in housing.entries for f in ("name", "description") if e.originals(f))
    assert all(sum(counts.values()) >= texts for counts in housing.texts.values())
    assert set(housing.texts) == set(UI_LANGUAGES)
    assert housing.confirmed == min(e.last_reviewed for e in housing.entries)
    assert 0 < housing.facts <= len(FACTS) * len(housing.entries)


def test_levels_follow_the_texts_facts_and_confirmation(knowledge: Knowledge) -> None:
    cells = matrix(knowledge)
    assert all(c.level(TODAY) == "none" for c in cells.values() if not c.entries)
    emergency = cells["emergency", "brussels"]
    # The sample's translations are all unchecked: nothing is "good" yet, and a cell is
    # "good" only once its texts are checked, its facts there and it was confirmed lately.
    assert emergency.level(TODAY) in ("weak", "fair")
    assert all(c.level(TODAY) != "good" for c in cells.values())
    assert emergency.level(date(2030, 1, 1)) == emergency.level(TODAY)  # never "good" when old


def test_a_learner_gets_the_topics_its_mentor_covers_and_it_does_not(
    knowledge: Knowledge,
) -> None:
    learner, mentor = "saint-jean-de-la-ruelle", "brussels"
    assert knowledge.cities[learner].mentor == mentor
    templates = list(from_mentor(knowledge, learner))
    assert templates
    mine = {t for e in knowledge.own_entries(learner) for t in e.topics}
    theirs = {e.id for e in knowledge.own_entries(mentor)}
    for t in templates:
        assert t.topic not in mine
        assert t.entries and all(e.id in theirs and t.topic in e.topics for e in t.entries)
    covered = {t for e in knowledge.own_entries(mentor) for t in e.topics}
    assert {t.topic for t in templates} == covered - mine
    assert list(from_mentor(knowledge, mentor)) == []  # Brussels learns from no one


def test_csv_and_markdown_say_the_same_as_the_cells(knowledge: Knowledge) -> None:
    cells = matrix(knowledge)
    rows = list(csv_rows(cells, TODAY))
    assert len(rows) == len(cells) and all(len(r) == len(CSV_HEAD) for r in rows)
    by_key = {(r[0], r[1]): dict(zip(CSV_HEAD, r, strict=True)) for r in rows}
    c = cell(knowledge, "mechelen", "health-care")
    row = by_key["health-care", "mechelen"]
    assert row["entries"] == len(c.entries) and row["level"] == c.level(TODAY)
    assert row["texts_missing"] == sum(n["missing"] for n in c.texts.values())
    counted = [row[f"texts_{s}"] for s in STATUSES]
    assert all(isinstance(n, int) for n in counted)
    assert sum(n for n in counted if isinstance(n, int)) == sum(
        sum(n.values()) for n in c.texts.values()
    )
    lines = markdown_lines(knowledge, cells, TODAY)
    assert lines[0].startswith("| topic | ") and len(lines) > len(TOPIC_IDS)
    assert "saint-jean-de-la-ruelle can start from brussels" in "\n".join(lines)
