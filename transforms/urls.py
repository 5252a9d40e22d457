"""Canonical URLs and the stable article id derived from them.

Two links to the same article (tracking parameters, AMP/mobile variants, trailing slash,
fragment, default port, host case) canonicalise to the same string, hence the same id."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the article itself.
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|ref|ref_src|ref_url|cmpid|cmp|xtor|at_medium|at_campaign|at_\w+|"
    r"ocid|smid|smtyp|spm|share|shared|from|src|output|outputtype|amp|__twitter_impression)$",
    re.IGNORECASE)
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.", re.IGNORECASE)
_AMP_PATH = re.compile(r"(/amp)(?=/|$)|\.amp(?=\.html?$|$)", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Canonical form of an article URL; raises ValueError if it is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    host = _MOBILE_HOST.sub("", host)
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING_PARAMS.match(k))
    # https and http of one page are one article
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def article_id_for(canonical: str) -> str:
    """Stable 16-hex-digit id of a canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
