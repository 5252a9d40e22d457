"""The (outlet, item id) exact key on real URLs, and what it costs (issue 15).

    python tests/benchmarks/item_ids.py figures [--read N] [--seed S]
    python tests/benchmarks/item_ids.py timing --against OTHER_CHECKOUT [--rounds R]

`figures`: the posts of news-beyond-wall (/work/.mirror/NodeBE4+news-beyond-wall; each post
keeps the outlet's own URL, `from:`, and its publication time) of the outlets whose feeds.yaml
entry gives an `item_id` rule, enabled or documented in a comment (dw-zh: Deutsche Welle's
Chinese service, 德国之声; its rule is documented, not enabled) become feed
entries (guid = link, as DW's RDF feed gives it) and go through the production exact stage
(`DedupEntriesByUrl`, FnApiRunner) twice: without the rule (as before) and with it. Printed:
duplicates by method, the new key's pairs by time apart (the streaming and across-run
lookups keep to the 14-day expiry; one batch run does not), and N pairs drawn at random
(seeded) with both headlines and the opening of both texts, for reading. The pairs read are
written to tests/benchmarks/data/item_ids_read.tsv with the reader's label added by hand.

`timing`: the exact stage alone over all 128,801 news-beyond-wall entries (all 19 outlets;
dw-zh with its rule where the tree supports one), in_memory FnApiRunner, one fresh process per
tree and round, alternating, medians of CPU seconds (and wall): this tree against another
checkout (with its .venv).
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


def entries(rows, rules):
    import dataclasses
    import datetime as dt
    from cfnews.schemas import FeedEntry
    has_rule = "item_id_rule" in {f.name for f in dataclasses.fields(FeedEntry)}
    out = []
    for outlet, url, canonical, article_id, published, path in rows:
        extra = {"item_id_rule": rules.get(outlet, "")} if has_rule else {}
        when = dt.datetime.fromisoformat(published)
        out.append(FeedEntry(outlet=outlet, feed_url=f"nbw:{outlet}", entry_id=url, url=url,
                             article_id=article_id, canonical_url=canonical, title=path,
                             published_at=when, discovered_at=when, **extra))
    return out


SINKS = {"kept": [], "dups": []}     # filled by the in-process runner's workers


def _collect(element, sink: str):
    from tests.benchmarks import item_ids    # the imported module, whatever ran the script
    item_ids.SINKS[sink].append(element)


def exact_stage(items):
    """(entries kept, duplicates) of the production exact stage (in-process runner), as the
    job builds it: without the item key's stages when no entry has a rule (a tree that has
    them)."""
    import dataclasses
    import apache_beam as beam
    from cfnews.transforms.dedup import DedupEntriesByUrl
    from tests.benchmarks import item_ids
    for sink in item_ids.SINKS.values():
        sink.clear()
    fields = {f.name for f in dataclasses.fields(DedupEntriesByUrl)}
    stage = (DedupEntriesByUrl(item_ids=any(getattr(e, "item_id_rule", "") for e in items))
             if "item_ids" in fields else DedupEntriesByUrl())
    with beam.Pipeline(runner="FnApiRunner") as p:
        k, d = p | beam.Create(items, reshuffle=False) | stage
        k | "K" >> beam.Map(_collect, "kept")
        d | "D" >> beam.Map(_collect, "dups")
    return list(item_ids.SINKS["kept"]), list(item_ids.SINKS["dups"])


def shipped_rules():
    """The item_id rules feeds.yaml gives, enabled or documented in a comment line
    (`#   item_id: ...`, as dw-zh's is), as the file would load with them on."""
    from cfnews.pipeline.feeds_file import parse_feeds
    with open(os.path.join(HERE, "feeds.yaml"), encoding="utf-8") as handle:
        text = handle.read().replace("  #   item_id:", "    item_id:")
    return {f.outlet: f.item_id_rule for f in parse_feeds(text) if f.item_id_rule}


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


def figures(args):
    rules = shipped_rules()
    rows = [r for r in corpus_rows() if r[0] in rules]
    by_id = {r[3]: r for r in rows}
    print(f"posts of the configured outlets ({', '.join(sorted(rules))}): {len(rows)}")
    for label, with_rules in (("without the rule", {}), ("with the rule", rules)):
        kept, dups = exact_stage(entries(rows, with_rules))
        methods = collections.Counter(d.method for d in dups)
        print(f"  {label}: {len(kept)} entries go on; duplicates {dict(sorted(methods.items()))}")
    item_dups = sorted((d for d in dups if d.method == "outlet_item_id"),
                       key=lambda d: (d.canonical_id, d.article.article_id))   # runner order varies
    import datetime as dt
    gaps = [abs(dt.datetime.fromisoformat(by_id[d.article.article_id][4])
                - dt.datetime.fromisoformat(by_id[d.canonical_id][4])) for d in item_dups]
    bands = collections.Counter("<= 1 day" if g <= dt.timedelta(days=1) else
                                "1-14 days" if g <= dt.timedelta(days=14) else "> 14 days"
                                for g in gaps)
    print(f"  outlet_item_id pairs by time apart: {dict(sorted(bands.items()))}")
    # would the text stage (production near-duplicate decision, the pair alone) have filed the
    # later post as a copy of the first anyway?
    texts = {}
    for d in item_dups:
        for aid in (d.canonical_id, d.article.article_id):
            if aid not in texts:
                texts[aid] = post_text(by_id[aid][5])
    caught = {d.article.article_id: text_stage_copy(by_id[d.canonical_id], by_id[d.article.article_id],
                                                    texts) for d in item_dups}
    print(f"  of them, the text stage alone files as copies of the first: "
          f"{sum(caught.values())} of {len(caught)}")
    rng = random.Random(args.seed)
    drawn = [("random", d) for d in rng.sample(item_dups, min(args.read, len(item_dups)))]
    drawn += [("increment", d) for d in item_dups if not caught[d.article.article_id]]
    labels = read_labels()
    out, tally = [], collections.Counter()
    for kind, d in drawn:
        first, later = by_id[d.canonical_id], by_id[d.article.article_id]
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


MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from tests.benchmarks import item_ids
rows = item_ids.corpus_rows()
items = item_ids.entries(rows, {"dw-zh": sys.argv[2]})
cpu, wall = [], []
for _ in range(2):
    c, w = time.process_time(), time.perf_counter()
    kept, dups = item_ids.exact_stage(items)
    cpu.append(time.process_time() - c)
    wall.append(time.perf_counter() - w)
print(json.dumps({"entries": len(items), "cpu": cpu, "wall": wall, "kept": len(kept),
                  "dups": len(dups)}))
"""


def timing(args):
    rule = "" if args.no_rule else shipped_rules()["dw-zh"]
    corpus_rows()   # the cache, built once by this tree
    trees = {"this tree": HERE, "other": os.path.abspath(args.against)}
    runs = {name: [] for name in trees}
    for r in range(args.rounds):
        for name, tree in (list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]):
            python = os.path.join(tree, ".venv", "bin", "python")
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            # the measuring code is this tree's; the package imported is the tree's own
            done = subprocess.run([python, "-c", MEASURE, HERE, rule], cwd=tree,
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
    t = sub.add_parser("timing")
    t.add_argument("--against", required=True)
    t.add_argument("--rounds", type=int, default=3)
    t.add_argument("--no-rule", action="store_true",
                   help="no entry has an item_id rule (the shipped feeds.yaml): the key's fixed cost")
    args = parser.parse_args(argv)
    return figures(args) if args.command == "figures" else timing(args)


if __name__ == "__main__":
    sys.exit(main())
