"""Plain text from hostile feed HTML: structure kept as line breaks, everything else dropped or made safe."""

from __future__ import annotations

import pytest

from newsreader.text.sanitize import html_to_text, normalize_whitespace, safe_line, safe_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ("<div>Block</div>tail", "Block\n\ntail"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<ul><li>first<li>second</ul>after", "• first\n• second\nafter"),
        ("<h2>Head</h2>Body", "Head\n\nBody"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>", "a b\nc"),
        ('<p>Before <img src="x.jpg" alt=" A map of Gaza "> after</p>', "Before [A map of Gaza] after"),
        ('<img src="x.jpg" alt="">Only text', "Only text"),
        ("Fish &amp; chips &#8212; &eacute;t&eacute; &nbsp;done", "Fish & chips — été done"),
        ("a < b and c > d", "a < b and c > d"),
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
        ("   \n\t ", ""),
        ("<!-- only a comment -->", ""),
        ("<p>kept<!-- hidden --> text</p>", "kept text"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
    ],
)
def test_structure_survives_as_line_breaks(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert('x')</script>Visible",
        "<style>p { color: red }</style>Visible",
        "<noscript>enable js</noscript>Visible",
        "<iframe src='https://evil.example'>frame text</iframe>Visible",
        "<svg><text>drawn</text></svg>Visible",
        "<head><title>Page title</title></head>Visible",
        "<template><p>later</p></template>Visible",
    ],
)
def test_scripts_styles_and_hidden_parts_are_dropped(html: str) -> None:
    assert html_to_text(html) == "Visible"


def test_escape_sequences_hidden_in_entities_never_reach_the_terminal() -> None:
    text = html_to_text("<p>&#27;[31mred&#27;[0m &#27;]8;;http://evil.example&#7;link&#27;]8;;&#7; &#155;2J</p>")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "red" in text and "link" in text


def test_markup_like_text_stays_literal() -> None:
    assert html_to_text("<p>[bold]Not bold[/bold] [link=file:///etc/passwd]x[/link]</p>") == (
        "[bold]Not bold[/bold] [link=file:///etc/passwd]x[/link]"
    )


def test_a_whole_page_pasted_into_a_feed_keeps_what_follows_its_end() -> None:
    html = "<html><head><title>T</title></head><body><p>inside</p></body></html><p>after the page</p>"
    assert html_to_text(html) == "inside\n\nafter the page"


def test_an_encoding_declaration_in_a_fragment_is_no_error() -> None:
    assert html_to_text('<?xml version="1.0" encoding="iso-8859-1"?><p>Zürich</p>') == "Zürich"


def test_control_characters_and_bidi_overrides_are_removed() -> None:
    assert html_to_text("<p>a\x00b\x08c\u202ed</p>") == "abcd"
    assert safe_text("keep\ttabs\nand newlines\x7f") == "keep\ttabs\nand newlines"


def test_broken_html_still_gives_its_text() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>nested</p><p>next") == "unclosed bold nested\n\nnext"
    assert html_to_text("<<<>>> &bogus; &#xZZ; <p") == "<<<>>> &bogus; &#xZZ;"


def test_whitespace_is_normalised() -> None:
    assert normalize_whitespace("a  b\u00a0\u2009c \n  d\r\n\r\n\r\n\r\ne\u200b f") == "a b c\nd\n\ne f"
    assert normalize_whitespace("  \n\n  x  \n\n  ") == "x"
    assert safe_line("  a\n b\tc  ") == "a b c"
