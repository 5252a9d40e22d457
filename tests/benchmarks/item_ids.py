"""Item ids as story links on real URLs, and what they cost (issue 15).

    python tests/benchmarks/item_ids.py links [--show]
    python tests/benchmarks/item_ids.py figures [--read N] [--seed S] [--show] [--write]
    python tests/benchmarks/item_ids.py bar [--half dev|test]
    python tests/benchmarks/item_ids.py timing --against OTHER_CHECKOUT [--rounds R]

Data: the posts of news-beyond-wall (/work/.mirror/NodeBE4+news-beyond-wall; each post keeps
the outlet's own URL, `from:`, and its publication time) of the outlets whose feeds.yaml entry
gives an `item_id` rule (dw-zh: Deutsche Welle's Chinese service, 德国之声), one article per
canonical URL as the exact stage leaves them, the item id by the outlet's rule.

`links`: the production near-duplicate path (`dedup_in_memory`: index, `decide`, chains) with
and without the item ids: articles, duplicates, the articles whose story the item id changes,
and what the read pairs (tests/benchmarks/data/item_ids_read.tsv) become, per label, time
apart and half of the file (dev: its odd data rows, test: its even ones).

`figures`: the pairs an item id makes (each later article of an item with the item's first),
by time apart, whether the text rule alone files the later one as a copy, and N pairs drawn
at random (seeded) plus every pair the text rule does not file, for reading; `--write` stores
them in the read file, keeping the labels given by hand (`same_text`, `new_development`).

`bar`: the containment of the read pairs the text rule left apart, per label, on one half of
the read file: whether a looser copy bar for same-id pairs could file the edited texts and no
rewritten page (it cannot: studied on dev, the test half alike; tests/benchmarks/RESULTS.md).

`timing`: the in-memory dedup over those articles (with their item ids where the tree has
them), one fresh process per tree and round, alternating, medians of CPU seconds (and wall):
this tree against another checkout (with its .venv).
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, HERE)

CACHE = "/tmp/cfnews-item-ids-entries.tsv"
READ = os.path.join(HERE, "tests", "benchmarks", "data", "item_ids_read.tsv")
OUTLET_OF = {"德国之声": "dw-zh"}          # news-beyond-wall category -> feeds.yaml outlet


def _field(head: str, key: str) -> str:
    m = re.search(r"^%s:[ \t]*(.*?)[ \t]*$" % key, head, re.M)
    return m.group(1).strip().strip('"').strip() if m else ""


def corpus_rows():
    """(outlet, url, canonical url, article id, published ISO, path) of every news-beyond-wall
    post with a usable URL and time; cached in /tmp (canonical forms take a while)."""
    if os.path.exists(CACHE):
        with open(CACHE, encoding="utf-8") as handle:
            return [tuple(r) for r in csv.reader(handle, delimiter="\t")]
    import datetime as dt
    from tests.data.relevance import sources
    from cfnews.transforms.urls import article_id_for, canonical_url
    outlets = {}
    rows = []
    for path, raw in sources._posts(sources.NEWS_BEYOND_WALL):
        head = raw[4:].partition("\n---\n")[0] if raw.startswith("---\n") else ""
        url, date = _field(head, "from"), _field(head, "date")
        category = re.search(r"^categories:\s*\[\s*(.*?)\s*\]", head, re.M)
        if not url or not category:
            continue
        try:
            when = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
            canonical = canonical_url(url)
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        name = category.group(1)
        outlet = OUTLET_OF.get(name) or outlets.setdefault(name, f"nbw-{len(outlets):02d}")
        rows.append((outlet, url, canonical, article_id_for(canonical), when.isoformat(), path))
    with open(CACHE, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)
    return rows


def shipped_rules():
    """The item_id rules feeds.yaml gives."""
    from cfnews.pipeline.feeds_file import parse_feeds
    with open(os.path.join(HERE, "feeds.yaml"), encoding="utf-8") as handle:
        return {f.outlet: f.item_id_rule for f in parse_feeds(handle.read()) if f.item_id_rule}


def text_stage_copy(first, later, texts) -> bool:
    import datetime as dt
    from cfnews.schemas import Article
    from cfnews.transforms.dedup import dedup_in_memory
    arts = []
    for row in (first, later):
        when = dt.datetime.fromisoformat(row[4])
        title, text = texts[row[3]]
        arts.append(Article(article_id=row[3], url=row[1], canonical_url=row[2], outlet=row[0],
                            feed_url="", entry_id=row[1], title=title, text=text,
                            discovered_at=when, published_at=when))
    _, dups = dedup_in_memory(arts)
    return any(d.article.article_id == later[3] for d in dups)


def post_text(path: str) -> tuple:
    from tests.data.relevance import sources
    raw = sources._git(sources.NEWS_BEYOND_WALL, "show", f"HEAD:{path}").decode("utf-8", "replace")
    item = sources.post_item("nbw/", path, raw)
    return item.title, item.text


class Pair:
    """A later article of an item (`article_id`) and the item's first (`canonical_id`)."""

    def __init__(self, first: str, later: str):
        self.canonical_id, self.later_id = first, later


def item_id_of(rule: str, canonical_url: str) -> str:
    """The item id by `rule`, as cfnews finds it (transforms/urls.py; a tree before the item
    link has it in transforms/dedup.py)."""
    try:
        from cfnews.transforms.urls import item_id_of as found
    except ImportError:
        from cfnews.transforms.dedup import item_id_of as found
    return found(rule, canonical_url)


def item_pairs(rows, rules):
    """(first, later) article ids of every item with several canonical URLs: one article per
    canonical URL (the first published), each later one paired with the item's first."""
    by_item = collections.defaultdict(list)
    seen = set()
    for r in sorted(rows, key=lambda r: (r[4], r[5])):
        item = item_id_of(rules[r[0]], r[2])
        if item and r[3] not in seen:
            seen.add(r[3])
            by_item[(r[0], item)].append(r[3])
    return [Pair(ids[0], later) for ids in by_item.values() for later in ids[1:]]


def figures(args):
    import datetime as dt
    rules = shipped_rules()
    rows = [r for r in corpus_rows() if r[0] in rules]
    by_id = {r[3]: r for r in rows}
    print(f"posts of the configured outlets ({', '.join(sorted(rules))}): {len(rows)}, "
          f"{len({r[3] for r in rows})} canonical URLs")
    item_dups = sorted(item_pairs(rows, rules), key=lambda d: (d.canonical_id, d.later_id))
    print(f"  later articles of an item (paired with its first): {len(item_dups)}")
    gaps = [abs(dt.datetime.fromisoformat(by_id[d.later_id][4])
                - dt.datetime.fromisoformat(by_id[d.canonical_id][4])) for d in item_dups]
    bands = collections.Counter("<= 1 day" if g <= dt.timedelta(days=1) else
                                "1-14 days" if g <= dt.timedelta(days=14) else "> 14 days"
                                for g in gaps)
    print(f"  pairs by time apart: {dict(sorted(bands.items()))}")
    # would the text stage (production near-duplicate decision, the pair alone) have filed the
    # later post as a copy of the first anyway?
    texts = {}
    for d in item_dups:
        for aid in (d.canonical_id, d.later_id):
            if aid not in texts:
                texts[aid] = post_text(by_id[aid][5])
    caught = {d.later_id: text_stage_copy(by_id[d.canonical_id], by_id[d.later_id],
                                                    texts) for d in item_dups}
    print(f"  of them, the text stage alone files as copies of the first: "
          f"{sum(caught.values())} of {len(caught)}")
    rng = random.Random(args.seed)
    drawn = [("random", d) for d in rng.sample(item_dups, min(args.read, len(item_dups)))]
    drawn += [("increment", d) for d in item_dups if not caught[d.later_id]]
    labels = read_labels()
    out, tally = [], collections.Counter()
    for kind, d in drawn:
        first, later = by_id[d.canonical_id], by_id[d.later_id]
        (t1, x1), (t2, x2) = texts[first[3]], texts[later[3]]
        hours = (dt.datetime.fromisoformat(later[4])
                 - dt.datetime.fromisoformat(first[4])).total_seconds() / 3600
        label = labels.get((kind, first[2], later[2]), "")
        tally[(kind, label or "unread")] += 1
        out.append([kind, f"{hours:.1f}", t1, t2, len(x1), len(x2),
                    "yes" if caught[later[3]] else "no", first[2], later[2], label])
        if args.show:
            print(f"\n--- {kind}, {hours:.1f} h apart, text stage copy: {caught[later[3]]}, "
                  f"label {label or '-'}\n  A {t1}\n    {x1[:160]!r}\n  B {t2}\n    {x2[:160]!r}")
    print(f"  pairs read ({READ}): " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    if args.write:
        with open(READ, "w", encoding="utf-8", newline="") as handle:
            w = csv.writer(handle, delimiter="\t")
            w.writerow(["set", "hours_apart", "first_title", "later_title", "first_chars",
                        "later_chars", "text_stage_copy", "first_url", "later_url", "label"])
            w.writerows(out)


def read_labels() -> dict:
    """(set, first canonical URL, later canonical URL) -> label, from the read file: `same_text`
    (the later page is the earlier text edited, extended, converted to the other script) or
    `new_development` (the page was rewritten to report a later development of a running
    story, or a gallery/chronicle was replaced, under the same item id)."""
    if not os.path.exists(READ):
        return {}
    with open(READ, encoding="utf-8") as handle:
        return {(r["set"], r["first_url"], r["later_url"]): r["label"]
                for r in csv.DictReader(handle, delimiter="\t")}


def dw_articles(rules):
    """The configured outlets' posts as the production dedup sees them: one article per
    canonical URL (the exact stage keeps the first published), the item id by the outlet's
    rule, texts read in one pass over the snapshot."""
    import dataclasses
    import datetime as dt
    from cfnews.schemas import Article
    from cfnews.transforms.dedup import with_fingerprint
    from tests.benchmarks.item_ids import item_id_of
    from tests.data.relevance import sources
    rows = sorted((r for r in corpus_rows() if r[0] in rules), key=lambda r: (r[4], r[5]))
    first = {}
    for r in rows:
        first.setdefault(r[3], r)
    paths = {r[5] for r in first.values()}
    texts = {path: sources.post_item("nbw/", path, raw)
             for path, raw in sources._posts(sources.NEWS_BEYOND_WALL, keep=lambda p: p in paths)}
    has_item = "item_id" in {f.name for f in dataclasses.fields(Article)}   # a tree before
    out = []
    for outlet, url, canonical, article_id, published, path in first.values():
        when = dt.datetime.fromisoformat(published)
        item = texts[path]
        out.append(with_fingerprint(Article(
            article_id=article_id, url=url, canonical_url=canonical, outlet=outlet, feed_url="",
            entry_id=url, title=item.title, text=item.text, discovered_at=when,
            published_at=when,
            **({"item_id": item_id_of(rules[outlet], canonical)} if has_item else {}))))
    return out


def links(args):
    """The item id as a story link, through the production near-duplicate path
    (`dedup_in_memory`: the index, `decide`, chains): DW's posts with and without their item
    ids. Printed: articles and duplicates both ways, the articles whose story the item id
    changes (the later version of an item that the text rule neither copies nor links), and
    what the read pairs (tests/benchmarks/data/item_ids_read.tsv) become, by label and by the
    half (dev: odd rows of the file, test: even rows) of the file."""
    import dataclasses
    from cfnews.transforms.dedup import dedup_in_memory
    rules = shipped_rules()
    arts = dw_articles(rules)
    with_id = sum(1 for a in arts if a.item_id)
    print(f"articles (one per canonical URL) of {', '.join(sorted(rules))}: {len(arts)}, "
          f"{with_id} with an item id, {len({a.item_id for a in arts if a.item_id})} item ids")
    results = {}
    for label, items in (("without item ids", [dataclasses.replace(a, item_id="") for a in arts]),
                         ("with item ids", arts)):
        kept, dups = dedup_in_memory(items)
        results[label] = ({a.article_id: a.story_id for a in kept},
                          {d.article.article_id: d for d in dups})
        print(f"  {label}: {len(kept)} in articles, {len(dups)} in duplicates, "
              f"{sum(1 for a in kept if a.story_id != a.article_id)} articles linked to an "
              f"earlier story")
    (k0, d0), (k1, d1) = results["without item ids"], results["with item ids"]
    print(f"  same duplicates both ways: {sorted(d0) == sorted(d1)}; "
          f"same canonical ids: {all(d0[i].canonical_id == d1[i].canonical_id for i in d0 if i in d1)}")
    changed = [i for i in k1 if k0.get(i) != k1[i]]
    print(f"  articles whose story the item id changes: {len(changed)} "
          f"(newly linked: {sum(1 for i in changed if k0.get(i) == i)})")
    from cfnews.transforms.urls import article_id_for
    story1 = dict(k1, **{i: d.article.story_id for i, d in d1.items()})
    story0 = dict(k0, **{i: d.article.story_id for i, d in d0.items()})
    print(f"  duplicates whose story_id changes with them (their canonical article's): "
          f"{sum(1 for i in d1 if story0.get(i) != story1[i])}")
    with open(READ, encoding="utf-8") as handle:
        read = list(csv.DictReader(handle, delimiter="\t"))
    tally = collections.Counter()
    for n, r in enumerate(read, 1):
        first, later = article_id_for(r["first_url"]), article_id_for(r["later_url"])
        half = "dev" if n % 2 else "test"
        where = "duplicates" if later in d1 else "articles"
        same = story1.get(later) == story1.get(first) and later in story1
        before = story0.get(later) == story0.get(first) and later in story0
        apart = ("within the expiry" if float(r["hours_apart"]) <= 14 * 24
                 else "beyond the expiry")
        tally[(r["set"], r["label"], apart, where, "same story" if same else "own story",
               "before: same" if before else "before: own")] += 1
        tally[(half, r["set"], r["label"], where, "same story" if same else "own story")] += 1
        if args.show and not same and apart == "within the expiry":
            d = d1.get(later)
            print(f"  not linked: {r['set']} {r['label']} {r['hours_apart']} h: later in {where}"
                  + (f" (copy of {d.matched_id}, canonical {d.canonical_id}; first {first})"
                     if d else f" (story {story1.get(later)}; first {first}, its story "
                               f"{story1.get(first)})"))
    for key, n in sorted(tally.items()):
        print(f"    {' | '.join(key)}: {n}")


def bar(args):
    """For a looser copy bar on same-id pairs: the containment of each read pair (the later
    text's share of the smaller one's sampled hashes, at the pair's level, as `decide`
    measures it) and its plain containment, on one half of the read file (dev: its odd data
    rows, test: its even ones), by label, for the pairs the text rule did not file when read.
    A bar can only be chosen if the edited texts (same_text) sit above every rewritten page
    (new_development)."""
    import datetime as dt
    from cfnews.schemas import Article
    from cfnews.transforms.dedup import plain_containment, prepare, shared_with, similarity
    from cfnews.transforms.urls import article_id_for
    from tests.data.relevance import sources
    rules = shipped_rules()
    rows = {r[3]: r for r in corpus_rows() if r[0] in rules}
    with open(READ, encoding="utf-8") as handle:
        read = list(csv.DictReader(handle, delimiter="\t"))
    chosen = {(article_id_for(r["first_url"]), article_id_for(r["later_url"])): r
              for n, r in enumerate(read, 1) if (n % 2 == 1) == (args.half == "dev")
              and r["text_stage_copy"] == "no"}          # a pair drawn in both sets: once
    chosen = [(r, first, later) for (first, later), r in chosen.items()]
    paths = {rows[a][5] for _, first, later in chosen for a in (first, later)}
    items = {path: sources.post_item("nbw/", path, raw)
             for path, raw in sources._posts(sources.NEWS_BEYOND_WALL, keep=lambda p: p in paths)}

    def article(aid):
        outlet, url, canonical, _, published, path = rows[aid]
        when = dt.datetime.fromisoformat(published)
        return Article(article_id=aid, url=url, canonical_url=canonical, outlet=outlet,
                       feed_url="", entry_id=url, title=items[path].title,
                       text=items[path].text, discovered_at=when, published_at=when)
    by_label = collections.defaultdict(list)
    for r, first, later in chosen:
        (m1, h1), (m2, h2) = prepare(article(first)), prepare(article(later))
        n, plain, _ = shared_with(h2, h1)
        containment = similarity(m2, m1, n)[0]
        by_label[r["label"]].append((containment, plain_containment(m2, m1, len(plain)),
                                     float(r["hours_apart"]), r["set"]))
    for label, found in sorted(by_label.items()):
        found.sort()
        print(f"{args.half} half, {label}: {len(found)} pairs, containment "
              f"{found[0][0]:.2f}-{found[-1][0]:.2f}")
        for c, pc, hours, kind in found:
            print(f"    {c:.3f}  plain {pc:.3f}  {hours:7.1f} h  {kind}")


MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from tests.benchmarks import item_ids
from cfnews.transforms.dedup import dedup_in_memory
arts = item_ids.dw_articles(json.loads(sys.argv[2]))
cpu, wall = [], []
for _ in range(2):
    c, w = time.process_time(), time.perf_counter()
    kept, dups = dedup_in_memory(arts)
    cpu.append(time.process_time() - c)
    wall.append(time.perf_counter() - w)
print(json.dumps({"entries": len(arts), "cpu": cpu, "wall": wall, "kept": len(kept),
                  "dups": len(dups), "item_ids": sum(1 for a in arts if getattr(a, "item_id", ""))}))
"""


def timing(args):
    corpus_rows()   # the cache, built once by this tree
    rules = shipped_rules()     # this tree's feeds.yaml, read here (a tree before may not know item_id)
    trees = {"this tree": HERE, "other": os.path.abspath(args.against)}
    runs = {name: [] for name in trees}
    for r in range(args.rounds):
        for name, tree in (list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]):
            python = os.path.join(tree, ".venv", "bin", "python")
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            # the measuring code is this tree's; the package imported is the tree's own
            done = subprocess.run([python, "-c", MEASURE, HERE, json.dumps(rules)], cwd=tree,
                                  capture_output=True, text=True, env=env, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            runs[name].append(result)
            print(f"round {r + 1} {name}: {result}", flush=True)
    # CPU seconds of the measuring process (the in-process runner's threads included): fair on
    # a machine shared with other work; the better of each process's two runs
    medians = {n: statistics.median(min(x["cpu"]) for x in runs[n]) for n in trees}
    walls = {n: statistics.median(min(x["wall"]) for x in runs[n]) for n in trees}
    for n in trees:
        print(f"{n} ({trees[n]}): median {medians[n]:.2f} CPU-s ({walls[n]:.2f} wall-s) for "
              f"{runs[n][0]['entries']} entries ({runs[n][0]['entries'] / medians[n]:.0f}/CPU-s), "
              f"duplicates {runs[n][0]['dups']}")
    print(f"ratio this/other, CPU: {medians['this tree'] / medians['other']:.3f}; wall: "
          f"{walls['this tree'] / walls['other']:.3f}; 1-min load average now "
          f"{os.getloadavg()[0]:.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("figures")
    f.add_argument("--read", type=int, default=40)
    f.add_argument("--seed", type=int, default=15)
    f.add_argument("--write", action="store_true", help=f"write the drawn pairs to {READ} "
                   "(keeping the labels already there)")
    f.add_argument("--show", action="store_true", help="print the drawn pairs for reading")
    li = sub.add_parser("links")
    li.add_argument("--show", action="store_true", help="the read pairs within the expiry "
                    "that the item id does not link, and why")
    b = sub.add_parser("bar")
    b.add_argument("--half", choices=("dev", "test"), default="dev")
    t = sub.add_parser("timing")
    t.add_argument("--against", required=True)
    t.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    return {"figures": figures, "links": links, "bar": bar, "timing": timing}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
