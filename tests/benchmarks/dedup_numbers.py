"""Do the two texts' NUMBERS tell a template (or a follow-up) from a copy? (issue 15)

A copy of one text keeps its figures; the next edition of a recurring format (AFP's daily world
tally, a daily fixing, a weekly case count) keeps the wording and changes them, and a follow-up
reusing a story's background adds figures of its own. This study extracts each text's number
tokens and measures how the two texts of a pair the production path files as a copy agree on
them, per read verdict, at every time gap. It reuses dedup_cross_gap.py's run and readers (its
`--dump` pickle; pairs keyed as its read labels are) and touches nothing in transforms/.

    python tests/benchmarks/dedup_numbers.py features --load F.pkl [--sources nbw]
    python tests/benchmarks/dedup_numbers.py pairs --load F.pkl --sources nbw [--show VERDICT]

Numbers (`numbers_of`): over the lines the fingerprint keeps (`story_lines`: normalised, NFKC
so full-width digits are ASCII, thousands separators gone, furniture and repeated lines out),
runs of digits with an optional decimal part, a 万/亿 multiplier kept as part of the token
(1.2万 is not 1.2亿), and Chinese numerals written out (a run of at least two numeral characters
holding 十, 百, 千, 万 or 亿: 三十五, 一百二十; single characters are words: 一些, 统一). Each is
classed as a DATE/TIME (followed by 年 月 日 号 時 时 点 點 分 秒, an h:mm clock, a 4-digit year
1900-2099, next to a month name) or a FIGURE (everything else). Dates are kept apart: a copy
republished days later keeps its dates as a template's next edition does not, but dates also
change when a copy is re-edited ("周五" -> "5日") and a follow-up quotes the original's dates,
so the two kinds are measured separately and together.

Features of a pair (A the later text, B the earlier; multisets):
  jacc      |A & B| / |A | B|
  absent    |A - B| / |A|: share of the later text's numbers absent from the earlier
  ncont     |A & B| / min(|A|, |B|): the numbers' containment (as the text's containment)
  subs      min(|A - B|, |B - A|): numbers replaced (an extension only adds on one side)
  conflict  of the number contexts both texts hold (the 3 tokens before and 1 after, numbers
            masked), the share where the two texts' numbers differ: "same wording, other
            figure", the template's signature

`rule`: a veto (`Veto`: at least `least` conflicting contexts, and at least `share` of the
contexts the two hold) through the production path (`number_veto`, benchmark-side, as
dedup_cross_gap's `far_bar`); `eval`: dedup_eval `--stories-only` on dev seeds, line for line.

FIGURES (news-beyond-wall as dedup_cross_gap.py `study --sources nbw,pen,oped2,q3 --dump F`
writes it; this tree's production dedup, COPY_NEAR_BEST; `features`, `pairs`, `rule`):
  Read pairs (figures; conflict share; conflicting contexts): copies 67 (cross_gap): share
  <= 0.33, at most 1 conflicting context; figure containment p25 1.00, replaced figures <= 4.
  Updates of one item 33 (titles 30, near_time 3): share <= 0.33, at most 4. Templates 22
  (cross_gap): 20 at 0.55-0.80 (median 0.65, 3-40 contexts; AFP's tally), the 2 customs notices
  0. Background 27: <= 0.25, at most 1; rewrites 7: 0; unclear 8: <= 0.08. One outlet's
  different stories (titles) 89: median 0.49 (Reuters' fixing, case counts: 0.40-0.50 with
  9 figures). Dates alone tell less (templates' date Jaccard median 0.29, copies' 0.56).
  Veto chosen on nbw: share 0.5, least 3, exact contexts: 10,792 -> 10,617 in duplicates
  (175 freed, 0 new; 42 matched to another outlet before; <= 1 d 82, 1-3 d 61, 3-7 d 13, 7-14 d
  19); read pairs vetoed: templates 20 of 22, copies 0 of 67, updates 0 of 33, background 0
  of 27. Freed, 30 drawn and read (data/dedup_numbers_read.tsv): 26 templates, 4 other
  stories. Share 0.4: 350 freed (189 one outlet's within a day; not read).
  Sketches (bottom-k contexts, `Veto(..., k)`): k 16 frees 260 (123 that the exact veto does
  not, 20 read: all templates; keeps 38 it frees), k 8 294; k 16 holds 11.5 entries per text
  (2,000 nbw texts; exact 18.8). Cost: numbers_of + sketch_of(k 16) 943 articles per
  CPU-second, fingerprint 2,769 (dedup_eval stream seed 2, medians of 3, one process).
  Held out, once after the choice: pen 268 -> 266 (2 freed: RTHK's daily PBoC repo notice),
  oped2 95 -> 95, q3 47 -> 47; their read pairs: 0 of 10 copies, 0 of 8 updates, 3 of 28
  different vetoed. dedup_eval dev seeds 1-15 (`eval`): output unchanged, line for line
  (misses 34, FP 17, 0 rewrite pairs in duplicates, story_id P 0.985-0.998, 59 wrong).
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import pickle
import random
import re
import sys
from typing import Dict, List, NamedTuple, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cfnews.transforms.fingerprint import story_lines  # noqa: E402
from cfnews.transforms.han_script import _to_simplified  # noqa: E402
from tests.benchmarks import dedup_cross_gap as xg  # noqa: E402

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_NUM = "零〇一二两三四五六七八九十百千万亿"
_TOKEN = re.compile(rf"(\d+(?:,\d{{3}})*(?:\.\d+)?[万亿]?)|([{_ZH_NUM}]{{2,}})|([{_HAN}])|([^\W\d_{_HAN}]+)")
_DATE_AFTER = set("年月日号號時时点點分秒")
_MONTHS = {m for m in (
    "jan january feb february mar march apr april may jun june jul july aug august sep sept "
    "september oct october nov november dec december janvier fevrier février mars avril mai "
    "juin juillet aout août septembre octobre novembre decembre décembre").split()}
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
_ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
_ZH_DIGIT.update({"〇": 0, "两": 2})
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}


def zh_value(run: str):
    """A written-out Chinese numeral's value, or None when the run is not one (no unit, or
    a numeral word such as 一一)."""
    if not any(c in "十百千万亿" for c in run):
        return None
    total, section, digit = 0, 0, None
    for c in run:
        if c in _ZH_DIGIT:
            digit = _ZH_DIGIT[c]
        elif c in _ZH_UNIT:
            section += (1 if digit is None else digit) * _ZH_UNIT[c]
            digit = None
        else:                               # 万, 亿
            section += digit or 0
            total += (section or 1) * (10_000 if c == "万" else 100_000_000)
            section, digit = 0, None
    return total + section + (digit or 0)


class Numbers(NamedTuple):
    figures: Tuple[str, ...]      # every figure token (a multiset, in text order)
    dates: Tuple[str, ...]        # every date/time token
    contexts: Dict[tuple, frozenset]   # (3 tokens before, 1 after; numbers masked) -> numbers


def numbers_of(text: str) -> Numbers:
    table = _to_simplified()
    figures, dates = [], []
    contexts: Dict[tuple, set] = collections.defaultdict(set)
    for line, _words in story_lines(text):
        line = line.translate(table)
        clocks = {m.start() for m in _CLOCK.finditer(line)} | {m.end() - 2 for m in _CLOCK.finditer(line)}
        # (a clock's minutes start 2 characters before its end)
        toks: List[Tuple[str, bool, int, int]] = []       # (token, is number, start, end)
        for m in _TOKEN.finditer(line):
            digits, zh, han, word = m.groups()
            if digits:
                digits = digits.replace(",", "")
                toks.append((digits.lstrip("0") or "0" if "." not in digits else digits,
                             True, m.start(), m.end()))
            elif zh:
                value = zh_value(zh)
                if value is None:
                    toks.extend((c, False, m.start() + k, m.start() + k + 1) for k, c in enumerate(zh))
                else:
                    toks.append((str(value), True, m.start(), m.end()))
            else:
                toks.append((han or word, False, m.start(), m.end()))
        masked = ["#" if is_num else tok for tok, is_num, _, _ in toks]
        for i, (tok, is_num, start, end) in enumerate(toks):
            if not is_num:
                continue
            after = line[end:end + 2].lstrip()[:1]
            nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
            prev = toks[i - 1][0] if i else ""
            is_date = (after in _DATE_AFTER or start in clocks
                       or line[end:end + 1] == ":" and line[end + 1:end + 2].isdigit()
                       or (len(tok) == 4 and tok.isdigit() and 1900 <= int(tok) <= 2099)
                       or nxt in _MONTHS or prev in _MONTHS)
            (dates if is_date else figures).append(tok)
            contexts[(tuple(masked[max(0, i - 3):i]), tuple(masked[i + 1:i + 2]))].add(tok)
    return Numbers(tuple(figures), tuple(dates), {k: frozenset(v) for k, v in contexts.items()})


class Features(NamedTuple):
    n_later: int
    n_earlier: int
    jacc: float
    absent: float
    ncont: float
    subs: int
    conflict: float          # -1 when the texts share no number context
    shared_contexts: int


def agreement(later: Tuple[str, ...], earlier: Tuple[str, ...],
              ctx_later=None, ctx_earlier=None) -> Features:
    a, b = collections.Counter(later), collections.Counter(earlier)
    inter, union = sum((a & b).values()), sum((a | b).values())
    na, nb = sum(a.values()), sum(b.values())
    conflict, shared_ctx = -1.0, 0
    if ctx_later is not None:
        common = [k for k in ctx_later if k in ctx_earlier]
        shared_ctx = len(common)
        if common:
            conflict = sum(1 for k in common if not (ctx_later[k] & ctx_earlier[k])) / len(common)
    return Features(na, nb, inter / union if union else -1.0, (na - inter) / na if na else -1.0,
                    inter / min(na, nb) if na and nb else -1.0,
                    min(na - inter, nb - inter), conflict, shared_ctx)


def pair_features(later: Numbers, earlier: Numbers) -> Dict[str, Features]:
    return {"figures": agreement(later.figures, earlier.figures, later.contexts, earlier.contexts),
            "dates": agreement(later.dates, earlier.dates),
            "all": agreement(later.figures + later.dates, earlier.figures + earlier.dates)}


# ---------------------------------------------------------------- the read pairs

def doc_index(docs) -> Dict[tuple, List[int]]:
    """(outlet, time to the minute, title key) -> doc indices (the read files' key parts)."""
    out = collections.defaultdict(list)
    for i, d in enumerate(docs):
        out[(d.outlet, f"{d.when:%Y-%m-%dT%H:%M}", xg._key(d.title))].append(i)
    return out


def read_pairs(source: str, docs) -> List[Tuple[str, str, str, int, int]]:
    """(file, verdict, set, later doc, earlier doc) for every read pair of `source` in
    data/dedup_cross_gap_read.tsv (copy/template/background/rewrite/unclear),
    data/dedup_titles_read.tsv (one outlet: update/different) and
    data/dedup_near_time_read.tsv (one outlet, below the production bar: update/different)."""
    from tests.benchmarks import dedup_near_time, dedup_titles
    from tests.benchmarks.common import read_pairs_tsv
    index = doc_index(docs)
    out = []

    def find(outlet, when, title):
        hits = index.get((outlet, when, title), [])
        return hits[0] if hits else None

    for key, rest in xg.read_labels().items():
        if key[0] != source:
            continue
        e, l_ = find(key[1], key[2], key[3]), find(key[4], key[5], key[6])
        if e is not None and l_ is not None:
            out.append(("cross_gap", rest[0], rest[2], l_, e))
    for name, path in (("titles", dedup_titles.LABELS), ("near_time", dedup_near_time.LABELS)):
        for key, rest in read_pairs_tsv(path, 6).items():
            if key[0] != source:
                continue
            e, l_ = find(key[1], key[2], key[3]), find(key[1], key[4], key[5])
            if e is not None and l_ is not None:
                out.append((name, rest[0], rest[2], l_, e))
    return out


def quant(values: List[float]) -> str:
    v = sorted(x for x in values if x >= 0)
    if not v:
        return "-"
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    return f"n {len(v)}: min {v[0]:.2f} p25 {q(0.25):.2f} med {q(0.5):.2f} p75 {q(0.75):.2f} max {v[-1]:.2f}"


def features_report(args, loaded):
    cache: Dict[int, Numbers] = {}
    for source in args.sources.split(","):
        docs = loaded[source][0]

        def nums(i):
            if i not in cache:
                cache[i] = numbers_of(docs[i].text)
            return cache[i]
        cache.clear()
        rows = read_pairs(source, docs)
        print(f"\n== {source}: {len(rows)} read pairs found")
        groups = collections.defaultdict(list)
        for file, verdict, set_, later, earlier in rows:
            gap = abs((docs[later].when - docs[earlier].when).total_seconds()) / 86400
            f = pair_features(nums(later), nums(earlier))
            groups[(file, verdict)].append((f, gap, later, earlier, set_))
            if args.show and verdict == args.show:
                a, b = docs[later], docs[earlier]
                print(f"   -- {file} {verdict} {set_} {gap:.2f} d {b.outlet} > {a.outlet}: "
                      f"{f['figures']}\n      E {nums(earlier).figures[:30]}\n      L {nums(later).figures[:30]}")
        for (file, verdict), items in sorted(groups.items()):
            print(f"   {file} / {verdict}: {len(items)} pairs")
            for kind in ("figures", "dates", "all"):
                fs = [x[0][kind] for x in items]
                print(f"     {kind:8s} jacc {quant([f.jacc for f in fs])}")
                print(f"     {'':8s} absent {quant([f.absent for f in fs])}")
                print(f"     {'':8s} ncont {quant([f.ncont for f in fs])}")
                print(f"     {'':8s} subs {quant([f.subs for f in fs])}")
                if kind == "figures":
                    print(f"     {'':8s} conflict {quant([f.conflict for f in fs])}")
                    print(f"     {'':8s} none: {sum(1 for f in fs if f.n_later == 0 or f.n_earlier == 0)}"
                          f" with no figure on a side")


def pairs_dump(args, loaded):
    """Every read pair with its features, one line each (for a threshold scan)."""
    for source in args.sources.split(","):
        docs = loaded[source][0]
        for file, verdict, set_, later, earlier in read_pairs(source, docs):
            gap = abs((docs[later].when - docs[earlier].when).total_seconds()) / 86400
            f = pair_features(numbers_of(docs[later].text), numbers_of(docs[earlier].text))
            fi, da = f["figures"], f["dates"]
            print(f"{source}\t{file}\t{verdict}\t{set_}\t{gap:.2f}\t{fi.n_later}\t{fi.n_earlier}\t"
                  f"{fi.jacc:.2f}\t{fi.absent:.2f}\t{fi.ncont:.2f}\t{fi.subs}\t{fi.conflict:.2f}\t"
                  f"{fi.shared_contexts}\t{da.n_later}\t{da.n_earlier}\t{da.jacc:.2f}\t{da.subs}\t"
                  f"{f['all'].jacc:.2f}\t{f['all'].subs}")


# ---------------------------------------------------------------- a veto through the production path

def sketch_of(numbers: Numbers, k: int) -> Dict[int, frozenset]:
    """The k number contexts of smallest hash (a bottom-k sample: two texts sample the same
    contexts) -> their numbers, as small hashes; k 0: every context, exactly."""
    import hashlib
    hashed = {}
    for ctx, values in numbers.contexts.items():
        h = int.from_bytes(hashlib.blake2b(repr(ctx).encode("utf-8"), digest_size=4).digest(), "big")
        hashed[h] = values
    keys = sorted(hashed)[:k] if k else sorted(hashed)
    return {h: frozenset(hashed[h]) for h in keys}


def conflicts(a: Dict[int, frozenset], b: Dict[int, frozenset]) -> Tuple[int, int]:
    """(contexts both sketches hold, of them those whose numbers differ)."""
    common = [h for h in a if h in b]
    return len(common), sum(1 for h in common if not (a[h] & b[h]))


class Veto(NamedTuple):
    share: float          # conflicting contexts / shared contexts at least this
    least: int            # and at least this many conflicting contexts
    k: int = 0            # sketch size (0: exact)

    def vetoes(self, a, b) -> bool:
        n, bad = conflicts(a, b)
        return bad >= self.least and bad >= self.share * n


@contextlib.contextmanager
def number_veto(veto: Veto):
    """The production path with a pair whose number contexts conflict (`Veto`) held to an
    impossible containment bar: no copy, no story link by containment (as dedup_cross_gap's
    `far_bar`, benchmark-side; `furniture_keys` keeps the production bar). Texts are recorded
    as articles are prepared (`dedup.prepare`), so it runs under dedup_in_memory and
    dedup_eval alike. Records the vetoed pairs in `number_veto.vetoed`."""
    from cfnews.transforms import dedup
    texts, sketches, vetoed = {}, {}, set()
    prepare, production, furniture = dedup.prepare, dedup.containment_threshold, dedup.furniture_keys

    def recording_prepare(article, *args, **kwargs):
        texts[article.article_id] = article.text
        return prepare(article, *args, **kwargs)

    def sketch(aid):
        if aid not in sketches:
            sketches[aid] = sketch_of(numbers_of(texts.get(aid, "")), veto.k)
        return sketches[aid]

    def bar(me, other, params):
        base = production(me, other, params)
        if veto.vetoes(sketch(me.article_id), sketch(other.article_id)):
            vetoed.add((me.article_id, other.article_id))
            return float("inf")
        return base

    def production_furniture(*args, **kwargs):
        dedup.containment_threshold = production
        try:
            return furniture(*args, **kwargs)
        finally:
            dedup.containment_threshold = bar

    dedup.prepare, dedup.containment_threshold = recording_prepare, bar
    dedup.furniture_keys = production_furniture
    number_veto.vetoed = vetoed
    try:
        yield
    finally:
        dedup.prepare, dedup.containment_threshold = prepare, production
        dedup.furniture_keys = furniture


def parse_vetoes(spec: str) -> List[Veto]:
    """"share,least[,k];..." -> Vetoes."""
    out = []
    for part in spec.split(";"):
        v = part.split(",")
        out.append(Veto(float(v[0]), int(v[1]), int(v[2]) if len(v) > 2 else 0))
    return out


def rule(args, loaded):
    """Articles in duplicates with each veto (through dedup_in_memory); of the read pairs that
    are production matches, which are freed, by verdict; which read pairs are vetoed."""
    from cfnews.transforms.dedup import dedup_in_memory
    for source in args.sources.split(","):
        docs, arts, dups = loaded[source]
        base_ids = {d.article.article_id for d in dups}
        match = {d.article.article_id: d.matched_id for d in dups}
        read = read_pairs(source, docs)
        print(f"\n== {source}: {len(base_ids)} in duplicates (production); read pairs {len(read)}")
        exact_freed = None
        if args.beyond_exact:       # the articles the exact veto frees, to show the others
            with number_veto(parse_vetoes(args.veto)[0]._replace(k=0)):
                exact_freed = base_ids - {d.article.article_id for d in dedup_in_memory(arts)[1]}
        for veto in parse_vetoes(args.veto):
            with number_veto(veto):
                _, now = dedup_in_memory(arts)
                vetoed = set(number_veto.vetoed)
            now_ids = {d.article.article_id for d in now}
            freed = base_ids - now_ids
            if exact_freed is not None:
                print(f"   {veto}: frees {len(freed - exact_freed)} the exact veto does not, "
                      f"keeps {len(exact_freed - freed)} it frees")
            cross = sum(1 for a in freed if docs[int(a, 16)].outlet != docs[int(match[a], 16)].outlet)
            gaps = collections.Counter(
                xg.band(abs((docs[int(a, 16)].when - docs[int(match[a], 16)].when).total_seconds()) / 86400)
                for a in freed)
            print(f"   {veto}: {len(now_ids)} in duplicates (freed {len(freed)}, {cross} of them "
                  f"matched to another outlet before; by band {dict(gaps)}; new {len(now_ids - base_ids)}); "
                  f"pairs vetoed {len(vetoed)}")
            per_freed, per_vetoed = collections.Counter(), collections.Counter()
            for file, verdict, set_, later, earlier in read:
                a, e = f"{later:016x}", f"{earlier:016x}"
                if (a, e) in vetoed:
                    per_vetoed[(file, verdict)] += 1
                if match.get(a) == e and a in freed:
                    per_freed[(file, verdict)] += 1
            print("     read pairs vetoed (file/verdict): " + ", ".join(
                f"{f}/{v} {n}" for (f, v), n in sorted(per_vetoed.items())))
            print("     read production matches freed: " + ", ".join(
                f"{f}/{v} {n}" for (f, v), n in sorted(per_freed.items())))
            # a read production match vetoed whose article is still filed: what it matches now
            verdict_of = {(f"{later:016x}", f"{earlier:016x}"): verdict
                          for _f, verdict, _s, later, earlier in read}
            now_match = {d.article.article_id: d.matched_id for d in now}
            again = collections.Counter()
            for file, verdict, set_, later, earlier in read:
                a, e = f"{later:016x}", f"{earlier:016x}"
                if match.get(a) != e or (a, e) not in vetoed or a not in now_match:
                    continue
                m = now_match[a]
                gap = abs((docs[later].when - docs[int(m, 16)].when).total_seconds()) / 86400
                same = "same outlet" if docs[later].outlet == docs[int(m, 16)].outlet else "two outlets"
                again[(verdict, xg.band(gap), same, verdict_of.get((a, m), "unread"))] += 1
            print("     read matches vetoed, still filed, now matched to (verdict / band / outlets / "
                  "new pair's verdict): " + ", ".join(f"{'/'.join(k)} {n}" for k, n in sorted(again.items())))
            if args.show_freed:
                rng = random.Random(args.sample_seed)
                sample = sorted(freed - (exact_freed or set()))
                for aid in rng.sample(sample, min(args.show_freed, len(sample))):
                    a, b = docs[int(aid, 16)], docs[int(match[aid], 16)]
                    key = (source, b.outlet, f"{b.when:%Y-%m-%dT%H:%M}", xg._key(b.title),
                           a.outlet, f"{a.when:%Y-%m-%dT%H:%M}", xg._key(a.title))
                    print(f"\n   -- KEY\t" + "\t".join(key))
                    print(f"      E {b.outlet} {b.when:%Y-%m-%d %H:%M} {b.title[:90]!r}\n      L "
                          f"{a.outlet} {a.when:%Y-%m-%d %H:%M} {a.title[:90]!r}")
                    print(f"      E text: {b.text[:args.chars]!r}\n      L text: {a.text[:args.chars]!r}")
                    print(f"      E figures {numbers_of(b.text).figures[:25]}\n      L figures "
                          f"{numbers_of(a.text).figures[:25]}")
            sys.stdout.flush()


def evaluate(args):
    """dedup_eval `--stories-only` per dev seed (never 16-40 for choosing), production
    against each veto, line for line."""
    import difflib
    import io
    from tests.benchmarks import dedup_eval
    for seed in [int(v) for v in args.seeds.split(",")]:
        outs = []
        for veto in [None] + parse_vetoes(args.veto):
            saved, sys.argv = sys.argv, ["dedup_eval.py", "--seed", str(seed), "--stories-only"]
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), (number_veto(veto) if veto
                                                       else contextlib.nullcontext()):
                    dedup_eval.main()
            finally:
                sys.argv = saved
            outs.append(buf.getvalue())
        for veto, out in zip(parse_vetoes(args.veto), outs[1:]):
            print(f"seed {seed} {veto}: {'unchanged' if out == outs[0] else 'CHANGED'}", flush=True)
            if out != outs[0]:
                print("".join(difflib.unified_diff(outs[0].splitlines(True), out.splitlines(True))))
        if args.verbose:
            print(outs[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("features", "pairs", "rule", "eval"))
    ap.add_argument("--load", default="")
    ap.add_argument("--veto", default="0.5,3", help="share,least[,k][;...]: see `Veto`")
    ap.add_argument("--seeds", default=",".join(str(i) for i in range(1, 16)),
                    help="eval: dedup_eval dev seeds (not 16-40)")
    ap.add_argument("--show-freed", type=int, default=0)
    ap.add_argument("--sample-seed", type=int, default=1)
    ap.add_argument("--chars", type=int, default=240)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--beyond-exact", action="store_true",
                    help="rule: also run the first veto exactly (k 0); --show-freed shows only "
                         "articles the exact veto does not free")
    ap.add_argument("--sources", default="nbw")
    ap.add_argument("--show", default="")
    args = ap.parse_args(argv)
    if args.what == "eval":
        evaluate(args)
        return
    with open(args.load, "rb") as f:
        loaded = pickle.load(f)
    if args.what == "features":
        features_report(args, loaded)
    elif args.what == "pairs":
        pairs_dump(args, loaded)
    else:
        rule(args, loaded)


if __name__ == "__main__":
    main()
