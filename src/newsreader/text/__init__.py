"""Text from the web: made safe for a terminal, Markdown read as plain text, bodies decoded."""

from newsreader.text.sanitize import html_to_text, normalize_whitespace, safe_line, safe_text

__all__ = ["html_to_text", "normalize_whitespace", "safe_line", "safe_text"]
