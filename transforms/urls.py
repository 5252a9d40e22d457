"""Canonical URLs and the stable article id derived from them.

Two links to the same article (tracking parameters, AMP/mobile variants, trailing slash,
fragment, default port, host case, IDN or punycode host, needless percent-encoding)
canonicalise to the same string, hence the same id. Parameters that can tell articles apart
(`id`, `src`, `from`, `share`, ...) are kept unless a value marks them as tracking."""
from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import idna
from courlan.clean import TRACKERS_RE as COURLAN_TRACKERS

# Beyond courlan's maintained list (utm_*, *clid, mc_*, xtor, campaign, ref, source, ...):
# parameters that name a click, a share or a rendering, never the article.
_TRACKING_PARAMS = re.compile(
    r"^(_ga|_gl|igshid|smid|smtyp|spm|ocid|cmpid|cmp|at_\w+|output|outputtype|amp|"
    r"__twitter_impression|wt_mc|wt\.mc_id|ns_\w+|s_cid|icid|share_token|shared|"
    r"maca)$",  # maca: DW's feed campaign ("?maca=en-rss-en-all-1573-rdf")
    re.IGNORECASE)
# courlan's pattern matches inside words (`\bga` also hits `gallery`, `cl?id` hits `cid`):
# these names identify content on news sites, so they are kept whatever courlan says.
_CONTENT_PARAMS = frozenset({
    "id", "cid", "aid", "eid", "nid", "sid", "vid", "pid", "p", "page", "article", "articleid",
    "story", "storyid", "gallery", "galleryid", "src", "from", "share", "source_id", "lang"})
# Parameters kept in general but tracking with these values (WeChat share links; a bare
# "?rss" flag marking a feed's link).
_TRACKING_VALUES = {"from": frozenset({"timeline", "singlemessage", "groupmessage"}),
                    "rss": frozenset({""}),
                    "share": frozenset({"1", "true", "twitter", "facebook", "email", "wechat",
                                        "whatsapp", "linkedin", "copy"})}
_PARAM_NAME = re.compile(r"[\w.\-\[\]]{1,64}")
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.", re.IGNORECASE)
_AMP_PATH = re.compile(r"(/amp)(?=/|$)|\.amp(?=\.html?$|$)", re.IGNORECASE)
# RFC 3986: characters a path may carry unencoded (unreserved, sub-delims, ':' '@', '/')
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def is_tracking_param(key: str, value: str = "") -> bool:
    name = key.lower()
    if not _PARAM_NAME.fullmatch(name):  # e.g. a bare embedded URL (`?http://...`): content
        return False
    if name in _TRACKING_VALUES and value.lower() in _TRACKING_VALUES[name]:
        return True
    if name in _CONTENT_PARAMS:
        return False
    return bool(_TRACKING_PARAMS.match(name) or COURLAN_TRACKERS.search(name))


def _host(hostname: str) -> str:
    """Lower-case ASCII host: IDN labels as punycode, IPv6 literals in brackets."""
    host = hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 literal (urlsplit removed its brackets)
        return f"[{host}]"
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"not a valid international host name: {hostname!r} ({exc})") from None
    host = _MOBILE_HOST.sub("", host)
    return host[4:] if host.startswith("www.") else host


def _path(path: str) -> str:
    """RFC 3986 percent-encoding normalisation: unreserved characters decoded, other escapes
    kept with upper-case hex, and characters a path may not carry (non-ASCII as UTF-8,
    spaces, ...) encoded."""
    def decode_unreserved(match):
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()
    return quote(_ESCAPE.sub(decode_unreserved, path), safe=_PATH_SAFE + "%")


def canonical_url(url: str) -> str:
    """Canonical form of an article URL; raises ValueError if it is not an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = _host(parts.hostname)
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    path = _path(re.sub(r"/{2,}", "/", path))
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not is_tracking_param(k, v))
    # https and http of one page are one article
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def article_id_for(canonical: str) -> str:
    """Stable 16-hex-digit id of a canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@functools.lru_cache(maxsize=256)
def _compiled_rule(rule: str):
    return re.compile(rule)


def item_id_of(rule: str, canonical_url: str) -> str:
    """The item id that `rule` (a feed's `item_id`: a regex with one group, searched in the
    canonical URL) captures, or "" (no rule, no match, an empty capture)."""
    if not rule or not canonical_url:
        return ""
    match = _compiled_rule(rule).search(canonical_url)
    return (match.group(1) or "") if match else ""
