"""Stored article Markdown read back as plain text (`newsreader show`, and the quality measure)."""

from __future__ import annotations

from newsreader.text.markdown import markdown_to_text


def test_headings_paragraphs_and_emphasis():
    text = markdown_to_text("# The headline\n\nSome *emphasis*, **strong** and `code`.\n\n### A section\n\nMore.")
    assert text == "The headline\n\nSome emphasis, strong and code.\n\nA section\n\nMore."


def test_links_read_as_text_then_url():
    markdown = "See [the report](https://example.org/r?a=1&b=2), <https://example.org/auto> and [home](/relative)."
    assert markdown_to_text(markdown) == (
        "See the report <https://example.org/r?a=1&b=2>, https://example.org/auto and home."
    )
    assert markdown_to_text(markdown, link_urls=False) == "See the report, https://example.org/auto and home."


def test_a_link_whose_text_is_its_url_is_not_repeated():
    assert markdown_to_text("[https://example.org](https://example.org)") == "https://example.org"


def test_unsafe_link_targets_are_never_links():
    # markdown-it refuses javascript: targets, so the source stays literal text; `data:` likewise.
    for markdown in ("[click](javascript:alert(1))", "[img](data:text/html;base64,AAAA)"):
        assert "<javascript" not in markdown_to_text(markdown) and "<data:" not in markdown_to_text(markdown)


def test_lists_keep_bullets_numbers_and_nesting():
    markdown = "- one\n- two\n  - two a\n    1. deep\n- three\n\n3. third\n4. fourth\n\n- item\n\n  second paragraph\n- next"
    assert markdown_to_text(markdown) == (
        "• one\n• two\n  • two a\n    1. deep\n• three\n\n3. third\n4. fourth\n\n• item\n  second paragraph\n• next"
    )


def test_quotes_code_tables_and_rules():
    markdown = (
        "> quoted\n> line\n\nafter\n\n```\nx = 1\n  y = 2\n```\n\n"
        "| Station | 2026 |\n|---|---|\n| Sevan | 1900.93 |\n\n---\n\nend"
    )
    assert markdown_to_text(markdown) == (
        "> quoted line\n\nafter\n\n    x = 1\n      y = 2\n\nStation | 2026\nSevan | 1900.93\n\n* * *\n\nend"
    )


def test_images_become_their_alt_text():
    assert markdown_to_text("![Boats at *dawn*](https://example.org/b.jpg)\n\nText.") == "[Boats at dawn]\n\nText."
    assert markdown_to_text("![](https://example.org/spacer.gif)\n\nText.") == "Text."


def test_escapes_and_entities_come_out_as_characters():
    assert markdown_to_text(r"1\. Not a list, \*not emphasis\*, \[not a link\] &amp; x<sup>2</sup>") == (
        "1. Not a list, *not emphasis*, [not a link] & x2"
    )


def test_hostile_text_stays_literal_and_harmless():
    text = markdown_to_text("[bold]red[/bold] [link=https://evil]x[/link] \x1b[31mansi\x1b[0m \x9b2J done")
    assert text == "[bold]red[/bold] [link=https://evil]x[/link] ansi done"


def test_empty():
    assert markdown_to_text(None) == ""
    assert markdown_to_text("") == ""
    assert markdown_to_text("\n\n") == ""
