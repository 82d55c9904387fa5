"""The Markdown renderer against hostile input: whatever the text, the HTML that reaches the
page has no script, no event handler and no script-bearing URL."""

from html.parser import HTMLParser

import pytest

from incidents.postmortems.markdown import ALLOWED_TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '<p onmouseover="alert(1)">hover</p>',
    "<details open ontoggle=alert(1)><summary>s</summary></details>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<div>unclosed <b>bold",
    "</div></section></main><script>alert(1)</script>",
    "<table><tr><td onclick=alert(1)>x</td></tr></table>",
    '<a href="https://ok.example" target="_top" formaction="javascript:alert(1)">x</a>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<video><source onerror=alert(1)></video>",
    "<body onload=alert(1)>",
    "\x00<script>alert(1)</script>",
]

DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "meta",
    "base",
    "link",
    "video",
    "audio",
    "source",
    "body",
    "html",
    "noscript",
    "textarea",
}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str:
    cleaned = "".join(ch for ch in url if ch > " ").lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned.split("/", 1)[0] else ""


def assert_safe(html: str) -> None:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in DANGEROUS_TAGS, (tag, html)
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name not in {"style", "formaction", "action", "srcdoc"}, (tag, name, html)
            if name in {"href", "src"}:
                assert _scheme(value or "") in {"", "http", "https", "mailto"}, (value, html)
    # Text that merely mentions a script is escaped (``&lt;script``), never a tag.
    assert "<script" not in html.lower(), html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_is_neutralised(text):
    assert_safe(str(render_markdown(text)))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_inside_lists_and_quotes(text):
    assert_safe(str(render_markdown(f"- item\n\n> {text}\n\n1. {text}\n")))


def test_ordinary_markdown_still_renders():
    html = str(
        render_markdown(
            "# Title\n\nSome **bold**, *em*, `code` and [a link](https://example.com/x).\n\n"
            "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~"
        )
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<li>one</li>" in html and "<td>1</td>" in html and "<s>gone</s>" in html


def test_text_that_looks_like_html_is_kept_as_text_in_code():
    assert "&lt;script&gt;" in str(render_markdown("`<script>`"))


def test_unbalanced_html_cannot_break_out_of_its_container():
    html = str(render_markdown("<div><b>open\n\n</section></main>"))
    parser = _Collect()
    parser.feed(html)
    assert "</main>" not in html and "</section>" not in html
    assert html.count("<div>") == html.count("</div>")


def test_rendered_sections_and_comments_are_sanitised_on_the_pages(client, started, commander):
    from incidents.postmortems import services, workflow

    section = started.sections.first()
    services.section_save(
        section=section,
        base_version=1,
        body="Hi <img src=x onerror=alert(1)> [x](javascript:alert(2))",
        by=commander,
    )
    workflow.comment_add(postmortem=started, body="<script>alert(3)</script>ok", by=commander)
    client.force_login(commander)
    page = client.get(started.get_absolute_url()).content.decode()
    assert "onerror" not in page and "alert(3)" not in page
    assert 'href="javascript' not in page


# ------------------------------------------------------------------ no remote images (issue 15)
PIXEL = "https://evil.example/pixel.gif?reader=1"
IMAGES = [
    f"![our graph]({PIXEL})",
    f'![our graph]({PIXEL} "Title")',
    f"![our graph][g]\n\n[g]: {PIXEL}",
    f"[![our graph]({PIXEL})](https://example.com/dashboard)",
    f'<img src="{PIXEL}" alt="our graph">',
    f'<img srcset="{PIXEL} 2x">',
    f'<picture><source srcset="{PIXEL}"><img src="{PIXEL}"></picture>',
    f'<p style="background:url({PIXEL})">x</p>',
    f'<video poster="{PIXEL}"></video>',
    f"| a |\n|---|\n| ![our graph]({PIXEL}) |",
]


def _loaded_urls(html: str) -> list[str]:
    """Every URL the browser would fetch while rendering (not links it would follow)."""
    parser = _Collect()
    parser.feed(html)
    return [
        value
        for tag, attrs in parser.tags
        for name, value in attrs.items()
        if name in {"src", "srcset", "poster", "style", "background", "data"}
        or (tag == "link" and name == "href")
    ]


@pytest.mark.parametrize("text", IMAGES)
def test_remote_images_are_never_loaded(text):
    html = str(render_markdown(text))
    assert "<img" not in html and _loaded_urls(html) == []
    assert_safe(html)


def test_a_markdown_image_becomes_a_link_named_by_its_alt_text():
    html = str(render_markdown(f"Before: ![our graph]({PIXEL}) and ![](https://x.example/a.png)"))
    assert f'<a href="{PIXEL.replace("&", "&amp;")}"' in html and ">our graph</a>" in html
    assert ">https://x.example/a.png</a>" in html  # no alt text: the address names it
    assert "Image, not shown" in html


def test_the_postmortem_page_loads_no_remote_image(client, started, commander):
    from incidents.postmortems import services, workflow

    section = started.sections.first()
    services.section_save(
        section=section, base_version=1, body=f"Graph: ![our graph]({PIXEL})", by=commander
    )
    workflow.comment_add(postmortem=started, body=f'<img src="{PIXEL}">', by=commander)
    client.force_login(commander)
    page = client.get(started.get_absolute_url()).content.decode()
    assert not any("evil.example" in url for url in _loaded_urls(page))
    assert ">our graph</a>" in page
