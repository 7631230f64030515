"""URL normalisation for the ``link`` and ``domain`` activity layers (never fetches).

``normalize_url`` lowercases scheme and host, drops the default port, a trailing ``.`` of
the host, the fragment and a trailing ``/``, removes tracking parameters, sorts the rest
of the query (stable, by name) and writes percent-escapes one way: unreserved ASCII and
non-ASCII text decoded (``%D8%A7`` → ``ا``), everything else upper-case ``%XX``. Path case
and ``www.`` are kept (``url_domain`` drops ``www.``). A URL without a scheme that starts
with a host name gets ``https://``. Anything that cannot be parsed comes back stripped.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from urllib.parse import unquote_plus

from separ.text.normalize import map_distinct

#: Query parameters removed from every URL (compared case-insensitively).
TRACKING_PARAMS: frozenset[str] = frozenset({
    # ad click ids
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
    "twclid", "ttclid", "li_fat_id", "rb_clickid", "wickedid",
    # share / e-mail / marketing-automation tracking
    "igshid", "igsh", "mibextid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hssc",
    "__hstc", "__hsfp", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "vero_conv", "s_cid", "_ga", "_gl", "ref_src", "ref_url",
})  # fmt: skip

#: Query parameters removed when their name starts with one of these.
TRACKING_PARAM_PREFIXES: tuple[str, ...] = ("utm_", "mtm_", "pk_", "hsa_", "__cft__", "__tn__")

#: Parameters that only track on some sites; a key matches the host and its subdomains.
HOST_TRACKING_PARAMS: Mapping[str, frozenset[str]] = MappingProxyType({
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "youtube.com": frozenset({"si", "feature", "pp", "ab_channel"}),
    "youtu.be": frozenset({"si", "feature"}),
    "spotify.com": frozenset({"si", "nd"}),
    "instagram.com": frozenset({"img_index"}),
    "facebook.com": frozenset({"rdid", "sfnsn"}),
    "tiktok.com": frozenset({"_r", "_t", "is_from_webapp", "sender_device", "sender_web_id",
                             "is_copy_url", "web_id"}),
    "linkedin.com": frozenset({"trk", "trackingid", "lipi"}),
})  # fmt: skip

_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_BARE_HOST = re.compile(r"[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}\.?(?::\d+)?(?:[/?#]|$)")
_SPACE = re.compile(r"\s")
_HOST = re.compile(r"[\w.\-]+|\[[0-9a-f:.]+\]")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_NO_EXTRA: frozenset[str] = frozenset()


def _percent(m: re.Match[str]) -> str:
    """One way to write a run of percent-escapes: readable where that is safe."""
    raw = m.group()
    try:
        text = bytes.fromhex(raw.replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        return raw.upper()
    out = []
    for ch in text:
        if (
            ch in _UNRESERVED
            or ch == "\u200c"
            or (not ch.isascii() and ch.isprintable() and not ch.isspace())
        ):
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
    return "".join(out)


def _is_tracking(name: str, host_params: frozenset[str], extra: frozenset[str]) -> bool:
    key = (unquote_plus(name) if "%" in name or "+" in name else name).lower()
    return (
        key in TRACKING_PARAMS
        or key in host_params
        or key in extra
        or key.startswith(TRACKING_PARAM_PREFIXES)
    )


@lru_cache(maxsize=1 << 12)
def _host_params(host: str) -> frozenset[str]:
    labels = host.split(".")
    found: frozenset[str] = _NO_EXTRA
    for i in range(len(labels) - 1):
        params = HOST_TRACKING_PARAMS.get(".".join(labels[i:]))
        if params:
            found = found | params
    return found


@lru_cache(maxsize=1 << 16)
def _split(url: str, extra: frozenset[str]) -> tuple[str, str]:
    """(normalised URL, host) or (stripped input, "") when it is not a URL we can parse.

    Parsed by hand (scheme ``://`` netloc, then ``/`` path, ``?`` query, ``#`` fragment as
    ``urllib.parse.urlsplit`` does): normalising takes half the time it did with it.
    """
    u = url.strip()
    if not u or _SPACE.search(u):
        return u, ""
    m = _SCHEME.match(u)
    if m is not None:
        scheme, rest = m[1].lower(), u[m.end() :]
    elif _BARE_HOST.match(u):
        scheme, rest = "https", u
    else:
        return u, ""
    rest, _, query = rest.partition("#")[0].partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, bracket, port = hostport.partition("]")
        host += bracket
        if not bracket or (port and not port.startswith(":")):
            return u, ""
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
    host = host.lower().rstrip(".")
    if not _HOST.fullmatch(host) or not (port.isdigit() or not port):
        return u, ""
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    path = slash + path
    if "%" in path:
        path = _PERCENT.sub(_percent, path)
    out = f"{scheme}://{userinfo}{at}{host}{':' if port else ''}{port}{path.rstrip('/')}"
    if query:
        host_params = _host_params(host.removeprefix("www."))
        params = [
            _PERCENT.sub(_percent, p) if "%" in p else p
            for p in query.split("&")
            if p and not _is_tracking(p.partition("=")[0], host_params, extra)
        ]
        if params:
            params.sort(key=lambda p: p.partition("=")[0])
            out += "?" + "&".join(params)
    return out, host


def normalize_url(url: str, *, extra_tracking: Iterable[str] = ()) -> str:
    """The canonical form of ``url`` (see the module docstring); never raises.

    ``extra_tracking`` names more query parameters to drop, on top of
    ``TRACKING_PARAMS``/``TRACKING_PARAM_PREFIXES``/``HOST_TRACKING_PARAMS`` (operators'
    own list, from their settings).

    >>> normalize_url("HTTPS://WWW.Example.COM:443/Path/?utm_source=x&b=2&a=1#top")
    'https://www.example.com/Path?a=1&b=2'
    >>> normalize_url("https://x.com/user/status/1?s=20&t=abc")
    'https://x.com/user/status/1'
    """
    extra = frozenset(e.lower() for e in extra_tracking) if extra_tracking else _NO_EXTRA
    return _split(url, extra)[0]


def url_domain(url: str) -> str:
    """The host of ``url``, lower-case, without ``www.`` and port; ``""`` if it has none.

    >>> url_domain("https://WWW.BBC.co.uk:8080/persian")
    'bbc.co.uk'
    """
    return url_and_domain(url)[1]


def url_and_domain(url: str) -> tuple[str, str]:
    """``(normalize_url(url), url_domain(url))`` from one parse, ``("", "")`` when ``url``
    has no domain (it is not a web address).

    >>> url_and_domain("https://www.example.org/a/?utm_medium=x")
    ('https://www.example.org/a', 'example.org')
    """
    normal, host = _split(url, _NO_EXTRA)
    return (normal, host.removeprefix("www.")) if host else ("", "")


def normalize_urls(
    values: Iterable[str | None], *, extra_tracking: Iterable[str] = ()
) -> list[str]:
    """``normalize_url`` over many values (each distinct value computed once)."""
    extra = frozenset(e.lower() for e in extra_tracking)
    return map_distinct(lambda u: _split(u, extra)[0], values)


def url_domains(values: Iterable[str | None]) -> list[str]:
    """``url_domain`` over many values (each distinct value computed once)."""
    return map_distinct(url_domain, values)
