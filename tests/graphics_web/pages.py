"""A small HTML reader for the page tests: elements with their attributes and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"img", "meta", "link", "input", "br", "hr", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if child.tag == tag and all(child.attrs.get(k) == v for k, v in attrs.items()):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def with_attr(self, name: str) -> list[Element]:
        found = []
        for child in self.children:
            if name in child.attrs:
                found.append(child)
            found.extend(child.with_attr(name))
        return found

    def by_id(self, value: str) -> Element | None:
        for child in self.children:
            if child.attrs.get("id") == value:
                return child
            hit = child.by_id(value)
            if hit is not None:
                return hit
        return None

    @property
    def all_text(self) -> str:
        return " ".join((self.text + " " + " ".join(c.all_text for c in self.children)).split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    return builder.root
