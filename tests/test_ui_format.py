"""How the reader writes dates: the story list's date column must hold every one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsreader.ui.format import SHORT_WHEN_WIDTH, long_when, short_when

NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=20), "now"),
        (timedelta(minutes=5), "5m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=2), "28 Feb"),
        (timedelta(days=120), "02 Nov"),  # last year, but recent: the day says more than the year
        (timedelta(days=400), "2025"),
        (timedelta(days=3650), "2016"),
        (timedelta(minutes=-2), "now"),  # a clock a little ahead
    ],
)
def test_short_when_fits_the_date_column(ago: timedelta, expected: str) -> None:
    text = short_when(NOW - ago, NOW)
    assert text == expected
    assert len(text) <= SHORT_WHEN_WIDTH


def test_long_when_gives_the_full_date_and_the_age_for_today() -> None:
    assert long_when(NOW - timedelta(hours=2), NOW) == "Mon 2 Mar 2026 07:15 (2h ago)"
    assert long_when(NOW - timedelta(days=400), NOW) == "Sun 26 Jan 2025 09:15"
