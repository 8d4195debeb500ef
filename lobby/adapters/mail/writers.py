"""Write the invitation document out as plain text and as HTML.

The HTML is for every mail client, old and new: semantic tags, a `lang` on each language's
section, inline styles only, no images, dark text on white. Every value is escaped here.
"""

from __future__ import annotations

import re
from html import escape

from lobby.adapters.mail.document import (
    Block,
    Facts,
    Heading,
    Inline,
    Items,
    LinkBlock,
    Paragraph,
    Phone,
    Section,
)
from lobby.adapters.mail.wording import WORDING

_BODY = (
    "margin:0;padding:16px;background:#ffffff;color:#1a1a1a;"
    "font-family:Arial,Helvetica,sans-serif;font-size:17px;line-height:1.5"
)
_LINK = "color:#0b4f9c;text-decoration:underline"
_BUTTON = (
    "display:inline-block;padding:12px 20px;background:#0b4f9c;color:#ffffff;"
    "font-weight:bold;text-decoration:underline;border-radius:6px"
)
_RULE = "border:0;border-top:2px solid #1a1a1a;margin:32px 0"


def plain(sections: tuple[Section, ...]) -> str:
    """The text part: a pointer to the other language, then each language in turn."""
    pointer = WORDING[sections[0].language].other_below
    written = [_plain_section(section) for section in sections]
    return pointer + "\n\n" + "\n\n\n".join(written) + "\n"


def _plain_section(section: Section) -> str:
    title = f"{section.title}\n{'=' * len(section.title)}"
    return "\n\n".join([title, *(_plain_block(block) for block in section.blocks)])


def _plain_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{block.text}\n{'-' * len(block.text)}"
    if isinstance(block, Paragraph):
        return _plain_inline(block.parts)
    if isinstance(block, Items):
        marks = [f"{n}." if block.numbered else "-" for n in range(1, len(block.items) + 1)]
        return "\n".join(f"{m} {_plain_inline(i)}" for m, i in zip(marks, block.items, strict=True))
    if isinstance(block, Facts):
        return "\n".join(f"{label}: {value}" for label, value in block.rows)
    return f"{block.label}:\n{block.href}"


def _plain_inline(parts: tuple[Inline, ...]) -> str:
    return "".join(part.number if isinstance(part, Phone) else part for part in parts)


def html(sections: tuple[Section, ...], subject: str) -> str:
    """The HTML part: one `<section lang>` per language, the chosen one first."""
    first, other = sections[0].language.value, sections[1].language.value
    pointer = WORDING[sections[0].language].other_below
    body = f'<hr style="{_RULE}">\n'.join(_html_section(section) for section in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="{first}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{escape(subject)}</title>\n</head>\n<body style="{_BODY}">\n'
        f'<p lang="{other}"><a href="#{other}" style="{_LINK}">{escape(pointer)}</a></p>\n'
        f"{body}</body>\n</html>\n"
    )


def _html_section(section: Section) -> str:
    code = section.language.value
    blocks = "".join(_html_block(block) for block in section.blocks)
    return (
        f'<section lang="{code}" id="{code}" style="max-width:40em">\n'
        f'<h1 style="font-size:26px">{escape(section.title)}</h1>\n{blocks}</section>\n'
    )


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f'<h2 style="font-size:21px;margin-top:28px">{escape(block.text)}</h2>\n'
    if isinstance(block, Paragraph):
        inner = _html_inline(block.parts)
        return f"<p><strong>{inner}</strong></p>\n" if block.strong else f"<p>{inner}</p>\n"
    if isinstance(block, Items):
        tag = "ol" if block.numbered else "ul"
        items = "".join(f"<li>{_html_inline(item)}</li>\n" for item in block.items)
        return f"<{tag}>\n{items}</{tag}>\n"
    if isinstance(block, Facts):
        rows = "".join(
            f"<dt><strong>{escape(label)}</strong></dt>\n<dd>{escape(value)}</dd>\n"
            for label, value in block.rows
        )
        return f"<dl>\n{rows}</dl>\n"
    return _html_link(block)


def _html_link(block: LinkBlock) -> str:
    href = escape(block.href)
    return (
        f'<p><a href="{href}" style="{_BUTTON}">{escape(block.label)}</a></p>\n'
        f"<p>{escape(block.fallback)}<br>\n"
        f'<a href="{href}" style="{_LINK};word-break:break-all">{href}</a></p>\n'
    )


def _html_inline(parts: tuple[Inline, ...]) -> str:
    return "".join(_phone(part) if isinstance(part, Phone) else escape(part) for part in parts)


def _phone(phone: Phone) -> str:
    """A tap-to-call link where the number has digits to dial."""
    digits = re.sub(r"\D", "", phone.number)
    if not digits:
        return escape(phone.number)
    dial = ("+" if phone.number.lstrip().startswith("+") else "") + digits
    return f'<a href="tel:{dial}" style="{_LINK}">{escape(phone.number)}</a>'
