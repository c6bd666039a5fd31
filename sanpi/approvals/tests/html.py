"""Checks every rendered page should pass: a short plain-text <title>, unique element ids."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

TITLE_MAX = 120  # characters: "审批统计 · 三批 开发区项目平台" and the longest item names fit


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.titles: list[str] = []
        self.tags_in_title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.append(value or "")
        if self._in_title:
            self.tags_in_title.append(tag)
        if tag == "title":
            self._in_title = True
            self.titles.append("")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif self._in_title:
            self.tags_in_title.append(f"/{tag}")

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data


def page_problems(html: str) -> list[str]:
    """What is wrong with a page's <title> and ids (empty when nothing is)."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    problems = []
    if len(parser.titles) != 1:
        problems.append(f"{len(parser.titles)} <title> elements")
    for title in parser.titles:
        text = " ".join(title.split())
        if not text:
            problems.append("empty <title>")
        if len(text) > TITLE_MAX or "\n" in title.strip():
            problems.append(f"<title> is not a short line: {len(text)} characters, {text[:80]!r}…")
    if parser.tags_in_title:
        problems.append(f"markup inside <title>: {parser.tags_in_title[:5]}")
    duplicated = sorted(i for i, n in Counter(parser.ids).items() if n > 1)
    if duplicated:
        problems.append(f"duplicated ids: {duplicated}")
    if "" in parser.ids:
        problems.append("empty id")
    return problems


def assert_sane_page(html: str) -> None:
    problems = page_problems(html)
    assert not problems, "; ".join(problems)
