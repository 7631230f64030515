"""Persian-aware text normalisation and fingerprints for the activity layers.

One place decides when two posts say "the same thing", two hashtags are "the same tag"
and two links are "the same link":

- ``normalize_text``: readable text (Arabic/Persian letters unified, digits ASCII,
  diacritics, kashida, invisible and bidi characters gone, URLs → ``<url>``, mentions →
  ``@user``, Latin look-alikes folded);
- ``match_key`` / ``text_fingerprint``: the aggressive fold for copy-paste detection
  (object of the ``post`` verb);
- ``normalize_hashtag``, ``normalize_url``, ``url_domain``: objects of the ``hashtag``,
  ``link`` and ``domain`` verbs;
- ``extract_hashtags``, ``extract_mentions``, ``extract_urls``: for posts that arrive
  without those columns.

Every function takes ``str`` and never raises on one; the ``*_many``-style batch forms
take an iterable (``None`` counts as ``""``) and compute each distinct value once.
Pure Python (``str.translate`` tables and precompiled regexes); nothing is fetched.
See ``docs/text.md`` for the tables, the tracking-parameter list and measured speeds.
"""

from separ.text.extract import extract_hashtags, extract_mentions, extract_urls
from separ.text.normalize import (
    MENTION_TOKEN,
    URL_TOKEN,
    match_key,
    match_keys,
    normalize_hashtag,
    normalize_hashtags,
    normalize_many,
    normalize_text,
    text_fingerprint,
    text_fingerprints,
)
from separ.text.urls import (
    HOST_TRACKING_PARAMS,
    TRACKING_PARAM_PREFIXES,
    TRACKING_PARAMS,
    normalize_url,
    normalize_urls,
    url_and_domain,
    url_domain,
    url_domains,
)

#: Version of every fold in this package. Stored next to fingerprints and hashtag/URL
#: objects (detector provenance); bump it whenever any output of this package changes.
FOLD_VERSION = "2"

__all__ = [
    "FOLD_VERSION",
    "HOST_TRACKING_PARAMS",
    "MENTION_TOKEN",
    "TRACKING_PARAMS",
    "TRACKING_PARAM_PREFIXES",
    "URL_TOKEN",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "match_key",
    "match_keys",
    "normalize_hashtag",
    "normalize_hashtags",
    "normalize_many",
    "normalize_text",
    "normalize_url",
    "normalize_urls",
    "text_fingerprint",
    "text_fingerprints",
    "url_and_domain",
    "url_domain",
    "url_domains",
]
