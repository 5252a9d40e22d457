"""Extraction, language detection and NER driven from 16 threads at once give exactly the
results they give on one thread, and nothing crashes.

Beam runs DoFns on several threads per worker, trafilatura has reported crashes under
concurrent extraction, and spaCy does not document `Language` objects as thread-safe. The
threads run in a fresh process, so a crash inside a C extension fails this test instead of
killing the test run."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import gzip
import json
import multiprocessing
import random
import threading

import pytest

from tests.conftest import need_shared

THREADS = 16
ROUNDS = 2           # concurrent passes over every task
PAGES = 32           # real pages from the extraction benchmark, spread over the corpus
NER_CHARS = 2000     # NER on the lede keeps the test short; the cost is per character


def _result_key(result):
    """What must not differ between runs: an Article's fields, a rejection's reason and
    detail (its `at` time does)."""
    if hasattr(result, "reason"):
        return ("rejected", result.stage, result.reason, result.error)
    return dataclasses.asdict(result)


def _lede(text: str) -> str:
    cut = text.rfind("\n", 0, NER_CHARS)
    return text[:cut if cut > 0 else NER_CHARS]


def _tasks(pages, seeds):
    """Every call the stress test makes, as (kind, argument) pairs. Language and NER run on
    the gold bodies and the seeds, so they do not depend on extraction's output."""
    from cfnews.transforms.entities import load_ner
    nlp = load_ner("en")
    texts = [_lede(t) for t in seeds] + [_lede(body) for _, body in pages]
    tasks = [("extract", page) for page, _ in pages]
    tasks += [("language", text) for text in texts]
    tasks += [("ner", text) for text in texts]
    tasks += [("ner_batch", tuple(texts[i:i + 4])) for i in range(0, len(texts), 4)]
    return nlp, tasks


def _call(nlp, kind, argument):
    from cfnews.transforms.entities import extract_entities, extract_entities_batch
    from cfnews.transforms.extract import extract_article
    from cfnews.transforms.language import detect_language
    if kind == "extract":
        return _result_key(extract_article(argument))
    if kind == "language":
        return detect_language(argument)
    if kind == "ner":
        return extract_entities(nlp, argument)
    return tuple(extract_entities_batch(nlp, list(argument)))


def _stress(pages, seeds):
    """In a fresh process: each task once on this thread, then every task ROUNDS times,
    shuffled, from THREADS threads released together. Returns (reference, [(index, result)])."""
    nlp, tasks = _tasks(pages, seeds)
    reference = [_call(nlp, kind, arg) for kind, arg in tasks]
    order = list(range(len(tasks))) * ROUNDS
    random.Random(0).shuffle(order)
    start = threading.Barrier(THREADS)
    lock = threading.Lock()
    results = []

    def worker(share):
        start.wait()  # all threads hit the libraries at the same moment
        for index in share:
            kind, arg = tasks[index]
            result = _call(nlp, kind, arg)
            with lock:
                results.append((index, result))

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(worker, order[i::THREADS]) for i in range(THREADS)]
        for future in futures:
            future.result()  # re-raises an exception from a thread
    return [kind for kind, _ in tasks], reference, results


@pytest.fixture(scope="module")
def stress_run(seeds):
    from cfnews.schemas import FeedEntry, Page
    from cfnews.transforms.urls import article_id_for, canonical_url
    folder = need_shared("corpora", "extraction-benchmark", "html")
    gold = json.loads((folder.parent / "ground-truth.json").read_text())
    files = sorted(folder.glob("*.html.gz"))
    pages = []
    for path in files[::max(1, len(files) // PAGES)][:PAGES]:
        page_id = path.name.split(".")[0]
        url = gold[page_id]["url"]
        entry = FeedEntry(outlet="bench", feed_url="http://127.0.0.1/feed.xml", entry_id=page_id,
                          url=url, article_id=article_id_for(canonical_url(url)),
                          canonical_url=canonical_url(url))
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        pages.append((Page(entry=entry, html=html, final_url=url), gold[page_id]["articleBody"]))
    seed_texts = [seeds[k] for k in sorted(seeds)]
    with concurrent.futures.ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            kinds, reference, results = pool.submit(_stress, pages, seed_texts).result()
        except concurrent.futures.process.BrokenProcessPool as exc:
            pytest.fail(f"the process running the threads died (a crash in a C extension?): {exc}")
    return pages, seed_texts, kinds, reference, results


def test_every_concurrent_call_returns_the_single_threaded_result(stress_run):
    _, _, kinds, reference, results = stress_run
    assert len(results) == ROUNDS * len(reference) >= 200
    wrong = [(kinds[i], i) for i, result in results if result != reference[i]]
    assert not wrong, f"{len(wrong)} concurrent results differ from the single-threaded ones: {wrong[:10]}"
    assert {kinds[i] for i, _ in results} == {"extract", "language", "ner", "ner_batch"}


def test_the_results_compared_are_real_results(stress_run):
    """The reference itself is sound: pages extract to their gold text, the seeds read as
    English and name Macron and Xi, batch NER equals one-by-one NER."""
    pages, seed_texts, kinds, reference, _ = stress_run
    extracted = [r for kind, r in zip(kinds, reference) if kind == "extract"]
    articles = [r for r in extracted if isinstance(r, dict)]
    assert len(articles) >= 0.9 * len(pages)
    gold_leads = [" ".join(body.split()[:8]) for _, body in pages]
    found = sum(any(lead in " ".join(a["text"].split()) for lead in gold_leads) for a in articles)
    assert found >= 0.8 * len(articles)
    languages = [r for kind, r in zip(kinds, reference) if kind == "language"]
    assert [g.code for g in languages[:len(seed_texts)]] == ["en"] * len(seed_texts)
    entities = [r for kind, r in zip(kinds, reference) if kind == "ner"]
    people = {e.text for e in entities[0] if e.label == "PERSON"}
    assert {"Emmanuel Macron", "Xi Jinping"} & people, people
    batched = [e for kind, r in zip(kinds, reference) if kind == "ner_batch" for e in r]
    assert batched == entities
