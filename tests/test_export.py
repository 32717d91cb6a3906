"""`newsreader export`: the filter of `list`, every field of `list --json` plus the text, spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config.types import FeedConfig
from newsreader.export import CSV_COLUMNS, spreadsheet_safe, write_csv, write_json
from newsreader.store import Store

from story_factory import DAY, add_stories, entry, ids_by_key

NEWS = FeedConfig(name="Caucasus News", url="https://news.example/rss")
WIRE = FeedConfig(name="Wire", url="https://wire.example/rss")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    now = time.time()
    with Store(data / "cache.sqlite") as store:
        for story in [
            entry("am1", title="Yerevan talks resume", published=now - 2 * DAY, countries=("AM",), regions=("Caucasus", "Western Asia"),
                  summary="Talks in Yerevan.", text="Full text about Armenia."),
            entry("am-old", title="Old Armenian story", published=now - 60 * DAY, countries=("AM",)),
            entry("ge1", title="Tbilisi protest", published=now - 1 * DAY, countries=("GE",)),
        ]:
            add_stories(store, NEWS, [story], fetched_at=story.published)
        add_stories(store, WIRE, [
            entry("evil", title="=HYPERLINK(\"http://evil.example\",\"click\")", summary="+1 then -2 and @me",
                  text="-starts with minus\nsecond line, with comma and \"quotes\"", countries=("AM",), published=now - 3 * DAY),
        ], fetched_at=now - 3 * DAY)
        store.set_starred(ids_by_key(store)["am1"])
    return data


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_json_has_every_list_field_plus_text(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "list", "--json", "--country", "AM") == 0
    listed = json.loads(capsys.readouterr().out)
    assert run(data_dir, "export", "--json", "--country", "AM") == 0
    exported = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in exported] == [s["id"] for s in listed]
    for listed_story, exported_story in zip(listed, exported):
        assert {k: v for k, v in exported_story.items() if k not in ("text", "text_source")} == listed_story
    first = exported[0]
    assert first["title"] == "Yerevan talks resume" and first["starred"] is True
    assert first["text"] == "Full text about Armenia." and first["text_source"] == "feed"
    assert first["regions"] == ["Caucasus", "Western Asia"]


def test_since_and_country_narrow_like_list(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "export", "--csv", "--country", "AM", "--since", "30d") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["title"] for row in rows] == ["Yerevan talks resume", "'=HYPERLINK(\"http://evil.example\",\"click\")"]
    assert run(data_dir, "export", "--json", "--feed", "Wire", "--starred") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_csv_is_safe_for_spreadsheets_and_round_trips_through_a_csv_reader(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "export", "--csv", "--feed", "Wire") == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = dict(zip(CSV_COLUMNS, rows[1]))
    assert row["title"].startswith("'=HYPERLINK")
    assert row["summary"] == "'+1 then -2 and @me"
    assert row["text"] == "'-starts with minus\nsecond line, with comma and \"quotes\""
    assert row["read"] == "false" and row["countries"] == "AM" and row["author"] == ""
    assert row["published"].endswith("Z")
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"),
    ("plain", "plain"), ("", ""), ("a=b", "a=b"),
])
def test_spreadsheet_safe(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


def test_output_file_and_format_from_its_suffix(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "armenia.csv"
    assert run(data_dir, "export", "--country", "AM", "--output", str(target)) == 0
    assert capsys.readouterr().out == f"Exported 3 stories to {target}\n"
    assert len(list(csv.DictReader(target.open(newline="")))) == 3
    assert run(data_dir, "export", "-o", str(tmp_path / "all.json")) == 0
    assert len(json.loads((tmp_path / "all.json").read_text())) == 4


def test_no_format_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data_dir, "export") == 2
    assert capsys.readouterr().err == "newsreader: choose a format: --json or --csv\n"
    assert run(data_dir, "export", "--csv", "--since", "yesterday") == 2
    assert "--since takes an age" in capsys.readouterr().err


def test_a_failed_export_leaves_an_earlier_file_alone(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    target.write_text("earlier export")
    assert run(data_dir, "export", "--json", "--country", "Atlantis", "-o", str(target)) == 2
    assert target.read_text() == "earlier export"
    assert run(data_dir, "export", "--json", "-o", str(tmp_path / "missing-dir" / "x.json")) == 2
    assert "cannot write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.json"]


def test_writers_stream_and_count() -> None:
    out = io.StringIO()
    assert write_json([], out) == 0 and json.loads(out.getvalue()) == []
    out = io.StringIO()
    assert write_csv([], out) == 0 and out.getvalue().splitlines() == [",".join(CSV_COLUMNS)]


def test_paging_covers_every_story_once(tmp_path: Path) -> None:
    with Store(tmp_path / "cache.sqlite") as store:
        now = time.time()
        # Many stories share a timestamp: pages must break ties by id, not lose or repeat any.
        add_stories(store, NEWS, [entry(f"k{n}", published=now - (n // 7) * 60) for n in range(1234)], fetched_at=now)
        ids = [s.id for s in store.iter_stories(batch=100)]
        assert len(ids) == len(set(ids)) == 1234
        assert ids == store.story_ids()
