"""Text out of HTML with the standard library's ``html.parser``.

Script, style and other non-content elements are dropped; block elements end a paragraph;
``<br>`` ends a line; whitespace inside a paragraph is collapsed; entities are decoded. The
``<title>`` is returned separately.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "caption",
    "body", "html",
})
CELLS = frozenset({"td", "th"})
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed",
                  "source", "track", "wbr", "param"})
_WHITESPACE = re.compile(r"\s+")
_BREAK = "\x00"  # a <br>: the only line break kept inside a paragraph


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.title_parts: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in SKIPPED and tag not in VOID:
            self._skip_depth += 1
        elif tag == "br":
            self._current.append(_BREAK)
        elif tag in BLOCKS:
            self._end_paragraph()
        elif tag in CELLS:
            self._current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._current.append(_BREAK)
        elif tag in BLOCKS:
            self._end_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in SKIPPED and tag not in VOID:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in BLOCKS:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._skip_depth == 0:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._end_paragraph()

    def _end_paragraph(self) -> None:
        raw = "".join(self._current)
        self._current = []
        lines = (_WHITESPACE.sub(" ", part).strip() for part in raw.split(_BREAK))
        text = "\n".join(line for line in lines if line)
        if text:
            self.paragraphs.append(text)


def html_to_text(markup: str) -> tuple[str | None, str]:
    """``(title, text)`` of an HTML document: paragraphs separated by a blank line."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    title = _WHITESPACE.sub(" ", " ".join(parser.title_parts)).strip() or None
    return title, "\n\n".join(parser.paragraphs)
