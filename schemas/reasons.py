"""The closed set of stages and rejection reasons. A `rejected` row always uses one of these."""
from __future__ import annotations

import enum


class Stage(str, enum.Enum):
    FEEDS = "feeds"
    MANIFEST = "manifest"
    WARC = "warc"            # backfill from web archives (transforms/warc.py)
    FETCH = "fetch"
    EXTRACT = "extract"
    LANGUAGE = "language"
    RELEVANCE = "relevance"
    DEDUP = "dedup"
    ENTITIES = "entities"


class Reason(str, enum.Enum):
    # feeds
    FEED_UNREACHABLE = "feed_unreachable"        # connection error / timeout fetching the feed
    FEED_HTTP_ERROR = "feed_http_error"          # non-2xx status for the feed
    FEED_UNPARSEABLE = "feed_unparseable"        # not a feed, or broken beyond recovery
    FEED_EMPTY = "feed_empty"                    # parsed, but no entries
    ENTRY_NO_LINK = "entry_no_link"              # entry without a usable http(s) link
    # no longer written (rows of earlier versions keep it): an item listed twice in one feed
    # document is one entry, the repeat counted (summary: entries.repeated), not rejected
    DUPLICATE_ENTRY = "duplicate_entry"
    # manifest (backfill)
    MANIFEST_BAD_LINE = "manifest_bad_line"      # not JSON, or missing/invalid fields
    MANIFEST_FILE_UNREADABLE = "manifest_file_unreadable"
    MANIFEST_FILE_REFUSED = "manifest_file_refused"  # outside the manifest's folder, not a file
    # web archives (backfill --warc)
    WARC_NOT_PAGE = "warc_not_page"              # archived status not 200, a 304 revisit
    WARC_UNREADABLE = "warc_unreadable"          # truncated/corrupt record or gzip member
    WARC_ORIGINAL_MISSING = "warc_original_missing"  # a revisit whose original is not in the input
    # fetch
    HTTP_ERROR = "http_error"                    # 4xx/5xx
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"                      # body over the size cap
    NOT_HTML = "not_html"                        # content type is not HTML/XHTML, or body not text
    BAD_URL = "bad_url"
    BLOCKED_ADDRESS = "blocked_address"          # host is/resolves to a non-public address
    ROBOTS_DISALLOWED = "robots_disallowed"      # robots.txt forbids the page
    ROBOTS_UNAVAILABLE = "robots_unavailable"    # robots.txt 5xx/unreachable: deferred (transient)
    BAD_ENCODING = "bad_encoding"                # invalid gzip/deflate body
    # extract
    EXTRACTION_FAILED = "extraction_failed"      # trafilatura raised or returned nothing
    TOO_SHORT = "too_short"                      # extracted text under the minimum length
    # relevance
    NOT_RELEVANT = "not_relevant"
    # anything a stage did not foresee: the stage caught it and said so
    INTERNAL_ERROR = "internal_error"


REASON_DESCRIPTIONS = {
    Reason.FEED_UNREACHABLE: "the feed could not be fetched (DNS, connection, timeout)",
    Reason.FEED_HTTP_ERROR: "the feed answered with a non-2xx HTTP status",
    Reason.FEED_UNPARSEABLE: "the feed body is not a parseable RSS/Atom document",
    Reason.FEED_EMPTY: "the feed parsed but has no entries",
    Reason.ENTRY_NO_LINK: "the entry has no http(s) link to an article",
    Reason.DUPLICATE_ENTRY: "the same entry id appeared twice in one poll (written by versions "
                            "before 2026-12-06 only: a repeat is now counted, not rejected)",
    Reason.MANIFEST_BAD_LINE: "a backfill manifest line is not valid JSON or lacks required fields",
    Reason.MANIFEST_FILE_UNREADABLE: "the html_file named by a manifest line cannot be read, or is "
                                     "not text (binary data)",
    Reason.MANIFEST_FILE_REFUSED: "the html_file is outside the manifest's folder (or "
                                  "--manifest-root), or not a regular file",
    Reason.WARC_NOT_PAGE: "a web archive's capture holds no page: a response or revisit whose "
                          "archived HTTP status is not 200 (http_status: a redirect, a 4xx, a "
                          "5xx; final, the archive does not change), a server-not-modified "
                          "revisit (the server answered 304 and sent no page), or a revisit of "
                          "a profile other than identical-payload-digest",
    Reason.WARC_ORIGINAL_MISSING: "a revisit record (the crawler found the payload identical to "
                                  "an earlier capture and did not store it again) whose original "
                                  "response is in none of the backfill's WARC files, or that "
                                  "names none: the error names the original; give the file "
                                  "that holds it to the same run",
    Reason.WARC_UNREADABLE: "a WARC file, record or gzip member that cannot be read: truncated, "
                            "corrupt, cut by the crawler (WARC-Truncated), without a target URI "
                            "or HTTP headers, or a file that "
                            "cannot be opened (the error names the file and offset)",
    Reason.HTTP_ERROR: "the article page answered with a 4xx/5xx status",
    Reason.TIMEOUT: "connect or read timeout fetching the page",
    Reason.CONNECTION_ERROR: "connection refused/reset or DNS failure fetching the page",
    Reason.TOO_MANY_REDIRECTS: "more redirects than allowed, or a redirect loop",
    Reason.TOO_LARGE: "the page body exceeded the size cap",
    Reason.NOT_HTML: "the page is not HTML/XHTML (PDF, image, ...), or its body is binary data "
                     "whatever its content type says",
    Reason.BAD_URL: "the URL is malformed or not http(s)",
    Reason.BLOCKED_ADDRESS: "the host is or resolves to a loopback/private/link-local/... address",
    Reason.ROBOTS_DISALLOWED: "the site's robots.txt disallows fetching the page",
    Reason.ROBOTS_UNAVAILABLE: ("the site's robots.txt answered 5xx or could not be reached: "
                                "the page is not fetched for now (RFC 9309), a transient failure"),
    Reason.BAD_ENCODING: "the body's Content-Encoding (gzip/deflate) is invalid",
    Reason.EXTRACTION_FAILED: "trafilatura found no article text",
    Reason.TOO_SHORT: "the extracted text is shorter than the minimum",
    Reason.NOT_RELEVANT: "the article is not about the followed topic",
    Reason.INTERNAL_ERROR: "an unexpected error inside a stage (see the error column)",
}


# ---------------------------------------------------------------- retrying on later runs
# A page that failed for a reason that says "not now" rather than "never" is fetched again
# by later runs (each run's fetch has already retried it with backoff within the run), up to
# MAX_ATTEMPTS runs in all; then its last rejection is final. Every other rejection is final
# at once. transforms/history.py applies this to what earlier runs wrote.
MAX_ATTEMPTS = 3
# A later run fetches the page again no sooner than RETRY_WAIT seconds after the last failure
# (--retry_wait), four times that after the second: with the default, a site down for up to
# about an hour and a quarter loses nothing, however often `run --every` polls.
RETRY_WAIT = 900.0
RETRY_BACKOFF = 4

# The one definition of "transient", used twice: by the fetch, which retries such a failure
# within the run (transforms/http.py: FetchError.transient, with backoff), and by later runs,
# which fetch the page again (transforms/history.py). A failure is transient when it says
# "not now" rather than "never":
TRANSIENT_REASONS = frozenset({Reason.TIMEOUT.value, Reason.CONNECTION_ERROR.value,
                               Reason.ROBOTS_UNAVAILABLE.value})
# The statuses of a server that is busy, restarting, rate-limiting or timed out (408 Request
# Timeout, 425 Too Early, 429, 500, 502, 503, 504, and the CDN gateway errors 520-524 of an
# origin that is down or slow), not of a missing page or of a request the server will never
# serve: 501 Not Implemented, 505 HTTP Version Not Supported, 506-511 (configuration, loops,
# storage, a captive portal), 525/526 (the origin's TLS) and every 4xx but 408, 425, 429 are
# final at once.
TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504,
                                     520, 521, 522, 523, 524})


def retry_wait_after(failures: int, wait: float = RETRY_WAIT) -> float:
    """Seconds after the last of `failures` transient failures before the next attempt."""
    return wait * RETRY_BACKOFF ** max(failures - 1, 0)


def retry_span(wait: float = RETRY_WAIT) -> float:
    """Seconds from a page's first transient failure to its last attempt: the sum of the waits
    between MAX_ATTEMPTS fetches (5 x `wait` with the defaults). A page retried from the
    history waits no longer: its remaining waits are the later of these."""
    return sum(retry_wait_after(failures, wait) for failures in range(1, MAX_ATTEMPTS))


def is_transient(reason, http_status=None) -> bool:
    """Whether a failure with this reason (and HTTP status) is worth another attempt: the
    fetch's retries within a run and the later runs' retries alike."""
    reason = getattr(reason, "value", reason)
    if reason in TRANSIENT_REASONS:
        return True
    return reason == Reason.HTTP_ERROR.value and http_status in TRANSIENT_HTTP_STATUSES


def retry_in_job(reason, http_status, attempt: int) -> bool:
    """Within a running streaming job (pipeline/graph.py: build_streaming), whether a page
    rejected on its `attempt`-th fetch is fetched again by the job, after
    `retry_wait_after(attempt)`: the rule of later runs (`is_transient`, MAX_ATTEMPTS in all),
    with the job's fetches counting as the runs do. The count goes on from the history: a
    page earlier runs or jobs rejected transiently N times (`History.failed_runs`) is on its
    attempt N + 1 at the job's first fetch of it."""
    return is_transient(reason, http_status) and attempt < MAX_ATTEMPTS
