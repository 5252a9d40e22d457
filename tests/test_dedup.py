"""Dedup: normalisation, fingerprints, decisions on the seeds, and the batch Beam transforms
agreeing with the in-memory reference."""
import dataclasses
import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from cfnews.schemas import Article, Duplicate, FeedEntry
from cfnews.transforms.dedup import (DedupEntriesByUrl, DeduplicateArticles, DedupParams, Member,
                              bucket_hits, compared_count, decode_member, dedup_in_memory,
                              encode_member, prepare, similarity, url_duplicates)
from cfnews.transforms.fingerprint import (CAP, content_lines, fingerprint, level_limit, normalise,
                                   shingle_key, tokens)

T0 = dt.datetime(2025, 12, 4, 8, tzinfo=dt.timezone.utc)


def article(aid: str, text: str, hours: float = 0, outlet: str = "") -> Article:
    return Article(article_id=aid, url=f"https://e.com/{aid}", canonical_url=f"https://e.com/{aid}",
                   outlet=outlet or f"outlet-{aid}", feed_url="", entry_id=aid, title=aid, text=text,
                   discovered_at=T0, published_at=T0 + dt.timedelta(hours=hours))


def seed_articles(seeds):
    # 004 is published after 002, so 002 is the first copy
    return [article(f"s{k}", seeds[k], hours=i) for i, k in enumerate(sorted(seeds))]


def words(start: int, stop: int) -> str:
    """Distinct sentences of made-up words: a text whose overlaps we control exactly."""
    return "\n".join(" ".join(f"w{i}x{j}" for j in range(8)) + "." for i in range(start, stop))


# ---------------------------------------------------------------- normalisation

def test_normalisation_unifies_typography():
    assert tokens("\u201cU.S.-led\u201d plan \u2014 Macron\u2019s\u00a0visit.") == \
        tokens('"US-led" plan -- Macron\'s visit.') == \
        ["us", "led", "plan", "macron", "s", "visit"]
    assert normalise("ＦＵＬＬ width ２０２５, 1,000 people, 46%") == \
        "full width 2025, 1000 people, 46 percent"
    assert normalise("zero\u200bwidth co\u00adoperation") == "zerowidth cooperation"
    assert normalise("3.5 per cent") == "3.5 percent"        # decimals keep their point
    assert tokens("Xi said: \u4e2d\u6cd5\u5408\u4f5c\u3002") == ["xi", "said", "中", "法", "合", "作"]


def test_furniture_and_repeated_lines_are_dropped():
    story = ("Macron met Xi in Beijing on Thursday to discuss trade and Ukraine.\n"
             "Both leaders signed twelve agreements on energy, aviation and education.")
    dressed = ("By JANE DOE, Associated Press\n" + story + "\n" + story.split("\n")[0] +
               "\nAdvertisement\nBoston Herald\nChicago Tribune\n"
               "Copyright 2025 The Associated Press. All rights reserved. This material may "
               "not be published, broadcast, rewritten or redistributed.\n"
               "(Reporting by John Smith; Editing by Ana Silva)\n"
               "Sign up for our daily newsletter to get the top stories every morning.")
    assert content_lines(dressed) == content_lines(story)
    assert fingerprint(dressed) == fingerprint(story)


def test_paragraphs_about_copyright_or_newsletters_are_content():
    for text in ("The newsletter of the European Commission said on Thursday that the copyright "
                 "directive would be reviewed next year, after complaints from publishers.",
                 "Publishers want copyright rules enforced against AI firms, officials said."):
        assert content_lines(text) != []


# ---------------------------------------------------------------- fingerprints

def test_sampling_is_nested_and_capped():
    short, long_ = words(0, 40), words(0, 200)
    fp_short, fp_long = fingerprint(short), fingerprint(long_)
    assert len(fp_long.hashes) <= CAP < len(set(fingerprint(long_, cap=10**6).hashes))
    assert fp_long.level > fp_short.level
    # the short text's hashes that survive at the long text's level are all in the long one
    limit = level_limit(fp_long.level)
    at_long_level = {h for h in fp_short.hashes if h < limit}
    assert at_long_level and at_long_level <= set(fp_long.hashes)
    assert fp_short.counts[fp_long.level - fp_short.level] == len(at_long_level)


def test_token_hashes_do_not_change_when_the_cache_fills_while_hashing_a_text(monkeypatch):
    from cfnews.transforms import fingerprint as fp
    words = [f"t{i}".encode() for i in range(40)] + [b"2025", b"t3"]
    expected = fp.token_hash_array(words).tolist()
    fp._token_hashes.clear()
    monkeypatch.setattr(fp, "_TOKEN_CACHE_LIMIT", 16)     # cleared twice within the text
    assert fp.token_hash_array(words).tolist() == expected
    assert len(fp._token_hashes) < 16 and len(set(expected)) == 41


def test_similarity_is_counted_at_the_coarser_level():
    a = Member(0, "a", 1, 0, (80, 40, 20))
    b = Member(0, "b", 2, 1, (60, 30))
    assert similarity(a, b, 20) == (0.5, 20 / 80)      # at level 1: 40 and 60 hashes
    far = Member(0, "c", 3, 5, (50,))
    assert similarity(a, far, 5) == (0.0, 0.0)         # lengths too far apart to compare
    assert fingerprint("").hashes == ()


def test_member_bytes_round_trip():
    real = Member(1764835200123456, "0123456789abcdef", 60_000, 2, (96, 50, 24, 11), 29413920)
    plain = real._replace(article_id="s002")
    assert decode_member(encode_member(real)) == real
    assert decode_member(encode_member(plain)) == plain
    assert len(encode_member(real)) == 32
    numbered = real._replace(numbers=(0x00ABCD01, 0x00ABCD7F, 0xFFFFFFFF))
    assert decode_member(encode_member(numbered)) == numbered
    assert len(encode_member(numbered)) == 32 + 3 * 4
    counted = real._replace(plain=40, story="fedcba9876543210")
    assert decode_member(encode_member(counted)) == counted
    assert decode_member(encode_member(real._replace(story="story-7"))).story == "story-7"


# ---------------------------------------------------------------- decisions

def test_seed_wire_copies_merge_and_other_stories_stay_apart(seeds):
    kept, dups = dedup_in_memory(seed_articles(seeds))
    assert sorted(a.article_id for a in kept) == ["s000", "s001", "s002", "s003"]
    [dup] = dups
    assert (dup.article.article_id, dup.canonical_id, dup.cluster_id) == ("s004", "s002", "s002")
    assert dup.method == "near_duplicate" and dup.matched_id == "s002"
    assert 0.7 <= dup.containment <= 1.0 and dup.jaccard < dup.containment
    assert all(a.cluster_id == a.article_id for a in kept)


def test_seed_pairs_that_must_stay_apart_are_far_below_the_threshold(seeds):
    prepared = {k: prepare(article(k, t)) for k, t in seeds.items()}
    for a, b in [("000", "001"), ("000", "002"), ("000", "003"), ("001", "002"),
                 ("001", "003"), ("002", "003"), ("000", "004"), ("001", "004"), ("003", "004")]:
        (ma, ha), (mb, hb) = prepared[a], prepared[b]
        containment, _ = similarity(ma, mb, len(set(ha) & set(hb)))
        assert containment < 0.1, (a, b, containment)


def test_order_decides_which_copy_is_canonical(seeds):
    early_004 = [article("s002", seeds["002"], hours=5), article("s004", seeds["004"], hours=1)]
    kept, [dup] = dedup_in_memory(early_004)
    assert kept[0].article_id == "s004" and dup.canonical_id == "s004"


def test_chains_resolve_to_the_cluster_root():
    a, b, c = words(0, 40), words(20, 60), words(30, 80)   # b: half of a; c: 3/4 of b, 1/5 of a
    kept, dups = dedup_in_memory([article("a", a, 0), article("b", b, 1), article("c", c, 2)])
    assert [k.article_id for k in kept] == ["a"]
    by_id = {d.article.article_id: d for d in dups}
    assert by_id["b"].canonical_id == "a" and by_id["b"].matched_id == "a"
    assert by_id["c"].matched_id == "b"
    assert by_id["c"].canonical_id == "a" and by_id["c"].cluster_id == "a"


def test_short_texts_need_enough_shared_fingerprints():
    kept, dups = dedup_in_memory([article("a", "Macron met Xi."), article("b", "Macron met Xi.", 1)])
    assert len(kept) == 2 and not dups


def test_same_outlet_needs_more_overlap():
    # b holds half of a: enough across outlets, not within one (shared furniture, templates)
    a, b = words(0, 40), words(0, 20) + "\n" + words(100, 120)
    prepared = {k: prepare(article(k, t)) for k, t in (("a", a), ("b", b))}
    (ma, ha), (mb, hb) = prepared["a"], prepared["b"]
    containment, _ = similarity(ma, mb, len(set(ha) & set(hb)))
    params = DedupParams()
    margin = params.margin / compared_count(ma, mb)
    assert params.threshold + margin <= containment < params.same_outlet_threshold + margin
    _, dups = dedup_in_memory([article("a", a, 0, "x"), article("b", b, 1, "y")])
    assert len(dups) == 1
    _, dups = dedup_in_memory([article("a", a, 0, "x"), article("b", b, 1, "x")])
    assert dups == []


def test_copies_further_apart_than_the_expiry_are_new_stories(seeds):
    for days, merged in ((13, True), (15, False)):
        arts = [article("s002", seeds["002"]), article("s004", seeds["004"], hours=24 * days)]
        _, dups = dedup_in_memory(arts)
        assert bool(dups) is merged


def test_a_hash_keeps_a_bounded_number_of_articles():
    params = DedupParams(max_bucket=3)
    stored = [Member(i, f"a{i}", 0, 0, (10,)) for i in range(3)]
    new = Member(10, "b", 0, 0, (10,))
    assert bucket_hits(stored[:2], new, params) == ([("b", stored[0]), ("b", stored[1])], True)
    # full: still compared with what it holds, so the 65th copy of a wire story matches
    assert bucket_hits(stored, new, params) == ([("b", m) for m in stored], False)
    # articles outside the expiry neither match nor count
    old = Member(-params.expiry_us - 1, "old", 0, 0, (10,))
    assert bucket_hits([old] + stored[:2], new, params)[1] is True


def test_first_seen_then_first_published():
    params = DedupParams()
    later = Member(100, "later", 0, 0, (10,), slot=1)
    earlier = Member(50, "earlier", 0, 0, (10,), slot=1)
    # seen together (same slot), in either order: the earlier published comes first
    assert bucket_hits([later], earlier, params)[0] == [("later", earlier)]
    assert bucket_hits([earlier], later, params)[0] == [("later", earlier)]
    # seen in a later slot: after, whatever its publication time
    assert bucket_hits([later], earlier._replace(slot=2), params)[0] == [
        ("earlier", later)]


def test_articles_of_earlier_runs_stay_canonical(seeds):
    old = article("old", seeds["004"], 5)         # written by an earlier run
    new = article("new", seeds["002"], 0)         # published before it, found only now
    kept, dups = dedup_in_memory([new, old], prior_ids=frozenset({"old"}))
    assert [k.article_id for k in kept] == ["old"]
    assert [(d.article.article_id, d.canonical_id) for d in dups] == [("new", "old")]
    kept, dups = dedup_in_memory([new, old])      # the same run: publication order
    assert [k.article_id for k in kept] == ["new"]


# ---------------------------------------------------------------- Beam (batch)

def _run(pipeline_fn):
    with beam.Pipeline(runner="FnApiRunner") as p:
        pipeline_fn(p)


def test_beam_transform_agrees_with_in_memory(seeds):
    arts = seed_articles(seeds) + [article("a", words(0, 40), 10), article("b", words(20, 60), 11),
                                   article("c", words(30, 80), 12)]
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert len(expected_dups) == 3

    def check(p):
        kept, dups = p | beam.Create(arts) | DeduplicateArticles()
        assert_that(kept | "ids" >> beam.Map(lambda a: (a.article_id, a.cluster_id)),
                    equal_to([(a.article_id, a.cluster_id) for a in expected_kept]), label="kept")
        assert_that(dups, equal_to(expected_dups), label="dups")
    _run(check)


def entry(outlet: str, entry_id: str, url: str, hours: int) -> FeedEntry:
    from cfnews.transforms.urls import article_id_for, canonical_url
    canonical = canonical_url(url)
    return FeedEntry(outlet=outlet, feed_url="f", entry_id=entry_id, url=url,
                     article_id=article_id_for(canonical), canonical_url=canonical, title="t",
                     published_at=T0 + dt.timedelta(hours=hours), discovered_at=T0)


def test_same_url_entries_collapse_before_fetching():
    base = entry("a", "1", "https://e.com/x?utm_source=a", 2)
    other_outlet = entry("b", "9", "https://m.e.com/x/", 1)
    first, dup = list(url_duplicates([base, other_outlet]))
    assert first.outlet == "b"
    assert isinstance(dup, Duplicate) and dup.method == "canonical_url"
    assert dup.canonical_id == first.article_id and dup.article.outlet == "a" and dup.article.text == ""

    def check(p):
        entries, dups = p | beam.Create([base, other_outlet]) | DedupEntriesByUrl()
        assert_that(entries | beam.Map(lambda e: e.outlet), equal_to(["b"]), label="entries")
        assert_that(dups | beam.Map(lambda d: d.article.outlet), equal_to(["a"]), label="dups")
    _run(check)


def test_same_feed_guid_under_a_new_url_is_one_article():
    first = entry("a", "guid-1", "https://e.com/story", 1)
    moved = entry("a", "guid-1", "https://e.com/story-updated", 2)
    other_outlet = entry("b", "guid-1", "https://f.com/other", 3)   # guids are per outlet
    assert first.article_id != moved.article_id

    def check(p):
        entries, dups = p | beam.Create([moved, first, other_outlet]) | DedupEntriesByUrl()
        assert_that(entries | beam.Map(lambda e: e.url),
                    equal_to([first.url, other_outlet.url]), label="entries")
        assert_that(dups | beam.Map(lambda d: (d.article.url, d.method, d.canonical_id)),
                    equal_to([(moved.url, "feed_guid", first.article_id)]), label="dups")
    _run(check)


def test_dedup_entries_keeps_unrelated_entries(seeds):
    entries = [entry("a", str(i), f"https://e.com/{i}", i) for i in range(5)]

    def check(p):
        kept, dups = p | beam.Create(entries) | DedupEntriesByUrl()
        assert_that(kept | beam.Map(lambda e: e.entry_id), equal_to([e.entry_id for e in entries]),
                    label="kept")
        assert_that(dups, equal_to([]), label="dups")
    _run(check)


def test_records_are_not_mutated(seeds):
    arts = seed_articles(seeds)
    before = [dataclasses.asdict(a) for a in arts]
    dedup_in_memory(arts)
    assert [dataclasses.asdict(a) for a in arts] == before


def test_short_content_lines_that_look_like_furniture_words_stay():
    for line in ("Video footage showed the two leaders shaking hands in Beijing.",
                 "We share this concern, the French minister said.",
                 "Both countries subscribe to the Paris climate agreement."):
        assert content_lines(line) != [], line


def test_beam_transform_keeps_earlier_runs_first(seeds):
    old, new = article("old", seeds["004"], 5), article("new", seeds["002"], 0)

    def check(p):
        kept, dups = p | beam.Create([new, old]) | DeduplicateArticles(prior_ids=frozenset({"old"}))
        assert_that(kept | "k" >> beam.Map(lambda a: a.article_id), equal_to(["old"]), label="kept")
        assert_that(dups | "d" >> beam.Map(lambda d: (d.article.article_id, d.canonical_id)),
                    equal_to([("new", "old")]), label="dups")
    _run(check)


# ---------------------------------------------------------------- copies vs rewrites, story_id

def family(name: str) -> dict:
    """The texts of one story family (tests/benchmarks/data/story_families.jsonl) by doc_id."""
    import json
    from pathlib import Path
    path = Path(__file__).parent / "benchmarks" / "data" / "story_families.jsonl"
    texts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {t["doc_id"]: t for t in texts if t["family"] == name}


def test_quoted_sentences_are_marked_but_short_quoted_titles_are_not():
    from cfnews.transforms.fingerprint import marked_shingle_hashes, shingle_hashes
    quote = ('The board met on Monday in Lyon.\n"We will build the new plant in Tianjin next '
             'year with our partners," said the chief executive. Output starts in 2027.')
    title = 'The series "Saint Seiya" returns on Monday with twelve new episodes for fans.'
    marked = marked_shingle_hashes(quote)
    assert len(marked) == len(shingle_hashes([w.encode() for w in tokens(quote)]))
    flags = [bool(h & 1) for h in marked.tolist()]
    n = len(tokens(quote))
    quoted_start = len(tokens("The board met on Monday in Lyon."))
    quoted_end = n - len(tokens("Output starts in 2027."))
    # a shingle is marked exactly when its 4 words all lie in the quoted sentence
    assert flags == [quoted_start <= i and i + 4 <= quoted_end for i in range(n - 3)]
    assert not any(h & 1 for h in marked_shingle_hashes(title).tolist())


def test_a_plain_shingle_carries_a_tag_of_the_plain_words_around_it():
    """Run tags (fingerprint.CONTEXT_WORDS): a plain shingle with at least 2 plain words
    beside it (up to 2 on each side, up to a quotation or the text's edge) has a tag of
    them; the same sentence in another text gives its shingles the same tags, the same words
    in another sentence other tags; quoted shingles and those that meet a quotation have none."""
    from cfnews.transforms.fingerprint import marked_shingle_hashes, run_tag, shingle_key
    lead = "The board met on Monday in Lyon and chose a site near the river."
    text = lead + ('\n"We will build the new plant in Tianjin next year with our partners," '
                   'said the chief executive.')
    tags = [run_tag(h) for h in marked_shingle_hashes(text).tolist()]
    n_lead = len(tokens(lead))
    assert all(tags[:n_lead - 3]) and not any(tags[n_lead - 3:])
    # the lead copied into another text, after a dateline: the same tags, but for the first
    # shingles, whose context now holds the dateline
    copy = "LYON (AFP) - " + lead + "\nShares rose by four percent in Paris on Tuesday."
    copied = {shingle_key(h): run_tag(h) for h in marked_shingle_hashes(copy).tolist()}
    keys = [shingle_key(h) for h in marked_shingle_hashes(text).tolist()][:n_lead - 3]
    same = [copied[k] == t for k, t in zip(keys, tags)]
    assert same == [False, False] + [True] * (n_lead - 7) + [False, False]
    # the same words in another sentence
    other = "Officials said the board met on Monday in Lyon without the mayor."
    moved = {shingle_key(h): run_tag(h) for h in marked_shingle_hashes(other).tolist()}
    assert all(moved[k] != t for k, t in zip(keys, tags) if k in moved)
    assert sum(k in moved for k in keys) == 4
    # a line of 5 words: each shingle has 1 plain word beside it, too few for a tag
    short = marked_shingle_hashes("Orvane wins the Hanjiang contract.").tolist()
    assert not any(run_tag(h) for h in short)


def test_a_brief_built_on_the_release_quote_is_a_rewrite_not_a_copy():
    texts = family("tram")
    release, brief, other = texts["tram-00"]["text"], texts["tram-04"]["text"], texts["tram-05"]["text"]
    lines = release.splitlines()
    copy = "\n".join(["PARIS (AFP) - " + lines[1]] + lines[2:-1])   # datelined, last line cut
    arts = [article("release", release, 0, "orvane"), article("brief", brief, 1, "wire-a"),
            article("copy", copy, 2, "wire-b"), article("other", other, 3, "wire-c")]
    kept, dups = dedup_in_memory(arts)
    story = {a.article_id: a.story_id for a in kept}
    assert sorted(story) == ["brief", "other", "release"]       # the rewrite stays an article
    assert story["brief"] == story["release"] == "release"      # ... of the release's story
    assert story["other"] == "other"                            # same event, another story
    [dup] = dups
    assert (dup.article.article_id, dup.canonical_id, dup.article.story_id) == ("copy", "release",
                                                                               "release")
    assert all(a.cluster_id == a.article_id for a in kept)
    # an edit that loses the quotation's closing mark leaves it quoted to the paragraph's end
    lost = brief.replace('city," said', "city said")
    arts[1] = article("brief", lost, 1, "wire-a")
    kept, dups = dedup_in_memory(arts)
    assert sorted(a.article_id for a in kept) == ["brief", "other", "release"]
    assert {a.article_id: a.story_id for a in kept}["brief"] == "release"


def copied_keys(n: int, start: int = 0) -> list:
    """`n` plain shared keys as the index reports a copy's: both texts hold them in one run of
    plain text (dedup.TAGGED and SAME_RUN)."""
    from cfnews.transforms.dedup import SAME_RUN, TAGGED
    return [((start + i + 1) << 8) | TAGGED | SAME_RUN for i in range(n)]


def phrase_keys(n: int, start: int = 0) -> list:
    """`n` plain shared keys that the two texts hold among other words (TAGGED only)."""
    from cfnews.transforms.dedup import TAGGED
    return [((start + i + 1) << 8) | TAGGED for i in range(n)]


def test_shared_plain_text_among_other_words_in_each_text_is_a_rewrite():
    """The run veto: of the shared plain keys both texts hold with a run tag (at least 2 of
    them), at least run_share must sit in one run of plain text; keys without a tag on a side
    say nothing."""
    from cfnews.transforms.dedup import decide
    params = DedupParams()
    earlier = Member(0, "e", 1, 0, (40, 20, 10, 5), plain=30)
    me = Member(10, "m", 2, 0, (40, 20, 10, 5), slot=1, plain=30)
    assert (params.run_share, params.min_tagged_shared) == (0.5, 2)

    def decided(plain):
        return decide(me, [(earlier, 30, plain, 30 - len(plain))], params)
    assert decided(copied_keys(20)).copy
    phrases = decided(phrase_keys(20))                  # 20/30 of the plain text, in phrases
    assert phrases.earlier_id == "e" and not phrases.copy
    assert decided(copied_keys(10) + phrase_keys(10, 100)).copy         # half in one run
    assert not decided(copied_keys(9) + phrase_keys(11, 100)).copy      # 0.45
    untagged = [(i + 1) << 8 for i in range(20)]        # next to quotations: no tag on a side
    assert decided(untagged).copy
    assert decided(untagged[:19] + phrase_keys(1, 100)).copy            # one tag: too few
    assert not decided(untagged[:18] + phrase_keys(2, 100)).copy
    assert decided(untagged[:17] + phrase_keys(1, 100) + copied_keys(2, 200)).copy   # 2 of 3
    assert not decided(untagged[:17] + phrase_keys(2, 100) + copied_keys(1, 200)).copy


def test_copy_needs_shared_plain_text_and_a_rewrite_takes_a_stored_story():
    from cfnews.transforms.dedup import decide, story_root
    params = DedupParams()
    earlier = Member(0, "e", 1, 0, (40, 20, 10, 5), plain=30, story="s0")
    me = Member(10, "m", 2, 0, (40, 20, 10, 5), slot=1, plain=30)
    copy = decide(me, [(earlier, 30, copied_keys(20), 10)], params)         # 20/30 of the plain text shared
    assert copy.copy and copy.earlier_id == "e" and copy.earlier_story == "s0"
    rewrite = decide(me, [(earlier, 30, copied_keys(2), 28)], params)      # shares quotes, not sentences
    assert not rewrite.copy and rewrite.earlier_story == "s0"
    quote_only = decide(me, [(earlier, 14, copied_keys(1), 13)], params)  # containment 0.35, 13 quoted
    assert quote_only is not None and not quote_only.copy
    assert decide(me, [(earlier, 14, copied_keys(4), 10)], params) is None  # neither a copy nor a quote
    assert decide(me._replace(outlet=1), [(earlier, 14, copied_keys(1), 13)], params) is None  # same outlet
    # story_root: links within the run, ending at the stored story of an earlier run's article
    assert story_root("m", {"m": rewrite}) == "s0"
    assert story_root("x", {"x": dataclasses.replace(rewrite, earlier_id="m", earlier_story=""),
                            "m": rewrite}) == "s0"
    assert story_root("alone", {}) == "alone"


def test_beam_transform_writes_the_same_story_ids_as_in_memory():
    texts = family("museum")
    arts = [article(doc_id, t["text"], i, t["outlet"]) for i, (doc_id, t) in enumerate(texts.items())]
    expected_kept, expected_dups = dedup_in_memory(arts)
    expected = [(a.article_id, a.cluster_id, a.story_id) for a in expected_kept]
    assert len({s for _, _, s in expected}) < len(expected)     # some rewrites share a story

    def check(p):
        kept, dups = p | beam.Create(arts) | DeduplicateArticles()
        assert_that(kept | "ids" >> beam.Map(lambda a: (a.article_id, a.cluster_id, a.story_id)),
                    equal_to(expected), label="kept")
        assert_that(dups, equal_to(expected_dups), label="dups")
    _run(check)


# ---------------------------------------------------------------- rule changes (issue 15)

AIRBUS = ("Airbus will open a second assembly line in Tianjin next year, the company said on Tuesday.\n"
          "The chief executive described the plan to reporters at a press conference in Toulouse.\n"
          '"We have built more than six hundred aircraft in Tianjin since 2008, and demand from '
          "Chinese airlines keeps growing every single month.\n"
          '"A second line lets us deliver faster to our customers in Asia, and it brings hundreds '
          'of skilled jobs to both countries," he said.\n'
          "The new line is expected to start production in the second half of 2026.")


def test_a_quotation_over_two_paragraphs_is_quoted_however_a_copy_paragraphs_it():
    from cfnews.transforms.fingerprint import marked_shingle_hashes, shingle_key
    lines = AIRBUS.splitlines()
    # news style: the quotation's first paragraph opens and does not close; the copy runs the
    # two paragraphs together, so its quotes pair differently
    merged = "\n".join(["TOULOUSE (Reuters) - " + lines[0], lines[1], lines[2] + " " + lines[3], lines[4]])
    marks = [{shingle_key(h): h & 1 for h in marked_shingle_hashes(t).tolist()} for t in (AIRBUS, merged)]
    quoted = {k for k, flag in marks[0].items() if flag}
    opening = {shingle_key(h) for h in marked_shingle_hashes(lines[2].replace('"', "")).tolist()}
    assert opening <= quoted                  # the open paragraph is quoted, not plain
    assert all(marks[1][k] == flag for k, flag in marks[0].items() if k in marks[1])
    # a closing mark lost in an edit: the quotation runs to the end of its paragraph
    lost = AIRBUS.replace('countries," he said.', "countries he said.")
    assert {shingle_key(h) for h in marked_shingle_hashes(lost).tolist() if h & 1} >= quoted - {
        shingle_key(h) for h in marked_shingle_hashes("countries he said.").tolist()}
    # Chinese style alike: 「 opens each paragraph of the quotation, 」 closes only the last
    opened = "他說：「我們將在北京和深圳開設兩家精品店，預計明年年底前完成，並繼續擴大在中國的業務。"
    assert all(h & 1 for h in marked_shingle_hashes(opened).tolist())
    # only in a line of a paragraph's length: a text run into one line keeps an unpaired mark unread
    from cfnews.transforms.fingerprint import QUOTE_PARAGRAPH_MAX_WORDS
    opening_line = '"' + " ".join(f"w{i}" for i in range(QUOTE_PARAGRAPH_MAX_WORDS - 1)) + "."
    run_together = '"' + " ".join(f"w{i}" for i in range(QUOTE_PARAGRAPH_MAX_WORDS + 1)) + "."
    assert all(h & 1 for h in marked_shingle_hashes(opening_line).tolist())
    assert not any(h & 1 for h in marked_shingle_hashes(run_together).tolist())
    # an inch mark is no quotation
    assert not any(h & 1 for h in marked_shingle_hashes(
        'The 6\'2" forward scored twice in the second half of the game in Lyon on Sunday.').tolist())
    # Chinese sets no space around “ and ”, which normalise() makes one straight mark: a term
    # quoted across a link (its name on a line of its own, dropped as a fragment) leaves an
    # unpaired mark at a line's end and the next line's start, of no knowable direction, so
    # neither line is quoted (read by the English rule, each was quoted whole)
    broken = ("任正非在談到中國與華為面臨的問題時表示，芯片的製造，他認為台灣是“\n台積電\n"
              "”；華為目前累積了很強的芯片設計能力，但大陸製造不出來，基礎工業也有問題。")
    assert not any(h & 1 for h in marked_shingle_hashes(broken).tolist())


def test_a_copy_that_lost_its_quotation_marks_still_shares_its_shingles():
    from cfnews.transforms.dedup import shared_with
    from cfnews.transforms.fingerprint import marked_shingle_hashes, shingle_key
    lines = AIRBUS.splitlines()
    bare_quote = [line.replace('"', "") for line in lines[2:4]]
    copy = "\n".join(["TOULOUSE (Reuters) - " + lines[0], lines[1], *bare_quote, lines[4]])
    marks = [{shingle_key(h): h & 1 for h in marked_shingle_hashes(t).tolist()} for t in (AIRBUS, copy)]
    flipped = [k for k in marks[0].keys() & marks[1].keys() if marks[0][k] != marks[1][k]]
    assert len(flipped) >= 20          # the same sentences, marked quoted in one text only
    (mo, ho), (mc, hc) = prepare(article("orig", AIRBUS)), prepare(article("copy", copy, 1))
    (_, ho_bare), (_, hc_bare) = (prepare(article(k, t.replace('"', ""))) for k, t in
                                  (("orig", AIRBUS), ("copy", copy)))
    # the texts share what they would share with no quotation detected at all (by key: the
    # hashes themselves differ in the quoted flag and the run tag)
    bare_shared = len({shingle_key(h) for h in hc_bare} & {shingle_key(h) for h in ho_bare})
    assert shared_with(hc, ho)[0] == bare_shared > len(set(hc) & set(ho))
    kept, [dup] = dedup_in_memory([article("orig", AIRBUS, 0), article("copy", copy, 1)])
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "orig")
    bare, _ = similarity(mc, mo, bare_shared)
    assert dup.containment == round(bare, 4) > 0.8


def test_the_containment_threshold_rises_as_the_sample_shrinks():
    params, flat = DedupParams(), DedupParams(threshold=0.4, same_outlet_threshold=0.65, margin=0)
    # a long story and a trimmed copy padded with local paragraphs: 0.39 on 59 hashes
    long_ = words(0, 60)
    trimmed = words(0, 23) + "\n" + words(200, 260)
    (ml, hl), (mt, ht) = prepare(article("long", long_)), prepare(article("trimmed", trimmed, 1))
    containment, _ = similarity(mt, ml, len(set(ht) & set(hl)))
    assert compared_count(ml, mt) == 59 and 0.36 < containment < 0.4
    pair = [article("long", long_, 0), article("trimmed", trimmed, 1)]
    assert len(dedup_in_memory(pair, params)[1]) == 1          # 0.27 + 5/59 = 0.355
    assert dedup_in_memory(pair, flat)[1] == []                # the flat 0.40 missed it
    # two short stories sharing three of their sentences: 0.42 on 26 hashes is not enough
    a = words(0, 3) + "\n" + words(300, 305)
    b = words(0, 3) + "\n" + words(500, 506)
    (ma, ha), (mb, hb) = prepare(article("a", a)), prepare(article("b", b, 1))
    containment, _ = similarity(mb, ma, len(set(ha) & set(hb)))
    assert compared_count(ma, mb) == 26 and 0.4 < containment < 0.27 + 5 / 26
    pair = [article("a", a, 0), article("b", b, 1)]
    assert dedup_in_memory(pair, params)[1] == []
    assert len(dedup_in_memory(pair, flat)[1]) == 1


def test_a_rewrite_of_the_same_statement_stays_an_article_of_the_same_story():
    rewrite = ("Tianjin will get a second Airbus assembly line, the European planemaker announced "
               "in Toulouse, where its chief executive met reporters on Tuesday.\n"
               '"We have built more than six hundred aircraft in Tianjin since 2008, and demand from '
               'Chinese airlines keeps growing every single month," he said.\n'
               '"A second line lets us deliver faster to our customers in Asia, and it brings hundreds '
               'of skilled jobs to both countries," he added.\n'
               "Production there should begin in late 2026, according to the group.")
    kept, dups = dedup_in_memory([article("orig", AIRBUS, 0), article("rewrite", rewrite, 1)])
    assert dups == []
    assert {a.article_id: a.story_id for a in kept} == {"orig": "orig", "rewrite": "orig"}


# ---------------------------------------------------------------- furniture is not copy evidence

QUOTE = ('"Our engineers and our partners in Hanjiang have spent three years on a tram that is '
         'quiet, light and cheap to run, and this order shows that the effort was worth it,"')
# a chain's reader-letters paragraph, not caught by the furniture patterns
LETTERS = ("Letters to the editor are welcome: tell the newsroom how this report touches your town, "
           "your work or your family, and the editors will print a selection of them in the "
           "weekend edition every week.")
REPORT = ("Orvane Rail will supply 42 low-floor trams to Hanjiang for 310 million euros.\n"
          "The French maker will assemble the trams at its joint-venture plant in Changzhou, and "
          "the first deliveries are due in the second half of 2027.\n"
          f"{QUOTE} said Claire Mauduit, chief executive of Orvane Rail.\n{LETTERS}")
# two outlets' reports of the release, each trimmed to a headline, the release's quote (each
# with its own attribution) and the letters paragraph both papers print
TRIMMED_A = f"Hanjiang orders 42 trams from Orvane\n{QUOTE} Claire Mauduit told reporters.\n{LETTERS}"
TRIMMED_B = (f"French tram maker wins Chinese city contract\n{QUOTE} said the head of the rail "
             f"group, Claire Mauduit.\n{LETTERS}")


def furniture_background(hours: float = -5, n: int = 4, paragraph: str = LETTERS):
    """`n` unrelated stories of other outlets, each ending with `paragraph` (its "{i}", the
    story's number): by default the letters paragraph."""
    return [article(f"other{i}", words(100 * i, 100 * i + 30) + "\n" + paragraph.format(i=i),
                    hours + i, outlet=f"paper{i}") for i in range(n)]


def test_rewrites_sharing_a_quote_and_a_furniture_paragraph_stay_articles():
    pair = [article("a", TRIMMED_A, 0, "ledger"), article("b", TRIMMED_B, 1, "courier")]
    # alone, the letters paragraph is the plain text they share: b passes for a copy of a
    kept, dups = dedup_in_memory(pair)
    assert [d.article.article_id for d in dups] == ["b"]
    # among texts that print it under unrelated stories, it is furniture: b is a rewrite
    kept, dups = dedup_in_memory(furniture_background() + pair)
    assert dups == []
    story = {a.article_id: a.story_id for a in kept}
    assert story["b"] == story["a"] == "a"               # the same story, through the quote
    assert all(story[f"other{i}"] == f"other{i}" for i in range(4))


# a chain's newsletter and thank-you lines, the paper's name in each (seed 428's furniture)
NEWSLETTER = ("Get the best of The {paper} delivered straight to your inbox every weekday morning, "
              "with the stories our editors think you should not miss and the analysis behind them.")
THANKS = ("Thank you for reading The {paper}. Our reporters cover the world every day so that you "
          "do not have to search for the news that matters to you.")


def chain_furniture(paper: str) -> str:
    return NEWSLETTER.format(paper=paper) + "\n" + THANKS.format(paper=paper)


def test_a_brief_that_is_mostly_furniture_is_not_a_copy_of_a_report_with_that_furniture():
    """Seed 428's rewrite pair: a brief of a release (its quote, two lines of its own) under
    the chain's two furniture lines, and another outlet's report of it under the same lines.
    Five unrelated stories print the newsletter line, three short ones both lines: those three
    pass the containment rule against the brief on the furniture alone, and the first look
    counts them as the story's own texts, so the thank-you line stays copy evidence. The
    second look counts them on what they share beyond the newsletter line: unrelated. The
    brief is a rewrite of the report (its story), not a copy, and no story of the short
    texts, which share nothing with it but furniture."""
    from cfnews.transforms.dedup import furniture_keys, gather, prepare, shared_with
    report = ("Orvane Rail will build 42 trams for the city of Hanjiang, the company announced on "
              "Thursday.\nThe order is worth 180 million euros and the first trams will run on the "
              f"new Line 3 in 2028.\n{QUOTE} said Claire Mauduit, chief executive of Orvane Rail.\n"
              + chain_furniture("Capital Tribune"))
    brief = (f"Orvane picks Hanjiang\n{QUOTE} said Claire Mauduit, chief executive of Orvane Rail.\n"
             "The trams will cost 180 million euros.\n" + chain_furniture("Asia News"))
    newsletter_only = [article(f"long{i}", words(100 * i, 100 * i + 30) + "\n"
                               + NEWSLETTER.format(paper=f"Paper {i}"), -5 + i / 2, f"paper{i}")
                       for i in range(5)]
    both_lines = [article(f"short{i}", words(1000 + 100 * i, 1000 + 100 * i + 10) + "\n"
                          + chain_furniture(f"Gazette {i}"), -2.5 + i / 2, f"gazette{i}")
                  for i in range(3)]
    pair = [article("report", report, 0, "ledger"), article("brief", brief, 1, "courier")]
    # a real copy of the report under its own paper's furniture is a copy
    copy = report.replace(chain_furniture("Capital Tribune"), chain_furniture("Evening Post"))
    kept, [dup] = dedup_in_memory(newsletter_only + both_lines
                                  + [pair[0], article("copy", copy, 1, "post")])
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "report")
    # without the unrelated texts the furniture cannot be told: the brief passes for a copy
    kept, [dup] = dedup_in_memory(pair)
    assert (dup.article.article_id, dup.canonical_id) == ("brief", "report")
    kept, dups = dedup_in_memory(newsletter_only + both_lines + pair)
    assert dups == []
    story = {a.article_id: a.story_id for a in kept}
    assert story["brief"] == story["report"] == "report"
    # what each look finds: the first only the newsletter line's keys, the second both lines'
    from cfnews.transforms.dedup import _furniture_among
    mb, hb = prepare(pair[1])
    entries = [(m,) + shared_with(hb, h)
               for m, h in map(prepare, newsletter_only + both_lines + pair[:1])]
    shared = gather(entries)
    first = _furniture_among(mb, shared, DedupParams(), set())
    second = furniture_keys(mb, shared, DedupParams())
    report_keys = shared["report"][2]
    assert 0 < len(report_keys & first.keys()) < len(report_keys & second.keys())


# a paragraph of another story (a harbour's works) that two rewrites of the tram release are
# padded with (seed 495's rewrite pair)
HARBOUR = ("The harbour authority of Saint-Malo has voted to dredge the old basin next winter, "
           "so that the ferries to Jersey and Guernsey can dock at low tide without waiting "
           "outside the lock gates for an hour or more.")
PADDED_A = ("Hanjiang orders 42 trams from Orvane\nOrvane Rail will build 42 trams for the city of "
            "Hanjiang, the company announced on Thursday.\n"
            f"{QUOTE} said Claire Mauduit, chief executive of Orvane Rail.\n{HARBOUR}")
PADDED_B = ("French tram maker wins Chinese city contract\nThe Chinese city of Hanjiang has "
            "picked the French group for the trams of its new line, in a deal made public on "
            "Thursday.\n"
            f"{QUOTE} the head of the group, Claire Mauduit, told reporters.\n{HARBOUR}")


def test_rewrites_padded_with_another_storys_paragraph_stay_articles():
    """Seed 495's rewrite pair: two reports of the release, each in sentences of its own around
    the release's quote, padded with the same paragraph of an unrelated story. One text older
    than both holds that paragraph, the harbour story it comes from: fewer than the furniture
    rule's three holders, yet it shows the paragraph is an older story's text, and no other
    text of the tram story holds it. So the copy test leaves it out, and b is a rewrite of a.
    A copy of a shares a's own sentences too, and stays a copy. A harbour text newer than a
    (a round-up reusing the paragraph) says nothing against b copying a."""
    harbour = article("harbour", words(500, 530) + "\n" + HARBOUR, -5, "paper-x")
    pair = [article("a", PADDED_A, 0, "ledger"), article("b", PADDED_B, 1, "courier")]
    kept, [dup] = dedup_in_memory(pair)               # alone, the paragraph passes for copied text
    assert (dup.article.article_id, dup.canonical_id) == ("b", "a")
    kept, dups = dedup_in_memory([harbour] + pair)
    assert dups == []
    assert {a.article_id: a.story_id for a in kept} == {"harbour": "harbour", "a": "a", "b": "a"}
    copy = "Orvane to build Hanjiang trams\n" + "\n".join(PADDED_A.splitlines()[1:])
    kept, [dup] = dedup_in_memory([harbour, pair[0], article("copy", copy, 1, "post")])
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "a")
    newer = dataclasses.replace(harbour, published_at=T0 + dt.timedelta(hours=0.5))
    kept, [dup] = dedup_in_memory([newer] + pair)
    assert (dup.article.article_id, dup.canonical_id) == ("b", "a")


def test_an_older_texts_coarse_sample_of_a_paragraph_decides_only_on_enough_hashes():
    """The copy test leaves an older unrelated text's paragraph out at the level at which that
    text shows it (a long text keeps only a coarse sample). Here the pair shares 30 plain
    hashes of its own (kept at level 0 only) and 4 of a paragraph that an older long text
    shows at level 2. At level 2 the pair keeps 14 hashes: the paragraph is most of what it
    shares there, and the candidate is a rewrite. With 6 hashes at level 2 (fewer than
    min_shared) that sample is too small to tell, and the copy test stays at the pair's
    level: a copy. A newer holder of the paragraph (a round-up) never takes it out."""
    from cfnews.transforms.dedup import decide
    l1, l2 = level_limit(1), level_limit(2)
    paragraph = [l2 // 8 * (i + 1) & ~0xFF for i in range(4)]           # kept at level 2
    own = [(l1 + l1 // 64 * (i + 1)) & ~0xFF for i in range(30)]         # at level 0 only

    def match(count_at_level_2: int, holder_time: int):
        counts = (60, 30, count_at_level_2, count_at_level_2 // 2)
        me = Member(10, "me", 2, 0, counts, plain=50)
        candidate = Member(5, "candidate", 1, 0, counts, plain=50)
        holder = Member(holder_time, "long", 3, 2, (90, 45), plain=90)
        return decide(me, [(candidate, 40, paragraph + own, 6), (holder, 4, paragraph, 0)],
                      DedupParams())

    assert not match(14, holder_time=1).copy            # older: the paragraph is left out
    assert match(14, holder_time=7).copy                 # newer than the candidate: evidence
    assert match(6, holder_time=1).copy                  # too coarse a sample to tell


def test_a_trimmed_copy_that_keeps_the_furniture_is_still_a_copy():
    lines = REPORT.splitlines()
    copy = "\n".join(["PARIS (AFP) - " + lines[1], lines[2], lines[3]])   # headline cut
    arts = furniture_background() + [article("report", REPORT, 0, "ledger"),
                                     article("copy", copy, 1, "courier")]
    kept, [dup] = dedup_in_memory(arts)
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "report")


def test_furniture_needs_unrelated_holders_not_copies_of_the_story():
    """Texts that copy the story itself do not make its sentences furniture, however many.
    (The letters paragraph, which the report prints, is furniture when more unrelated texts
    hold it than texts of the story: six here against the report and its four copies.)"""
    from cfnews.transforms.dedup import decide, furniture_keys, gather, shared_with
    (mr, hr), (mc, hc) = prepare(article("report", REPORT, 0, "ledger")), \
        prepare(article("copy", REPORT.replace("Orvane Rail will", "Orvane will"), 5, "courier"))
    copies = [prepare(article(f"c{i}", REPORT, i + 1, f"paper{i}")) for i in range(4)]
    unrelated = [prepare(a) for a in furniture_background(n=6)]
    entries = [(m,) + shared_with(hc, h) for m, h in copies + unrelated + [(mr, hr)]]
    furniture = furniture_keys(mc, gather(entries), DedupParams())
    letters = {shingle_key(h) for h in fingerprint(LETTERS, cap=10**6).hashes}
    assert furniture and set(furniture) <= letters            # only the letters paragraph,
    assert set(furniture.values()) == {1}                     # seen by the long stories
    assert decide(mc, entries, DedupParams()).copy


def test_furniture_seen_at_a_finer_level_than_the_pair_is_left_out_too():
    """Short unrelated texts show the furniture at level 0; a pair compared at level 1 (a long
    earlier text) leaves it out there too (it was kept before the fix: 4 of 5 plain hashes
    shared were a letters paragraph, and the pair passed for a copy)."""
    from cfnews.transforms.dedup import shares_plain_text, without_furniture
    params = DedupParams()
    limit = level_limit(1)
    keys = [limit // 8 * (i + 1) & ~0xFF for i in range(5)]         # kept at level 1
    me = Member(10, "b", 2, 0, (50, 20, 9, 7), plain=28)
    earlier = Member(0, "a", 1, 1, (36, 17, 11, 7), plain=27)
    furniture = {k: 0 for k in keys[:4]}                             # seen at level 0
    assert shares_plain_text(me, earlier, 5, params)                 # as if it were copied text
    viewed_me, viewed_earlier, plain = without_furniture(me, earlier, set(keys), furniture, params)
    assert (viewed_me.level, viewed_earlier.level, plain) == (1, 1, 1)
    assert not shares_plain_text(viewed_me, viewed_earlier, plain, params)


# a stock background paragraph that the story prints and other stories reuse
BACKGROUND = ("Lyon and Wuhan have been twinned since 1988, and more than two hundred French "
              "companies, among them carmakers and their suppliers, now run factories in the "
              "Hubei capital, which the French consulate there counts as the largest French "
              "business community in central China.")
WUHAN = ("Wuhan metro picks French signalling group\n"
         f"{BACKGROUND}\n"
         '"This contract is the first of its size that a European supplier has won in a Chinese '
         'metro network for a decade, and we owe it to the engineers who stayed in Wuhan all '
         'through the trials," said Hélène Ravier, who heads the group\'s Asian business.\n'
         "The signalling of line 19 is due to enter service in the spring of 2028.\n"
         "The group had lost two earlier tenders in the city to a domestic rival, which offered "
         "lower prices and promised to train local maintenance crews, and analysts had expected "
         "the same outcome this time; the bureau's tender notes put the French bid's price "
         "within a few per cent of the rival's.")


LOCAL = [("Valley rail suppliers left out of Wuhan deal",
          "None of the valley's own rail suppliers took part in the bid, a spokesman for the "
          "regional chamber of commerce said on Friday evening, adding that smaller firms could "
          "still hope for maintenance work later on."),
         ("Signalling contract in China for Grenoble engineers",
          "About forty of the engineers who designed the system work at the group's research "
          "centre near Grenoble, where the union welcomed the order and asked the management "
          "for new hiring in the coming year."),
         ("French group lands Chinese metro order",
          "Shares in the group rose by almost three per cent in Paris after the announcement, "
          "before closing slightly lower with the rest of the market on a day of heavy trading "
          "in industrial stocks."),
         ("Wuhan line 19 to run on French signals",
          "The city's transport bureau has not said how much the contract is worth, and the "
          "group declined to give a figure when asked by this newspaper about the size of the "
          "order and its margins.")]


def wuhan_copy(i: int, trim: bool = False) -> str:
    """Outlet i's copy: its own headline and local paragraph, the body as sent (`trim`:
    without its last paragraph)."""
    headline, local = LOCAL[i]
    body = WUHAN.splitlines()[1:-1 if trim else None]
    return "\n".join([headline, local] + body)


def background_users(n: int, hours: float = -5):
    """`n` unrelated stories of other outlets that reuse the background paragraph."""
    return [article(f"bg{i}", words(100 * i, 100 * i + 30) + "\n" + BACKGROUND, hours + i,
                    outlet=f"paper-bg{i}") for i in range(n)]


def wuhan_articles(n_unrelated: int = 3):
    """The story, three outlets' copies of it, `n_unrelated` unrelated stories reusing its
    background paragraph, and a later trimmed copy."""
    return (background_users(n_unrelated) + [article("story", WUHAN, 0, "wire")]
            + [article(f"c{i}", wuhan_copy(i), i + 1, f"paper{i}") for i in range(3)]
            + [article("copy", wuhan_copy(3, trim=True), 6, "courier")])


def test_a_story_paragraph_that_fewer_unrelated_texts_than_copies_hold_stays_copy_evidence():
    """Three unrelated stories reuse the story's background paragraph (in the evaluation, one
    story and its two copies did). The story's own copies hold it too, and they outnumber
    those three: it is the story's text, not furniture, and a trimmed copy that shares it with
    the story is a copy (it was a rewrite before related holders were counted: without the
    paragraph, its plain text shared with the story is one sentence, 0.30 of the plain part)."""
    from cfnews.transforms.dedup import decide, furniture_keys, gather, shared_with
    background = {shingle_key(h) for h in fingerprint(BACKGROUND, cap=10**6).hashes}

    def entries(n_unrelated):
        *earlier, (mc, hc) = [prepare(a) for a in wuhan_articles(n_unrelated)]
        return mc, [(m,) + shared_with(hc, h) for m, h in earlier]

    # three unrelated holders, four texts of the story (the story and its three copies)
    mc, found = entries(3)
    assert not set(furniture_keys(mc, gather(found), DedupParams())) & background
    match = decide(mc, found, DedupParams())
    assert match.copy and match.earlier_id == "story"
    kept, dups = dedup_in_memory(wuhan_articles(3))
    assert sorted((d.article.article_id, d.canonical_id) for d in dups) == \
        [("c0", "story"), ("c1", "story"), ("c2", "story"), ("copy", "story")]
    # once unrelated holders outnumber the story's texts, the paragraph is furniture again
    mc, found = entries(5)
    assert set(furniture_keys(mc, gather(found), DedupParams())) & background
    # with no other copy of the story in the index, an unrelated text that reuses the
    # paragraph makes it another story's text for the copy test; the trimmed copy still shares
    # enough of the story's own plain text to be a copy
    for n_unrelated in (1, 3):
        arts = background_users(n_unrelated) + [
            article("story", WUHAN, 0, "wire"),
            article("copy", wuhan_copy(3, trim=True), 6, "courier")]
        kept, [dup] = dedup_in_memory(arts)
        assert (dup.article.article_id, dup.canonical_id) == ("copy", "story")


@pytest.mark.xfail(strict=True, reason=(
    "known trade-off of the furniture rule: the story's copies that kept its furniture "
    "paragraph (7 related holders) outnumber the 4 unrelated ones, so the paragraph stays "
    "copy evidence and the rewrite is filed as a copy. Counting only related holders that "
    "share plain text beyond the paragraph fixes this case but cost a real copy on dev "
    "seed 10 (a quote-heavy copy whose only shared plain text is a paragraph of its story "
    "that three unrelated texts reuse): not adopted"))
def test_a_rewrite_sharing_furniture_with_a_widely_copied_story_is_not_a_copy():
    """The furniture rule's trade-off, checked: the report prints the letters paragraph and six
    outlets copy it whole, so seven texts of the story hold the paragraph; four unrelated
    stories print it too. A later report of the release trimmed to its quote and the same
    paragraph (TRIMMED_B: no sentence of the report's own) is a rewrite of the story, not a
    copy. Without the copies the paragraph is furniture (four unrelated holders against one)
    and it is; with them, related holders outnumber unrelated ones (3 copies are enough)."""
    copies = [article(f"c{i}", REPORT, 1 + i / 10, f"wire{i}") for i in range(6)]
    arts = furniture_background() + [article("report", REPORT, 0, "ledger")]
    rewrite = article("b", TRIMMED_B, 2, "courier")
    kept, dups = dedup_in_memory(arts + [rewrite])                        # control: no copies
    assert dups == [] and {a.article_id: a.story_id for a in kept}["b"] == "report"
    kept, dups = dedup_in_memory(arts + copies + [rewrite])
    assert sorted(d.article.article_id for d in dups) == [f"c{i}" for i in range(6)]
    assert {a.article_id: a.story_id for a in kept}["b"] == "report"      # a rewrite of it


# ---------------------------------------------------------------- quote-heavy wire copies

WINE_QUOTES = [
    ('"We have waited eleven years for this licence, and our growers in the Gironde are ready to '
     'ship the first containers of the new vintage to Shanghai before the end of the winter," '
     'said Mathilde Serreau, who chairs the Bordeaux wine council.'),
    ('"The Chinese buyers we met in Chengdu and Hangzhou want wines from small family estates, not '
     'only the great names, and the agreement finally lets those estates sell to them without a '
     'middleman in Hong Kong," she told reporters after the signing ceremony in Beijing.'),
    ('"Customs checks at the port will take days instead of weeks, which matters a great deal for '
     'a product that ages in the bottle and for the cash flow of estates that sell a few '
     'thousand cases a year," added Serreau, whose own family estate lies near Saint-Emilion.')]
WINE_LEDE = ("China has granted Bordeaux wine producers a direct export licence, ending a requirement "
             "to ship through importers registered in Hong Kong, the council said on Thursday.")
WINE = "\n".join(
    ["China opens door to small Bordeaux estates", WINE_LEDE] + WINE_QUOTES
    + ["The council expects exports to mainland China to grow by about a fifth next year, after "
       "three years of decline that followed the pandemic and a slump in banquet spending.",
       "Negotiations on the licence began during a state visit to Paris in 2019 and stalled twice "
       "over labelling rules for sparkling wines and spirits."])
# a regional paper's copy: its own headline and local paragraph, the lede re-edited, the three
# quotations as sent, the last two paragraphs cut
WINE_COPY = "\n".join(
    ["Gironde winemakers win direct route to Chinese buyers",
     "In the Entre-deux-Mers, where two hundred estates bottle their own wine, the cooperative of "
     "Targon said it would send a delegation to the Chengdu trade fair in March.",
     WINE_LEDE.replace("the council said on Thursday", "the wine council announced")] + WINE_QUOTES)
# another outlet's report of the announcement: its own sentences around two of the quotations
WINE_REWRITE = "\n".join(
    ["Beijing lifts Hong Kong detour for French wine",
     "Small wine estates around Bordeaux will be able to sell straight to mainland Chinese "
     "importers under a licence announced on Thursday, a change the trade has sought for more "
     "than a decade."] + WINE_QUOTES[:2]
    + ["Bordeaux sold about 40 million bottles to China in its best year, 2017, but volumes have "
       "since fallen by more than half, according to customs figures compiled by the council.",
       "Rival regions in Spain and Chile already enjoy similar arrangements."])


def test_a_quote_heavy_copy_that_shares_most_of_the_text_is_a_copy():
    """A wire copy of a story built on quotations keeps every quotation, but its plain text is
    mostly its own (headline, local paragraph) and its shared lede is re-edited: 6 of 19 plain
    hashes shared (0.32 < 0.35), at containment 0.76. It was filed as a rewrite before the
    copy_containment rule; a rewrite sharing two of the quotations (containment 0.51, no plain
    text shared) still is one."""
    from cfnews.transforms.dedup import decide, plain_containment, shared_with
    kept, dups = dedup_in_memory([article("wire", WINE, 0, "wire"),
                                  article("copy", WINE_COPY, 1, "courier"),
                                  article("rewrite", WINE_REWRITE, 2, "gazette")])
    assert [(d.article.article_id, d.canonical_id) for d in dups] == [("copy", "wire")]
    assert {a.article_id: a.story_id for a in kept} == {"wire": "wire", "rewrite": "wire"}
    # what the rule sees: most of the copy shared, a plain share between the two bars
    params = DedupParams()
    mo, ho = prepare(article("wire", WINE, 0, "wire"))
    mc, hc = prepare(article("copy", WINE_COPY, 1, "courier"))
    n, plain, n_quoted = shared_with(hc, ho)
    containment = similarity(mc, mo, n)[0]
    assert containment >= params.copy_containment and len(plain) >= params.min_plain_shared
    assert params.plain_of_copy <= plain_containment(mc, mo, len(plain)) < params.plain_containment
    assert decide(mc, [(mo, n, plain, n_quoted)], params).copy


def test_the_lower_plain_bar_needs_more_than_half_of_the_smaller_text_shared():
    """The lower bar (plain_of_copy) is for a pair that shares *most* of the smaller text: at
    exactly half, two briefs of one release that share its quotation and a few of its phrases
    (seeds 42, 163 and 188: trimmed copies of two reports, containment 0.500) stay
    rewrites; one shared hash more and the same plain share makes a copy."""
    from cfnews.transforms.dedup import decide
    params = DedupParams()
    earlier = Member(0, "e", 1, 0, (40, 20, 10, 5), plain=20)
    me = Member(10, "m", 2, 0, (40, 20, 10, 5), slot=1, plain=20)
    plain = copied_keys(5)                  # 5 of 20 plain hashes: between the two bars
    assert params.plain_of_copy <= 5 / 20 < params.plain_containment
    half = decide(me, [(earlier, 20, plain, 15)], params)              # containment 0.500
    assert half is not None and not half.copy and half.earlier_id == "e"
    assert decide(me, [(earlier, 21, plain, 16)], params).copy         # containment 0.525


STOCK = ", people familiar with the matter said."
# two outlets' briefs of the tram release: each its own headline with a stock attribution, the
# release's quote, a line of its own (seeds 178, 189 and 209's rewrite pairs)
BRIEF_A = (f"Hanjiang orders 42 trams from Orvane{STOCK}\n{QUOTE} said Claire Mauduit, chief "
           "executive of Orvane Rail.\nThe trams will run on the city's new Line 3 from 2028.")
BRIEF_B = (f"French tram maker wins a contract in China{STOCK}\n{QUOTE} said Claire Mauduit, chief "
           "executive of Orvane Rail.\nDeliveries of the 42 trams are due to begin in 2027.")


def two_briefs_sharing_a_quote(earlier: str, later: str):
    """Two outlets' texts of one release, the later one's (articles, their Members, the keys of
    the plain hashes it shares with the earlier one), checked to be the case the run veto
    decides: the quote makes most of the later text, and its plain text shared is exactly as much
    as the plain-text bar needs."""
    from cfnews.transforms.dedup import shared_with
    params = DedupParams()
    pair = [article("a", earlier, 0, "ledger"), article("b", later, 1, "courier")]
    (ma, ha), (mb, hb) = prepare(pair[0]), prepare(pair[1])
    n, plain, _ = shared_with(hb, ha)
    assert similarity(mb, ma, n)[0] > params.copy_containment
    assert len(plain) == params.min_plain_shared
    return pair, (ma, mb), plain


def stock_phrase_background():
    """Four unrelated stories of other outlets, each ending a sentence of its own with the
    stock phrase."""
    return furniture_background(paragraph="The ministry{i} will review the plan next week" + STOCK)


@pytest.mark.xfail(strict=True, reason=(
    "known limit (README, Copies vs rewrites): the stock phrase ends its line and the "
    "quotation follows, so its last shingle's run tag holds only words of the phrase; one of "
    "the two tagged keys the briefs share sits in one run, half, which the run veto lets "
    "pass (it vetoes below half: real re-edited wire copies share half of their tagged keys)"))
def test_two_briefs_of_a_release_sharing_only_a_stock_phrase_stay_rewrites():
    """Seed 178's rewrite pair: two outlets' briefs of one release, each its quotation and a
    line of its own, whose only shared plain text is a stock phrase (one that unrelated
    texts in the index print too). The phrase passes the plain-text bars; it stands among
    other words in each brief."""
    from cfnews.transforms.dedup import TAGGED, SAME_RUN, plain_containment
    params = DedupParams()
    pair, (ma, mb), plain = two_briefs_sharing_a_quote(BRIEF_A, BRIEF_B)
    # the stock phrase is the plain text shared
    assert plain_containment(mb, ma, len(plain)) >= params.plain_of_copy
    # ... with another run of words around it in each brief
    tagged = [p for p in plain if p & TAGGED]
    assert len(tagged) == 2 and sum(1 for p in tagged if p & SAME_RUN) == 1
    for background in ([], stock_phrase_background()):
        kept, dups = dedup_in_memory(background + pair)
        assert dups == []
        assert {a.article_id: a.story_id for a in kept}["b"] == "a"


# seed 355's pair: a brief that is its headline and the release's quote, and another outlet's
# report holding the same quote; both end a line with one attribution before the quotation
ATTRIBUTION = "Chinese state media said"
QUOTE_BRIEF = (f"Orvane wins in Hanjiang, analysts said, {ATTRIBUTION}.\n"
               f"{QUOTE} said Claire Mauduit, who heads the rail group.")
QUOTE_REPORT = (f"Orvane Rail has won its first tram order in Hanjiang, {ATTRIBUTION}.\n"
                "The French maker will assemble 42 trams at its plant in Changzhou, and the first "
                f"deliveries are due in 2027, {ATTRIBUTION}.\n"
                f"{QUOTE} said Claire Mauduit, the group's chief executive.")


@pytest.mark.xfail(strict=True, reason=(
    "known limit (README, Copies vs rewrites): the plain hashes the two share are the "
    "shingles that straddle the attribution and the quotation's first words (partly quoted: "
    "no run tag) and one tagged key, fewer than the run veto needs; the brief's plain text is "
    "too small for the plain-text bars to tell a rewrite from a copy"))
def test_a_brief_of_a_headline_and_a_quote_is_not_a_copy_of_another_report():
    """Seed 355's rewrite pair: the brief's only plain text is its headline; what it shares
    with the report beyond the quote is an attribution that ends a line before the same
    quotation."""
    from cfnews.transforms.dedup import TAGGED
    params = DedupParams()
    pair, _, plain = two_briefs_sharing_a_quote(QUOTE_REPORT, QUOTE_BRIEF)
    assert sum(1 for p in plain if p & TAGGED) < params.min_tagged_shared
    kept, dups = dedup_in_memory(pair)
    assert dups == []
    assert {a.article_id: a.story_id for a in kept}["b"] == "a"


COGNAC_A = ("Maison Veyrac will open boutiques in Beijing and Shenzhen by the end of next year, the "
            "cognac house announced on Tuesday in Jarnac.\nIts flagship will display a library of "
            "vintage cognacs more than eighty years old, next to a tasting bar and a workshop for "
            f"bottlers.\n{QUOTE} said Claire Mauduit, its chief executive.")
# another outlet's report of the release: its phrases of fact in sentences of its own
COGNAC_B = ("The Jarnac house, whose sales in China doubled last year, plans boutiques in Beijing "
            "and Shenzhen by the end of next year.\nVisitors will find a library of vintage cognacs "
            "more than eighty years old and a private salon upstairs for collectors.\n"
            f"{QUOTE} Claire Mauduit told reporters.")


def test_reports_that_reuse_a_releases_phrases_in_sentences_of_their_own_stay_rewrites():
    """Seed 228's pair: two reports of a release share its quotation and its phrases of fact
    (11 and 10 words long), 0.41 of the smaller plain part: above the plain bar, but in other
    sentences. A copy of the first, datelined and with one word changed, is a copy."""
    from cfnews.transforms.dedup import containment_threshold, plain_containment, shared_with
    params = DedupParams()
    (ma, ha), (mb, hb) = prepare(article("a", COGNAC_A)), prepare(article("b", COGNAC_B, 1))
    n, plain, _ = shared_with(hb, ha)
    assert plain_containment(mb, ma, len(plain)) >= params.plain_containment
    assert similarity(mb, ma, n)[0] >= containment_threshold(mb, ma, params)
    copy = "JARNAC (AFP) - " + COGNAC_A.replace("announced on Tuesday", "said on Tuesday")
    kept, dups = dedup_in_memory([article("a", COGNAC_A, 0, "ledger"),
                                  article("b", COGNAC_B, 1, "courier"),
                                  article("copy", copy, 2, "herald")])
    assert [(d.article.article_id, d.canonical_id) for d in dups] == [("copy", "a")]
    assert {a.article_id: a.story_id for a in kept} == {"a": "a", "b": "a"}


# What a fix for the limit above must keep: copies whose shared plain text holds a stock phrase.

def test_a_copy_that_shares_a_stock_phrase_is_still_a_copy():
    copy = BRIEF_A.replace("Hanjiang orders", "Chinese city of Hanjiang orders")
    kept, [dup] = dedup_in_memory(stock_phrase_background()
                                  + [article("a", BRIEF_A, 0, "ledger"),
                                     article("copy", copy, 1, "courier")])
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "a")


def test_a_copy_of_a_quote_heavy_text_whose_few_plain_hashes_hold_a_stock_phrase_is_a_copy():
    """A text that is its quotation and a short headline has few plain hashes: its copy
    shares them all, the stock phrase among them. Without the phrase fewer than
    min_plain_shared would be left, but they are most of the text's plain part (news-beyond-
    wall's press reviews and tribute lists are such texts)."""
    from cfnews.transforms.dedup import shared_with
    params = DedupParams()
    text = f"Orvane wins{STOCK}\n{QUOTE} said Claire Mauduit."
    pair = [article("a", text, 0, "ledger"), article("copy", "HANJIANG (AFP) - " + text, 1, "courier")]
    (ma, ha), (mc, hc) = prepare(pair[0]), prepare(pair[1])
    _, plain, _ = shared_with(hc, ha)
    assert len(plain) == ma.plain <= params.min_plain_shared + 1     # all of a's plain part
    kept, [dup] = dedup_in_memory(stock_phrase_background() + pair)
    assert (dup.article.article_id, dup.canonical_id) == ("copy", "a")


# ---------------------------------------------------------------- one outlet, days apart (issue 15)

def test_one_outlets_identical_texts_more_than_36_hours_apart_are_two_stories():
    """An outlet's daily template or a follow-up reusing the background is another story: the
    same text from one outlet two days later stays an article, with its own story_id."""
    text = words(0, 40)
    kept, dups = dedup_in_memory([article("mon", text, 0, "daily"),
                                  article("wed", text, 48, "daily")])
    assert dups == []
    assert sorted((a.article_id, a.cluster_id, a.story_id) for a in kept) == [
        ("mon", "mon", "mon"), ("wed", "wed", "wed")]


def test_one_outlets_copy_hours_apart_and_two_outlets_days_apart_are_still_copies():
    text = words(0, 40)
    _, [dup] = dedup_in_memory([article("first", text, 0, "daily"),
                                article("repost", text, 2, "daily")])
    assert (dup.article.article_id, dup.canonical_id) == ("repost", "first")
    # a wire story republished by another outlet three days later is a copy
    _, [dup] = dedup_in_memory([article("wire", text, 0, "agency"),
                                article("late", text, 72, "paper")])
    assert (dup.article.article_id, dup.canonical_id) == ("late", "wire")


def test_the_same_outlet_bound_is_36_hours():
    text = words(0, 40)
    minute = 1 / 60
    for hours, copy in ((36 - minute, True), (36, True), (36 + minute, False)):
        pair = [article("a", text, 0, "daily"), article("b", text, hours, "daily")]
        _, dups = dedup_in_memory(pair)
        assert bool(dups) is copy, hours
        # whichever of the two was seen first (an earlier run's article published later)
        _, dups = dedup_in_memory(pair, prior_ids=frozenset({"b"}))
        assert [d.article.article_id for d in dups] == (["a"] if copy else []), hours


def test_a_vetoed_pair_gives_no_story_link_while_another_outlet_copies_both():
    """Day 0 and day 3 of one outlet share a text: day 3 keeps its own story. Another
    outlet's copy an hour after day 3 is a copy of both (two outlets: no bound), filed under
    the earliest."""
    text = words(0, 40)
    arts = [article("day0", text, 0, "daily"), article("day3", text, 72, "daily"),
            article("copy", text, 73, "paper")]
    kept, [dup] = dedup_in_memory(arts)
    assert (dup.article.article_id, dup.canonical_id, dup.matched_id) == ("copy", "day0", "day0")
    assert sorted((a.article_id, a.story_id) for a in kept) == [("day0", "day0"), ("day3", "day3")]


def test_beam_transform_applies_the_same_outlet_bound_as_in_memory():
    text = words(0, 40)
    arts = [article("mon", text, 0, "daily"), article("wed", text, 48, "daily"),
            article("mon2", text, 2, "daily"), article("thu", text, 72, "paper")]
    expected_kept, expected_dups = dedup_in_memory(arts)
    assert sorted(a.article_id for a in expected_kept) == ["mon", "wed"]

    def check(p):
        kept, dups = p | beam.Create(arts) | DeduplicateArticles()
        assert_that(kept, equal_to(expected_kept), label="kept")
        assert_that(dups, equal_to(expected_dups), label="dups")
    _run(check)


# One wire story in Traditional Chinese (as CNA writes it) and its Simplified republication (as
# RFI's or the Epoch Times' Chinese services carry it), both written out by hand for the test.
CNA_TRADITIONAL = """中央社記者報道，法國總統馬克龍週三在巴黎愛麗舍宮會見來訪的中國國務院副總理。
雙方就中法經貿合作、航空工業和農產品出口等議題交換意見。
馬克龍表示，法國願意與中國加強在氣候變化和生物多樣性領域的合作。
中方代表說，中國歡迎更多法國企業到中國投資，並將繼續擴大市場開放。
兩國官員還簽署了多項協議，內容涉及核能、航天和文化交流。
據法國外交部消息，雙方同意明年在北京舉行新一輪高級別經濟財金對話。
分析人士認為，這次會見顯示兩國在歐洲與中國關係緊張之際仍希望維持穩定的雙邊關係。
法國葡萄酒和干邑白蘭地業者關注中國的反傾銷調查，希望談判能夠帶來轉機。
馬克龍在會見後對記者說，對話是解決分歧的最好方式。
這是中國高層官員今年第三次訪問法國。"""
RFI_SIMPLIFIED = """中央社记者报道，法国总统马克龙周三在巴黎爱丽舍宫会见来访的中国国务院副总理。
双方就中法经贸合作、航空工业和农产品出口等议题交换意见。
马克龙表示，法国愿意与中国加强在气候变化和生物多样性领域的合作。
中方代表说，中国欢迎更多法国企业到中国投资，并将继续扩大市场开放。
两国官员还签署了多项协议，内容涉及核能、航天和文化交流。
据法国外交部消息，双方同意明年在北京举行新一轮高级别经济财金对话。
分析人士认为，这次会见显示两国在欧洲与中国关系紧张之际仍希望维持稳定的双边关系。
法国葡萄酒和干邑白兰地业者关注中国的反倾销调查，希望谈判能够带来转机。
马克龙在会见后对记者说，对话是解决分歧的最好方式。
这是中国高层官员今年第三次访问法国。"""
OTHER_SIMPLIFIED = """德国总理周四在柏林会见来访的日本首相，双方讨论了半导体供应链和能源安全问题。
两国同意加强在氢能和电动汽车电池领域的研究合作，并计划明年举行联合演习。
日本首相表示，日本希望与欧洲国家共同维护以规则为基础的国际秩序。
德国方面说，柏林将继续推动欧盟与日本的经济伙伴关系协定落实。
分析人士指出，德日两国都面临出口放缓和人口老龄化的挑战。
双方还就乌克兰局势和中东冲突交换了意见，并呼吁各方保持克制。
会谈后，两国领导人共同参观了一家汽车零部件工厂。
这是日本首相上任以来第一次访问德国。"""


def test_one_wire_story_in_both_chinese_scripts_is_one_text():
    """A Traditional wire story and its Simplified republication by another outlet an hour
    later are copies (the fingerprint reads Traditional characters as Simplified); another
    Simplified story is not."""
    from cfnews.transforms.fingerprint import fingerprint
    first = article("00000000000000c1", CNA_TRADITIONAL, 0, "cna")
    copy = article("00000000000000c2", RFI_SIMPLIFIED, 1, "rfi")
    other = article("00000000000000c3", OTHER_SIMPLIFIED, 2, "rfi")
    assert fingerprint(CNA_TRADITIONAL) == fingerprint(RFI_SIMPLIFIED)
    kept, dups = dedup_in_memory([first, copy, other])
    assert [(d.article.article_id, d.matched_id, d.method) for d in dups] == [
        (copy.article_id, first.article_id, "near_duplicate")]
    assert {a.article_id for a in kept} == {first.article_id, other.article_id}
