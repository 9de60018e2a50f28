"""UTM tagging of links, so that analytics can tell which post brought a visit.

    add_utm("https://shop.fr/p?id=3#top", "linkedin", "social", "spring sale")
    → "https://shop.fr/p?id=3&utm_source=linkedin&utm_medium=social&utm_campaign=spring%20sale#top"

The URL is edited as a string, never parsed and rebuilt: what the user wrote (parameter order, their
encoding, an internationalised host, an empty `?`, the fragment) stays byte for byte, and only the
missing `utm_*` parameters are appended before the fragment. A `utm_*` the user already put in the URL
wins: it is neither overwritten nor duplicated, which also makes tagging idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from tamtam.nlp.text import find_urls

__all__ = ["UTM_KEYS", "add_utm", "apply_utm_to_text", "utm_params_of"]

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def _encode(value: str) -> str:
    # Decoding first makes an already-encoded value ("spring%20sale") come out the same instead of
    # double-encoded ("spring%2520sale"); a lone "%" that is no escape stays literal and becomes %25.
    return quote(unquote(value.strip()), safe="-._~")


def _names(query: str) -> set[str]:
    return {unquote_plus(part.split("=", 1)[0]).strip().lower() for part in query.split("&") if part}


def _is_web_url(url: str) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 literal
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def add_utm(
    url: str,
    source: str,
    medium: str,
    campaign: str,
    content: str = "",
    term: str = "",
) -> str:
    """`url` with the given UTM parameters added where the URL does not set them already.

    Empty values are not added. Non-http(s) URLs (mailto:, tel:, relative paths…) come back unchanged.
    """
    if not _is_web_url(url):
        return url
    base, has_fragment, fragment = url.partition("#")
    path, _question_mark, query = base.partition("?")
    present = _names(query)
    wanted = zip(UTM_KEYS, (source, medium, campaign, content, term), strict=True)
    additions = [f"{key}={_encode(value)}" for key, value in wanted if value.strip() and key not in present]
    if not additions:
        return url
    separator = "&" if query and not query.endswith("&") else ""
    tagged = f"{path}?{query}{separator}{'&'.join(additions)}"
    return f"{tagged}#{fragment}" if has_fragment else tagged


def utm_params_of(params: Mapping[str, str]) -> dict[str, str]:
    """{"source": …, "medium": …} from a mapping keyed `source` or `utm_source` (a Post's fields)."""
    out: dict[str, str] = {}
    for key in UTM_KEYS:
        short = key.removeprefix("utm_")
        value = params.get(short, params.get(key, ""))
        out[short] = value or ""
    return out


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def apply_utm_to_text(text: str, params: Mapping[str, str], *, domains: Iterable[str] | None = None) -> str:
    """`text` with every http(s) link tagged by `add_utm(link, **params)`.

    `params` is keyed source/medium/campaign/content/term (with or without `utm_`). With `domains`,
    only links to those domains (and their subdomains) are tagged — a brand tags its own site, not
    the partner article it shares. Trailing punctuation is not taken for part of a link.
    """
    values = utm_params_of(params)
    wanted = {d.lower().removeprefix("www.") for d in domains} if domains is not None else None
    out: list[str] = []
    position = 0
    for span in find_urls(text):
        out.append(text[position : span.start])
        url = span.text
        if wanted is None or any(_host(url) == d or _host(url).endswith("." + d) for d in wanted):
            url = add_utm(url, **values)
        out.append(url)
        position = span.end
    out.append(text[position:])
    return "".join(out)
