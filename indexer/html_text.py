"""Extract plain text, title and metadata from HTML with a real parser (selectolax)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Page furniture that is never part of a release.
BOILERPLATE = "nav, header, footer, aside, script, style, noscript, form, template, iframe, svg, button"
BLOCKS = "p, li, h2, h3, h4, h5, h6, blockquote, pre, td, th, dd, dt, figcaption"
BLOCK_TAGS = frozenset(tag.strip() for tag in BLOCKS.split(","))
MAIN_CONTAINERS = ("article", "main", "[role=main]", "#content", ".content", "body")


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML fragment, paragraphs separated by blank lines."""
    tree = LexborHTMLParser(f"<body>{html}</body>")
    body = tree.body
    return container_text(body) if body is not None else ""


def container_text(node: LexborNode) -> str:
    """Return the text of ``node`` with boilerplate removed, one paragraph per block."""
    for junk in node.css(BOILERPLATE):
        junk.decompose()
    outermost = [block for block in node.css(BLOCKS) if not _inside_block(block, node)]
    paragraphs = [text for text in (" ".join(block.text(deep=True).split()) for block in outermost) if text]
    if not paragraphs:
        return " ".join(node.text(deep=True).split())
    return "\n\n".join(paragraphs)


def _inside_block(block: LexborNode, container: LexborNode) -> bool:
    parent = block.parent
    while parent is not None and parent.mem_id != container.mem_id:
        if parent.tag in BLOCK_TAGS:
            return True
        parent = parent.parent
    return False


def meta_content(tree: LexborHTMLParser, *selectors: str) -> str | None:
    """Return the first non-empty ``content`` of the meta tags matched by ``selectors``."""
    for selector in selectors:
        for node in tree.css(selector):
            value = (node.attributes.get("content") or node.attributes.get("datetime") or "").strip()
            if value:
                return value
    return None


def main_container(tree: LexborHTMLParser) -> LexborNode | None:
    """Return the element most likely to hold the release itself."""
    for selector in MAIN_CONTAINERS:
        node = tree.css_first(selector)
        if node is not None:
            return node
    return None
