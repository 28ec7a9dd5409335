"""Relevance benchmark: Release Search against an SQLite FTS5 baseline on judged queries.

Usage (from the repository root):

    python bench/relevance.py                          # build both indexes in a temp dir
    python bench/relevance.py --doj-index /tmp/doj     # reuse a built DOJ index (~75 s saved)
    python bench/relevance.py --corpus seed            # only the seed corpus
    python bench/relevance.py --kind question --kind typo   # only the issue-15 kinds
    python bench/relevance.py --corpus multilingual    # only the French and Arabic queries
    python bench/relevance.py --corpus multilingual --arabic-stemmer isri   # compare stemmers

Options: ``--judgments`` (default bench/judgments.json), ``--seed-index DIR`` /
``--doj-index DIR`` (reuse an index built by ``reindex``; otherwise one is built with
``indexer.reindex`` under ``--work`` or a temp dir), ``--doj-corpus PATH``, ``--variants PATH``
(default corpus/variants.txt, used for both corpora), ``--out`` (default
bench/results/relevance.json).

French and Arabic queries (bench/multilingual/judgments.json, corpora ``fr`` and ``ar``) run
over one index of bench/multilingual/{fr,ar}.jsonl together, with the variants file
bench/multilingual/variants.txt; their FTS5 baseline uses ``unicode61 remove_diacritics 2``.
``--arabic-stemmer`` (light10, isri, snowball) picks the Arabic stemmer for that index.

Each judged query (bench/judgments.json: corpus, kind, q, relevant ids, note) runs through
``SearchService.search`` (top 10) and through :class:`fts5_baseline.Fts5Baseline` over the
same releases. Two more kinds join them: ``typo`` (bench/typos.json, key ``judged``: mistyped
versions of judged queries) and ``question`` (bench/questions/: natural-language questions,
XQuAD in English and PIAF in French, over their own paragraph corpora ``xquad-en`` and
``piaf-fr``). For these two the baseline answers "all words, else any word"
(:meth:`Fts5Baseline.search_all_else_any`); for the others, all words as before.
Metrics, binary relevance: MRR (reciprocal rank of the first relevant hit),
Recall@10 and nDCG@10. Means per corpus x kind and overall are printed side by side and
written as JSON with the per-query rows; queries where Release Search has a lower nDCG@10
than the baseline are listed with what each engine returned. For a query with no hits
and a did-you-mean suggestion, the row also scores the suggested query (``via_suggestion``).
Deterministic, offline, standard library plus the project.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fts5_baseline import MULTILINGUAL_TOKENIZER, Fts5Baseline  # noqa: E402

from indexer import load_corpus, reindex  # noqa: E402
from indexer.arabic import ARABIC_STEMMERS  # noqa: E402
from indexer.language_analysis import reset_language_tables  # noqa: E402
from indexer.language_words import ARABIC_STEMMER  # noqa: E402
from search_app.service import SearchRequest, SearchService  # noqa: E402

K = 10
QUESTIONS = ROOT / "bench" / "questions"
CORPORA = {
    "seed": ROOT / "corpus",
    "doj": ROOT.parent / "shared" / "corpora" / "doj-opa-2009-2018" / "releases.jsonl.gz",
    "xquad-en": QUESTIONS / "en-paragraphs.jsonl",
    "piaf-fr": QUESTIONS / "fr-paragraphs.jsonl",
}
# Kinds the baseline answers with all words, else any word (as a plain FTS5 setup would).
RELAXED_KINDS = ("question", "typo")
MULTILINGUAL = ROOT / "bench" / "multilingual"
# Judged corpora that share the multilingual index.
LANGUAGES = ("fr", "ar")
METRICS = ("mrr", "recall", "ndcg")
Scores = dict[str, float]


def score(ranked: list[str], relevant: set[str]) -> Scores:
    """Return MRR, Recall@K and nDCG@K (binary gains) of one ranked list."""
    top = ranked[:K]
    gains = [1.0 if doc in relevant else 0.0 for doc in top]
    first = next((i for i, gain in enumerate(gains) if gain), None)
    dcg = sum(gain / math.log2(i + 2) for i, gain in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return {
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "recall": sum(gains) / len(relevant),
        "ndcg": dcg / ideal,
    }


def mean(rows: list[Scores]) -> Scores:
    return {m: round(sum(row[m] for row in rows) / len(rows), 3) for m in METRICS}


def prepare_index(name: str, corpus: Path, given: Path | None, work: Path) -> Path:
    if given is not None:
        return given
    target = work / name
    started = time.perf_counter()
    summary = reindex(corpus, target, full=True)
    print(f"built {name} index: {summary.documents} releases in {time.perf_counter() - started:.1f} s")
    return target


def run_engine(service: SearchService, q: str) -> tuple[list[str], str | None, str | None]:
    """Return (top ids, suggestion, error) for one query; errors score zero rather than abort."""
    try:
        result = service.search(SearchRequest(q=q, per_page=K))
    except Exception as exc:  # noqa: BLE001 - the engine is work in progress; record and go on
        return [], None, f"{type(exc).__name__}: {exc}"
    return [hit.id for hit in result.hits], result.suggestion, None


def evaluate(args: argparse.Namespace, queries: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in (*CORPORA, "multilingual"):
        mine = [
            q for q in queries if q["corpus"] == name or (name == "multilingual" and q["corpus"] in LANGUAGES)
        ]
        if not mine or args.corpus not in (name, "all"):
            continue
        if name == "multilingual":
            ARABIC_STEMMER[0] = ARABIC_STEMMERS[args.arabic_stemmer]
            reset_language_tables()
            corpus = work / "multilingual-corpus"
            corpus.mkdir(parents=True, exist_ok=True)
            for lang in LANGUAGES:
                (corpus / f"{lang}.jsonl").write_bytes((MULTILINGUAL / f"{lang}.jsonl").read_bytes())
            index_dir = prepare_index(name, corpus, None, work)
            service = SearchService(index_dir, args.multilingual_variants)
            tokenize = MULTILINGUAL_TOKENIZER
        else:
            corpus = args.doj_corpus if name == "doj" else CORPORA[name]
            index_dir = prepare_index(name, corpus, getattr(args, f"{name.split('-')[0]}_index", None), work)
            service = SearchService(index_dir, args.variants)
            tokenize = "porter unicode61"
        records = load_corpus(corpus).records
        baseline = Fts5Baseline(((r.id, r.title, r.body) for r in records), tokenize=tokenize)
        print(
            f"{name}: {service.health()['documents']} releases in the index, {len(records)} in the baseline"
        )
        for query in mine:
            relevant = set(query["relevant"])
            ids, suggestion, error = run_engine(service, query["q"])
            if query["kind"] in RELAXED_KINDS:
                base_ids = baseline.search_all_else_any(query["q"], K)
            else:
                base_ids = baseline.search(query["q"], K)
            row = {**query, "engine": score(ids, relevant), "baseline": score(base_ids, relevant)}
            row.update(engine_ids=ids, baseline_ids=base_ids, suggestion=suggestion, error=error)
            if suggestion and not ids:
                row["via_suggestion"] = score(run_engine(service, suggestion)[0], relevant)
            rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for key in (
            (row["corpus"], row["kind"]),
            (row["corpus"], "ALL"),
            ("ALL", row["kind"]),
            ("ALL", "ALL"),
        ):
            groups[key].append(row)
    order = sorted(groups, key=lambda key: (key[0] == "ALL", key[0], key[1] == "ALL", key[1]))
    return [
        {
            "corpus": corpus,
            "kind": kind,
            "n": len(groups[corpus, kind]),
            "engine": mean([row["engine"] for row in groups[corpus, kind]]),
            "baseline": mean([row["baseline"] for row in groups[corpus, kind]]),
        }
        for corpus, kind in order
    ]


def print_table(summary: list[dict[str, Any]]) -> None:
    head = f"{'corpus':<8} {'kind':<12} {'n':>3} | {'Release Search':^20} | {'FTS5 baseline':^20}"
    cols = f"{'':<8} {'':<12} {'':>3} | " + " | ".join(["  MRR   R@10   nDCG"] * 2)
    print(head, cols, "-" * len(cols), sep="\n")
    for line in summary:
        cells = [" ".join(f"{line[e][m]:6.3f}" for m in METRICS) for e in ("engine", "baseline")]
        print(f"{line['corpus']:<8} {line['kind']:<12} {line['n']:>3} | {cells[0]} | {cells[1]}")


def marked(ids: list[str], relevant: set[str]) -> str:
    return " ".join(("*" if doc in relevant else "") + doc for doc in ids) or "(no hits)"


def print_losses(rows: list[dict[str, Any]]) -> None:
    losses = [row for row in rows if row["engine"]["ndcg"] < row["baseline"]["ndcg"] - 1e-9]
    print(f"\nQueries where Release Search scores below the baseline (nDCG@{K}): {len(losses)}")
    for row in losses:
        if row["kind"] == "question":
            continue  # hundreds of them: the JSON report has each one
        relevant = set(row["relevant"])
        print(
            f"- [{row['corpus']}/{row['kind']}] {row['q']!r}: nDCG {row['engine']['ndcg']:.3f} "
            f"vs {row['baseline']['ndcg']:.3f} (relevant: {len(relevant)})"
        )
        print(f"    engine:   {marked(row['engine_ids'], relevant)}")
        print(f"    baseline: {marked(row['baseline_ids'], relevant)}")
        if row["error"]:
            print(f"    engine error: {row['error']}")


def print_notes(rows: list[dict[str, Any]]) -> None:
    suggested = [row for row in rows if "via_suggestion" in row]
    if suggested:
        ndcg = sum(row["via_suggestion"]["ndcg"] for row in suggested) / len(suggested)
        print(
            f"\nDid-you-mean: {len(suggested)} queries had no hits but a suggestion; "
            f"following it gives mean nDCG@{K} {ndcg:.3f}"
        )
        for row in suggested:
            print(f"    {row['q']!r} -> {row['suggestion']!r}: nDCG {row['via_suggestion']['ndcg']:.3f}")
    errors = [row for row in rows if row["error"]]
    for row in errors:
        print(f"engine error on {row['q']!r}: {row['error']}")


def load_queries(judgments: Path) -> list[dict[str, Any]]:
    """Return the judged queries, the typo versions of them and the question sets."""
    queries: list[dict[str, Any]] = json.loads(judgments.read_text(encoding="utf-8"))["queries"]
    typos = ROOT / "bench" / "typos.json"
    if typos.exists():
        queries += json.loads(typos.read_text(encoding="utf-8"))["judged"]
    for corpus, name in (("xquad-en", "en-questions.json"), ("piaf-fr", "fr-questions.json")):
        if (QUESTIONS / name).exists():
            questions = json.loads((QUESTIONS / name).read_text(encoding="utf-8"))["queries"]
            queries += [{**question, "corpus": corpus, "kind": "question"} for question in questions]
    return queries


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--judgments", type=Path, default=ROOT / "bench" / "judgments.json")
    parser.add_argument("--corpus", choices=(*CORPORA, "multilingual", "all"), default="all")
    parser.add_argument("--kind", action="append", help="only queries of this kind (repeatable)")
    parser.add_argument("--multilingual-judgments", type=Path, default=MULTILINGUAL / "judgments.json")
    parser.add_argument("--multilingual-variants", type=Path, default=MULTILINGUAL / "variants.txt")
    parser.add_argument("--arabic-stemmer", choices=sorted(ARABIC_STEMMERS), default="snowball")
    parser.add_argument("--seed-index", type=Path, help="reuse this seed index instead of building one")
    parser.add_argument("--doj-index", type=Path, help="reuse this DOJ index instead of building one")
    parser.add_argument("--doj-corpus", type=Path, default=CORPORA["doj"])
    parser.add_argument("--variants", type=Path, default=ROOT / "corpus" / "variants.txt")
    parser.add_argument("--work", type=Path, help="build indexes here (default: a temporary directory)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "relevance.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    queries = load_queries(args.judgments)
    queries += json.loads(args.multilingual_judgments.read_text(encoding="utf-8"))["queries"]
    if args.kind:
        queries = [query for query in queries if query["kind"] in args.kind]
    with tempfile.TemporaryDirectory(prefix="relevance-") as temp:
        rows = evaluate(args, queries, args.work or Path(temp))
    if not rows:
        print("no queries to run", file=sys.stderr)
        return 2
    summary = summarise(rows)
    print()
    print_table(summary)
    print_losses(rows)
    print_notes(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"k": K, "judgments": str(args.judgments), "summary": summary, "queries": rows}
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
