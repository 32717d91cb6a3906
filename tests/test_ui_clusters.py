"""The reader grouped by story cluster: a row per event, G to toggle, the other outlets' versions in the
article pane and v/V to move between them, filters over clusters, and reading one version marking the rest.

320 stories in 160 events (1, 2 or 3 outlets each, in English, French and German): more rows than the
screen holds, so paging and the virtual list are exercised too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsreader.library import Library
from newsreader.store import Store
from newsreader.ui import make_app

from cluster_helpers import SOCHI, SOCHI_EVENT, clustered_config, clustered_store
from ui_helpers import fixed_clock, screen_lines, settle, story_id, wait_for

SIZE = (120, 36)
EVENTS = 160
STORIES = sum(event % 3 + 1 for event in range(EVENTS))


@pytest.fixture
def store(tmp_path: Path):
    store = clustered_store(tmp_path, EVENTS)
    yield store
    store.close()


def reader(store: Store, **options: object):
    settings = options.pop("settings", {"read_dwell": 600})
    options.setdefault("state_path", None)
    return make_app(Library(clustered_config(**settings), store=store), offline=True, clock=fixed_clock, **options)  # type: ignore[arg-type]


def text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(screen_lines(app))


async def test_a_row_per_event_by_default_with_its_outlets_and_languages(store: Store) -> None:
    assert STORIES > 300
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        story_list = app.reader.story_list
        assert story_list.total == EVENTS
        assert f"All stories  {EVENTS} events, {EVENTS} unread" in screen_lines(app)[0]
        rows = story_list.visible_headers()
        assert len({row.cluster for row in rows}) == len(rows)
        three = next(row for row in rows if row.outlets == 3)
        assert three.languages == ("de", "en", "fr") and three.stories == 3
        assert "3× de en fr" in text(app)  # where the feed's name goes
        await pilot.press("end")  # the last page, read on its way
        await wait_for(pilot, lambda: story_list.current is not None, "the last row")
        assert story_list.cursor == EVENTS - 1
        assert story_list.current.title == f"Kenya: event {EVENTS - 1} unfolds (wire)"


async def test_g_toggles_grouping_keeping_the_story_and_remembers_it(store: Store, tmp_path: Path) -> None:
    state = tmp_path / "reader-state.json"
    app = reader(store, state_path=state)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        story_list = app.reader.story_list
        await pilot.press("j", "j", "j", "j", "j")  # event 5, told by three outlets: the newest version stands for it
        await settle(pilot, app)
        chosen = story_list.current.id
        await pilot.press("G")
        await settle(pilot, app)
        assert not app.reader.grouped and story_list.total == STORIES
        assert story_list.current.id == chosen
        assert f"{STORIES} stories" in screen_lines(app)[0]
        assert json.loads(state.read_text())["grouped"] is False
        await pilot.press("G")
        await settle(pilot, app)
        assert app.reader.grouped and story_list.total == EVENTS
        assert story_list.current.id == chosen
    assert json.loads(state.read_text())["grouped"] is True
    # the next start is grouped as it was left
    again = reader(store, state_path=state)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, again)
        assert again.reader.grouped


async def test_the_article_lists_the_other_versions_and_v_moves_between_them(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j")  # event 2: FAZ's, Le Monde's and the wire's
        await settle(pilot, app)
        row = app.reader.story_list.current
        await wait_for(pilot, lambda: app.reader.article.story is not None and app.reader.article.story.id == row.id)
        assert "The same story from 2 other outlets (v: read the next)" in text(app)
        assert "Le Monde · fr" in text(app) and "World Wire · en" in text(app)
        seen = [app.reader.article.story.id]
        for _ in range(3):
            await pilot.press("v")
            await wait_for(pilot, lambda seen=seen: app.reader.article.story.id != seen[-1], "the next version")
            seen.append(app.reader.article.story.id)
        assert seen[0] == seen[-1] and len(set(seen)) == 3  # round the three, oldest first
        assert seen[1] == story_id(store, "e2-en")  # after the newest, the oldest: the wire's
        assert app.reader.story_list.current.id == row.id  # the list stays on the event's row
        await pilot.press("V")
        await wait_for(pilot, lambda: app.reader.article.story.id == seen[2], "the previous version")
        # in the reading view too
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.reader.reading, "the reading view")
        before = app.reader.article.story.id
        await pilot.press("v")
        await wait_for(pilot, lambda: app.reader.article.story.id != before, "the next version, reading")
        assert app.reader.reading


async def test_v_on_a_story_told_once_says_so(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "j")  # event 3: the wire alone
        await settle(pilot, app)
        await wait_for(pilot, lambda: app.reader.article.story is not None
                       and app.reader.article.story.id == app.reader.story_list.current.id)
        assert "The same story from" not in text(app)
        await pilot.press("v")
        await wait_for(pilot, lambda: any("No other outlet" in n.message for n in app._notifications), "the notice")


async def test_a_filter_shows_an_event_when_any_of_its_stories_passes(store: Store) -> None:
    app = reader(store)
    armenia = range(0, EVENTS, 6)  # and the Sochi talks, through the wire's version alone
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        story_list = app.reader.story_list
        assert story_list.total == len(armenia) + 1
        assert f"Armenia  {story_list.total} events" in screen_lines(app)[0]
        sochi = next(row for row in story_list.visible_headers() if SOCHI in row.title)
        assert sochi.title == f"{SOCHI} resume"  # the version about Armenia stands for the event
        assert sochi.stories == 3 and sochi.outlets == 3
        # ungrouped, the same filter lists stories
        await pilot.press("G")
        await settle(pilot, app)
        assert story_list.total == sum(event % 3 + 1 for event in armenia) + 1
        # a search narrows events the same way: Le Monde's versions, one event each
        await pilot.press("G", "x", "slash", *"selon", "enter")
        await settle(pilot, app)
        assert story_list.total == sum(1 for event in range(EVENTS) if event % 3 + 1 >= 2 and event != SOCHI_EVENT)


async def test_reading_one_version_marks_the_event_read(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "enter")  # the reading view: read at once
        await wait_for(pilot, lambda: app.reader.reading, "the reading view")
        await wait_for(pilot, lambda: all(s.read for s in store.stories() if s.title.startswith("Japan: event 2 ")
                                          or s.title.startswith("Japan : event 2 ")), "every version read")
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.reader.story_list.current.read
        assert f"{EVENTS - 1} unread" in screen_lines(app)[0]
        # n goes to the next unread event, past the read one
        await pilot.press("home", "n")
        await settle(pilot, app)
        assert app.reader.story_list.cursor == 1


async def test_with_mark_cluster_read_off_only_the_version_read_is(store: Store) -> None:
    app = reader(store, settings={"read_dwell": 600, "mark_cluster_read": False})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "enter")
        await wait_for(pilot, lambda: app.reader.reading, "the reading view")
        shown = app.reader.article.story.id
        await wait_for(pilot, lambda: store.story(shown).read, "the story read")
        others = [v.id for v in app.reader.article.story.versions]
        assert others and not any(store.story(other).read for other in others)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not app.reader.story_list.current.read  # the event still has unread versions


async def test_the_keys_are_in_the_help_the_palette_and_rebindable(store: Store) -> None:
    from dataclasses import replace

    config = replace(clustered_config(read_dwell=600), keys={"view.grouped": "z", "story.next_version": "ctrl+o"})
    app = make_app(Library(config, store=store), offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=(140, 70)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = text(app)
        assert "view.grouped" in help_text and "story.next_version" in help_text and "story.previous_version" in help_text
        await pilot.press("escape", "z")  # rebound in [keys]
        await settle(pilot, app)
        assert not app.reader.grouped
        await pilot.press("ctrl+p", *"group the stories")
        await wait_for(pilot, lambda: "id: view.grouped" in text(app), "the palette's match")
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.reader.grouped
        await pilot.press("j", "j")
        await settle(pilot, app)
        await wait_for(pilot, lambda: app.reader.article.story is not None and bool(app.reader.article.story.versions))
        assert "(^o: read the next)" in text(app)
        before = app.reader.article.story.id
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.reader.article.story.id != before, "the next version")


def test_an_outlets_own_follow_ups_are_counted_as_versions_not_as_outlets(store: Store) -> None:
    """Seen in a trial: five stories of one feed read "The same story from 5 other outlets"."""
    from dataclasses import replace

    from newsreader.model import Version
    from newsreader.ui.widgets.article_view import ArticleView

    story = store.story(store.headers(limit=1)[0].id)
    assert story is not None
    view = ArticleView(fixed_clock, lambda code: code)
    follow_ups = tuple(Version(id=100 + n, feed="Desk", title=f"Follow-up {n}", when=story.when, language="en",
                               country=None, read=False) for n in range(5))
    assert view._versions(replace(story, versions=follow_ups)).plain.startswith(
        "The same story: 5 other versions from 1 outlet")
    mixed = follow_ups[:2] + (replace(follow_ups[0], id=200, feed="Wire"),)
    assert view._versions(replace(story, versions=mixed)).plain.startswith(
        "The same story: 3 other versions from 2 outlets")
    apart = (follow_ups[0], replace(follow_ups[1], feed="Wire"))
    assert view._versions(replace(story, versions=apart)).plain.startswith("The same story from 2 other outlets")
