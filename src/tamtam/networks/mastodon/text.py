"""Mastodon statuses come as HTML (`content`); the inbox, reconcile and listening want plain text."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "span" and "invisible" in classes:
            self._hidden += 1  # Mastodon hides the scheme and tail of long links in such spans
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "span" and self._hidden:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text a person reads: paragraphs and line breaks kept, tags dropped, entities decoded."""
    if "<" not in html:
        return unescape(html).strip()
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
