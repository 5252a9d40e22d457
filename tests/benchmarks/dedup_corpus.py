"""The labelled pairs for dedup_eval.py, generated deterministically from a seed.

Real text: the gold bodies of ../shared/corpora/extraction-benchmark (181 pages, ~90 outlets
with two pages each) and the five seeds. From each story we make syndicated copies the way
outlets re-publish wire copy:

  headline line rewritten or added; dateline and byline changed; tail trimmed; paragraphs
  added (local context), repeated, moved to the top; lede re-written; paragraphs merged or
  split; style edits (U.S./US, toward/towards, percent/%, said on Thursday, -ize/-ise,
  synonyms such as burst/flurry, a word or sentence dropped or a clause added); typography
  (curly/straight quotes, dashes, no-break spaces, zero-width characters, decomposed accents);
  site furniture at the end or in the middle (related-links lists, copyright, newsletter and
  membership prompts, photo credits, "Advertisement").

Positive pairs:
  syndicated          two outlets' copies of one story (or the wire original and a copy);
  same_outlet_update  one outlet re-posting its story under a new URL, edited;
  seeds_002_004       the real pair.
Negative pairs, mostly hard:
  same_outlet         two different stories from one outlet (real pairs from one site), dressed
                      with that outlet's furniture;
  seeds               the real same-event seeds (000, 001, 002|004, 003), plain and syndicated;
  same_event          two stories with the same people and places (names transplanted) and
                      one shared quote paragraph;
  shared_background   two stories carrying the same stock background paragraph(s);
  shared_furniture    two short stories from one outlet with its long furniture (some of it
                      not caught by the furniture patterns);
  chain_furniture     two short stories from two papers of one chain: the same furniture
                      template with the paper's name swapped;
  random              two unrelated stories, both syndicated.
Story pairs (`story_pairs`, from data/story_families.jsonl: written for this evaluation, see
data/STORY_FAMILIES.md): per family, a press release, three reports of it written
independently by different outlets (same facts, a shared quote, their own sentences) and one
story on the same event that is not a report of the release:
  rewrite             release-report or report-report, plain or each syndicated by another
                      outlet: NOT duplicates, but the same story;
  family_copy         a syndicated copy of a family text: a duplicate (and the same story);
  same_event_story    the other story against the release or a report: neither.
Shared text in a negative pair is kept to at most a quarter of the shorter story (before
syndication edits). `stream_docs` is a news stream for the throughput figures."""
from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from tests.benchmarks.common import SHARED, gold_bodies

SEEDS = SHARED / "seeds"
MIN_BASE_WORDS = 60


@dataclasses.dataclass(frozen=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    kind: str
    same_story: bool = None     # None: not labelled (the wire-copy sets); a copy is the same story
    story: str = ""             # a copy pair's base story (its key): copies of one story are not independent


@dataclasses.dataclass(frozen=True)
class Story:
    key: str
    outlet: str
    paragraphs: Tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def paragraphs(text: str) -> Tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"\n+", text) if p.strip())


def load_stories() -> Tuple[List[Story], Dict[str, Story]]:
    import json
    from urllib.parse import urlsplit
    truth = json.loads((SHARED / "corpora" / "extraction-benchmark" / "ground-truth.json").read_text())
    stories = []
    for key, body in sorted(gold_bodies().items()):
        host = (urlsplit(truth[key]["url"]).hostname or "x").removeprefix("www.")
        stories.append(Story(key, host, paragraphs(body)))
    seeds = {p.name[:3]: Story("seed" + p.name[:3], "seed", paragraphs(p.read_text("utf-8")))
             for p in sorted(SEEDS.glob("*.txt"))}
    return stories, seeds


# ------------------------------------------------------------------ edit vocabulary

CITIES = ["BEIJING", "PARIS", "SHANGHAI", "WASHINGTON", "LONDON", "BRUSSELS", "HONG KONG",
          "NEW YORK", "TOKYO", "BERLIN", "GENEVA", "MOSCOW", "SEOUL", "LYON", "MARSEILLE"]
AGENCIES = ["AP", "Reuters", "AFP", "Xinhua", "Bloomberg", "dpa", "Kyodo"]
NAMES = ["Jane Doe", "Li Wei", "Marie Dubois", "John Smith", "Chen Jing", "Pierre Martin",
         "Sarah Johnson", "Wang Fang", "Thomas Bernard", "Emily Chen", "Ahmed Khan", "Ana Silva"]
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
          "Nov.", "Dec."]

# (pattern, replacement): house-style differences between outlets, in both directions.
_DAY = r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
STYLE = [
    (r"\bU\.S\.", "US"), (r"\bUS\b", "U.S."), (r"\bU\.K\.", "UK"), (r"\bUK\b", "U.K."),
    (r"\bU\.N\.", "UN"), (r"\btoward\b", "towards"), (r"\btowards\b", "toward"),
    (r"\bpercent\b", "per cent"), (r"(\d) percent\b", r"\1%"), (r"(\d)%", r"\1 percent"),
    (rf"\bsaid {_DAY}\b", r"said on \1"), (rf"\bsaid on {_DAY}\b", r"said \1"),
    (r"\bburst\b", "flurry"), (r"\bflurry\b", "burst"), (r"\bplan\b", "proposal"),
    (r"\bfocusing\b", "focused"), (r"\bbig\b", "large"), (r"\bmajor\b", "key"),
    (r"\bhelp\b", "assist"), (r"\bbuy\b", "purchase"), (r"\bstart\b", "begin"),
    (r"\babout\b", "around"), (r"\bmore than\b", "over"), (r"\bhowever\b", "but"),
    (r"\bpeople\b", "individuals"), (r"\bshow\b", "demonstrate"), (r"\bthe company\b", "the firm"),
    (r"\b(\w{3,})ize\b", r"\1ise"), (r"\b(\w{3,})ization\b", r"\1isation"),
    (r"\b(col|hon|fav|lab|neighb|behavi|harb|rum)or(s?)\b", r"\1our\2"),
    (r"(\d),(\d{3})\b", r"\1\2"), (r"\$(\d+) million\b", r"$\1m"),
    (r"\bcannot\b", "can not"), (r"\bdid not\b", "didn't"), (r"\bdoes not\b", "doesn't"),
    (r"\bSept\.", "Sep."), (r"\bMr\. ", "Mr "), (r"\bMrs\. ", "Mrs "),
]
FILLER = ["also", "very", "now", "still", "just", "already", "recently", "currently"]
CLAUSES = [", officials said", ", according to local media", ", the statement said",
           ", people familiar with the matter said", " on Monday", ", analysts said"]

FURNITURE = [
    # caught by the furniture patterns
    "Copyright {year} The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed without permission.",
    "(Reporting by {name}; Additional reporting by {name2}; Editing by {name3})",
    "Sign up for our daily newsletter to get the top stories delivered every morning.",
    "Follow us on Facebook, Twitter and Instagram for the latest updates.",
    "© {year} {outlet}. All rights reserved.",
    "Read more: {headline}",
    "Photo: {agency}/{name}",
    "Click here to subscribe to our breaking news alerts.",
    # not caught by them: must not make two stories look alike either
    "{outlet} is an independent newsroom. Support our journalism by becoming a member today: "
    "members get unlimited access to our reporting, the weekly digest and invitations to "
    "events with our editors and correspondents.",
    "Get the best of {outlet} delivered straight to your inbox every weekday morning, with "
    "the stories our editors think you should not miss and the analysis behind them.",
    "We want to hear from you. Tell us how this story affects you and your community by "
    "writing to our newsroom; a selection of letters is published every Sunday.",
    "Thank you for reading {outlet}. Our reporters cover the world every day so that you do "
    "not have to search for the news that matters to you.",
]
LINK_NAMES = ["Associated Press US and World News Video", "Boston Herald", "ClickOrlando",
              "New York Post", "America News", "AlterNet", "Reuters US Top", "Chicago Tribune",
              "The Atlantic", "Cleveland Jewish News", "Most Read", "Trending Now", "More from World",
              "Latest Videos", "Top Stories", "Editor's Picks", "World", "Business", "Opinion"]


def _sentences(paragraph: str) -> List[str]:
    return [s for s in re.split(r"(?<=[.!?\u3002])\s+", paragraph) if s]


def style_edit(sentence: str, rng: random.Random) -> str:
    for pattern, replacement in rng.sample(STYLE, len(STYLE)):
        if re.search(pattern, sentence):
            return re.sub(pattern, replacement, sentence, count=1)
    words = sentence.split(" ")
    roll = rng.random()
    if roll < 0.4 and len(words) > 6:           # drop a word
        del words[rng.randrange(1, len(words) - 1)]
        return " ".join(words)
    if roll < 0.7 and len(words) > 3:           # add a filler word
        words.insert(rng.randrange(1, len(words)), rng.choice(FILLER))
        return " ".join(words)
    return sentence.rstrip(".") + rng.choice(CLAUSES) + "."


def typography(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text).replace("'", "\u2019")
    elif roll < 0.6:
        text = (text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
                .replace("\u2014", "--").replace("\u2013", "-"))
    if rng.random() < 0.3:
        text = re.sub(r"(\d) (percent|million|billion|km)", "\\1\u00a0\\2", text)
        text = text.replace(" - ", "\u00a0\u2014 ")
    if rng.random() < 0.15:
        text = unicodedata.normalize("NFD", text)
    if rng.random() < 0.1:
        words = text.split(" ")
        for _ in range(max(1, len(words) // 80)):
            i = rng.randrange(len(words))
            words[i] = words[i][:1] + "\u200b" + words[i][1:]
        text = " ".join(words)
    return text


@dataclasses.dataclass
class Outlet:
    """How one re-publishing outlet dresses a story."""
    name: str
    dateline_style: int
    byline: str
    furniture: Tuple[str, ...]
    inline_ads: bool


OUTLET_WORDS = (["Daily", "Metro", "Asia", "Evening", "Valley", "Global", "Morning", "Pacific",
                 "Capital", "Coastal", "National", "Channel 7"],
                ["Gazette", "Herald", "Courier", "Post", "News", "Times Online", "Observer",
                 "Chronicle", "Tribune", "Journal", "Review"])
UNCAUGHT = FURNITURE[8:]


def make_outlet(rng: random.Random, avoid: str = "", furniture: Sequence[str] = None) -> Outlet:
    name = avoid
    while name == avoid:
        name = f"The {rng.choice(OUTLET_WORDS[0])} {rng.choice(OUTLET_WORDS[1])}"
    fields = dict(year=rng.choice([2019, 2024, 2025]), name=rng.choice(NAMES),
                  name2=rng.choice(NAMES), name3=rng.choice(NAMES), outlet=name,
                  agency=rng.choice(AGENCIES), headline="Markets close higher as investors weigh rates")
    if furniture is None:
        furniture = []
        if rng.random() < 0.6:
            furniture += rng.sample(FURNITURE, rng.randint(1, 3))
        if rng.random() < 0.4:
            furniture += rng.sample(LINK_NAMES, rng.randint(4, 10))
    byline = rng.choice(["", f"By {rng.choice(NAMES)}", f"By {rng.choice(NAMES).upper()}, "
                         f"{rng.choice(AGENCIES)}", f"{rng.choice(NAMES)} | {name}", "Staff and agencies"])
    return Outlet(name, rng.randrange(4), byline, tuple(f.format(**fields) for f in furniture),
                  rng.random() < 0.15)


def dateline(style: int, rng: random.Random) -> str:
    city, agency = rng.choice(CITIES), rng.choice(AGENCIES)
    month, day = rng.choice(MONTHS), rng.randint(1, 28)
    return ["", f"{city} ({agency}) \u2014 ", f"{city.title()}, {month} {day} ({agency}) - ",
            f"{city}, {month} {day} ({agency}) -- "][style]


def headline_for(paragraphs_: Sequence[str], rng: random.Random) -> str:
    words = re.findall(r"[^\W_]+", paragraphs_[0])[:rng.randint(6, 12)]
    rng.shuffle(words)
    return " ".join(w.capitalize() for w in words)


def syndicate(story: Story, rng: random.Random, outlet: Outlet, pool: Sequence[Story],
              light: bool = False, trim: bool = True) -> str:
    """One outlet's copy of a story. `light`: few edits, no structural change; `trim`: the
    tail may be cut (off for negatives whose shared share must stay bounded)."""
    paras = list(story.paragraphs)
    n_words = story.words
    if trim and not light and rng.random() < 0.55 and len(paras) > 2:  # trim the tail
        keep_words = n_words * rng.uniform(0.3, 0.9)
        kept, total = [], 0
        for p in paras:
            if total >= keep_words and len(kept) >= 2:
                break
            kept.append(p)
            total += len(p.split())
        paras = kept
    if not light and rng.random() < 0.15 and len(paras) > 3:         # a later paragraph leads
        paras.insert(0, paras.pop(rng.randrange(2, len(paras))))
    if not light and rng.random() < 0.2:                             # lede re-written
        paras[0] = " ".join(style_edit(s, rng) for s in _sentences(style_edit(paras[0], rng)))
    rate = rng.uniform(0.03, 0.1 if light else 0.3)                  # sentence-level edits
    edited = []
    for p in paras:
        sentences = _sentences(p)
        if not light and len(sentences) > 2 and rng.random() < 0.08:
            del sentences[rng.randrange(len(sentences))]
        edited.append(" ".join(style_edit(s, rng) if rng.random() < rate else s for s in sentences))
    paras = edited
    if not light and rng.random() < 0.4:                             # local paragraphs added
        other = rng.choice(pool)
        budget = max(20, int(0.5 * sum(len(p.split()) for p in paras)))
        for p in rng.sample(other.paragraphs, min(3, len(other.paragraphs))):
            if len(p.split()) <= budget:
                paras.insert(rng.randrange(1, len(paras) + 1), p)
                budget -= len(p.split())
    if rng.random() < 0.2 and len(paras) > 1:                        # a paragraph repeated
        paras.insert(rng.randrange(len(paras)), rng.choice(paras))
    if rng.random() < 0.3 and len(paras) > 2:                        # reflow
        i = rng.randrange(len(paras) - 1)
        if rng.random() < 0.5:
            paras[i:i + 2] = [paras[i] + " " + paras[i + 1]]
        else:
            s = _sentences(paras[i])
            if len(s) > 1:
                cut = rng.randrange(1, len(s))
                paras[i:i + 1] = [" ".join(s[:cut]), " ".join(s[cut:])]
    if outlet.inline_ads and len(paras) > 3:
        paras.insert(len(paras) // 2, rng.choice(["Advertisement", "Story continues below advertisement",
                                                  "ADVERTISEMENT"]))
    paras[0] = dateline(outlet.dateline_style, rng) + paras[0]
    head = []
    if rng.random() < 0.4:
        head.append(headline_for(paras, rng).upper() if rng.random() < 0.1 else headline_for(paras, rng))
    if outlet.byline:
        head.append(outlet.byline)
    return typography("\n".join(head + paras + list(outlet.furniture)), rng)


# ------------------------------------------------------------------ hard negatives

_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+|[A-Z]{2,})\b")


def transplant_names(text: str, donor_names: Sequence[str], rng: random.Random) -> str:
    """Replace the names in `text` with names from the other story: same people and places."""
    if not donor_names:
        return text
    return _NAME.sub(lambda m: rng.choice(donor_names), text)


def _shared_block(source: Story, limit_words: int, rng: random.Random) -> List[str]:
    candidates = [p for p in source.paragraphs if 8 <= len(p.split()) <= limit_words]
    if not candidates:
        return []
    block = [rng.choice(candidates)]
    spare = limit_words - len(block[0].split())
    extra = [p for p in candidates if p not in block and len(p.split()) <= spare]
    if extra and rng.random() < 0.5:
        block.append(rng.choice(extra))
    return block


def _with_insert(story: Story, block: Sequence[str], rng: random.Random, key: str) -> Story:
    paras = list(story.paragraphs)
    for p in block:
        paras.insert(rng.randrange(1, len(paras) + 1), p)
    return Story(key, story.outlet, tuple(paras))


def _is_english(story: Story) -> bool:
    words = " ".join(story.paragraphs).lower().split()
    return sum(w in ("the", "and", "of", "to", "in") for w in words) > 0.08 * len(words)


@dataclasses.dataclass(frozen=True)
class Doc:
    text: str
    outlet: str


def build(seed: int, positives_per_story: int = 2, n_same_outlet_updates: int = 40,
          n_same_event: int = 700, n_background: int = 700, n_furniture: int = 400,
          n_chain_furniture: int = 200, n_random: int = 900):
    """(docs by id, pairs)."""
    rng = random.Random(seed)
    stories, seeds = load_stories()
    bases = [s for s in stories if s.words >= MIN_BASE_WORDS]
    english = [s for s in bases if s.words >= 100 and _is_english(s)]
    docs: Dict[str, Doc] = {}
    pairs: List[Pair] = []

    def add(text: str, outlet: str) -> str:
        doc_id = f"d{len(docs):05d}"
        docs[doc_id] = Doc(text, outlet)
        return doc_id

    def copy(story: Story, outlet: Outlet = None, light: bool = False, trim: bool = True) -> str:
        outlet = outlet or make_outlet(rng)
        return add(syndicate(story, rng, outlet, bases, light, trim), outlet.name)

    def original(story: Story, outlet: str = "wire") -> str:
        return add("\n".join(story.paragraphs), outlet)

    # positives: copies of one story by two outlets (or the wire original and a copy) ...
    for story in bases + [seeds["002"], seeds["004"]]:
        for _ in range(positives_per_story):
            first = make_outlet(rng)
            a = original(story) if rng.random() < 0.25 else copy(story, first, light=rng.random() < 0.3)
            pairs.append(Pair(a, copy(story, make_outlet(rng, avoid=first.name)), True, "syndicated",
                              story=story.key))
    pairs.append(Pair(original(seeds["002"], "ap"), original(seeds["004"], "cnn"), True, "seeds_002_004",
                      story=seeds["002"].key))
    # ... and one outlet re-posting its story under a new URL, updated
    for story in rng.sample(bases, n_same_outlet_updates):
        outlet = make_outlet(rng)
        pairs.append(Pair(copy(story, outlet, light=True), copy(story, outlet), True, "same_outlet_update",
                          story=story.key))

    # same outlet, different stories (real pairs from one site), dressed alike
    by_outlet: Dict[str, List[Story]] = {}
    for s in stories:
        by_outlet.setdefault(s.outlet, []).append(s)
    for group in by_outlet.values():
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                for _ in range(2):
                    outlet = make_outlet(rng)
                    pairs.append(Pair(copy(group[i], outlet), copy(group[j], outlet), False, "same_outlet"))

    # the seeds: same event, different stories (real)
    plain = {k: original(s, f"seed{k}") for k, s in seeds.items()}
    for a, b in [("000", "001"), ("000", "002"), ("000", "003"), ("001", "002"), ("001", "003"),
                 ("002", "003"), ("000", "004"), ("001", "004"), ("003", "004")]:
        pairs.append(Pair(plain[a], plain[b], False, "seeds"))
        pairs.append(Pair(copy(seeds[a]), copy(seeds[b]), False, "seeds"))

    def two_stories(pool):
        a, b = rng.sample(pool, 2)
        return (a, b) if a.words <= b.words else (b, a)

    # same event: one story's names in the other, one shared quote paragraph
    for n in range(n_same_event):
        short, long_ = two_stories(english)
        block = _shared_block(long_, short.words // 4, rng)
        names = sorted(set(_NAME.findall("\n".join(long_.paragraphs))))
        b = Story(f"ev{n}", short.outlet, tuple(transplant_names(p, names, rng) for p in short.paragraphs))
        b = _with_insert(b, block, rng, b.key)
        first = make_outlet(rng)
        pairs.append(Pair(copy(long_, first, trim=False), copy(b, make_outlet(rng, first.name), trim=False),
                          False, "same_event"))

    # the same stock background paragraph(s) in two different stories
    for n in range(n_background):
        a, b = two_stories(bases)
        block = _shared_block(rng.choice(bases), a.words // 4, rng)
        pairs.append(Pair(copy(_with_insert(a, block, rng, f"bga{n}"), trim=False),
                          copy(_with_insert(b, block, rng, f"bgb{n}"), trim=False),
                          False, "shared_background"))

    # two short stories from one outlet, with its long furniture (some not caught by patterns)
    short_bases = sorted(bases, key=lambda s: s.words)[:60]
    for _ in range(n_furniture):
        a, b = two_stories(short_bases)
        outlet = make_outlet(rng, furniture=rng.sample(FURNITURE, 2) + rng.sample(LINK_NAMES, 6))
        pairs.append(Pair(copy(a, outlet), copy(b, outlet), False, "shared_furniture"))
    # ... and from two outlets of one chain: the same template, the paper's name swapped
    for _ in range(n_chain_furniture):
        a, b = two_stories(short_bases)
        template = rng.sample(UNCAUGHT, 1)
        first = make_outlet(rng, furniture=template)
        pairs.append(Pair(copy(a, first), copy(b, make_outlet(rng, first.name, furniture=template)),
                          False, "chain_furniture"))

    for _ in range(n_random):
        a, b = two_stories(bases)
        pairs.append(Pair(copy(a), copy(b), False, "random"))
    return docs, pairs


def stream_docs(seed: int, copies: int = 2, fortnights: int = 4) -> List[Tuple[str, Doc, int]]:
    """A news stream for throughput: every story once plus `copies` syndicated copies,
    repeated `fortnights` times 15 days apart (beyond the 14-day expiry, so the repeats
    do not match each other). (doc id, doc, hours from the start)."""
    rng = random.Random(seed)
    stories, seeds = load_stories()
    stories = stories + list(seeds.values())
    out = []
    for f in range(fortnights):
        for i, story in enumerate(stories):
            hours = f * 24 * 15 + i % 240
            out.append((f"{f}-{story.key}-0", Doc("\n".join(story.paragraphs), story.outlet), hours))
            for c in range(1, copies + 1):
                outlet = make_outlet(rng)
                out.append((f"{f}-{story.key}-{c}",
                            Doc(syndicate(story, rng, outlet, stories), outlet.name), hours + c))
    return out


# ------------------------------------------------------------------ copies vs rewrites

FAMILIES = Path(__file__).parent / "data" / "story_families.jsonl"


def load_families() -> List[dict]:
    import json
    return [json.loads(line) for line in FAMILIES.read_text("utf-8").splitlines() if line.strip()]


def story_pairs(seed: int, copies_per_text: int = 2):
    """(docs by id, pairs) of the story families: rewrites (not duplicates, same story),
    copies (duplicates, same story) and same-event other stories (neither)."""
    import itertools
    rng = random.Random(seed)
    stories, _ = load_stories()
    pool = [s for s in stories if s.words >= MIN_BASE_WORDS]
    docs: Dict[str, Doc] = {}
    pairs: List[Pair] = []
    family_texts = load_families()
    copies: Dict[str, List[str]] = {}
    for t in family_texts:
        docs[t["doc_id"]] = Doc(t["text"], t["outlet"])
        story = Story(t["doc_id"], t["outlet"], paragraphs(t["text"]))
        copies[t["doc_id"]] = []
        for n in range(copies_per_text):
            outlet = make_outlet(rng, avoid=t["outlet"])
            copy_id = f"{t['doc_id']}-c{n}"
            docs[copy_id] = Doc(syndicate(story, rng, outlet, pool), outlet.name)
            copies[t["doc_id"]].append(copy_id)
            pairs.append(Pair(t["doc_id"], copy_id, True, "family_copy", True))
    for a, b in itertools.combinations(family_texts, 2):
        if a["family"] != b["family"]:
            continue
        if "other_story" in (a["role"], b["role"]):
            pairs.append(Pair(a["doc_id"], b["doc_id"], False, "same_event_story", False))
            continue
        pairs.append(Pair(a["doc_id"], b["doc_id"], False, "rewrite", True))
        pairs.append(Pair(copies[a["doc_id"]][0], copies[b["doc_id"]][1], False, "rewrite", True))
    return docs, pairs
