"""Markdown for postmortems, rendered safely.

markdown-it-py (CommonMark, tables, strikethrough) turns the text into HTML, then nh3 (the
Rust ``ammonia`` sanitiser) keeps only an allow-list of tags and attributes: no script or
style, no event handlers, no ``javascript:`` / ``data:`` URLs, and every link gets
``rel="noopener noreferrer nofollow"``. Raw HTML in the text is allowed through the parser
so that harmless tags (``<kbd>``, ``<details>``) work, which makes nh3 the one gate that
decides what reaches the page; it also balances tags, so a section cannot break the page
around it.

No image is ever loaded from elsewhere (a remote image in a postmortem is a tracking pixel:
it tells its host who read the page, and when). Markdown images (``![alt](url)``) render as a
plain link to the image, named by its alt text; raw ``<img>`` tags are dropped by nh3.
"""

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_INPUT = 100_000

_md = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])


def _image_as_link(self, tokens, idx, options, env) -> str:
    """``![alt](url)`` as a link to the image, never the image itself."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    return (
        f'<a href="{escape(src)}" title="Image, not shown: open it from here">'
        f"{escape(alt or src or 'image')}</a>"
    )


_md.add_render_rule("image", _image_as_link)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """The text as sanitised HTML, safe to put in a page."""
    if not text:
        return mark_safe("")
    return mark_safe(sanitize_html(_md.render(text[:MAX_INPUT])))  # noqa: S308 (sanitised)
