"""Score the importer's extraction against public benchmarks with gold text, beside trafilatura's own.

Two public data sets, read from folders you fetch yourself (their pages are other
people's web pages, so none is kept in this repository):

- ``--aeb DIR``: a checkout of scrapinghub/article-extraction-benchmark (MIT; 181 news
  pages in ``html/*.html.gz`` with their article bodies in ``ground-truth.json``). Scores
  body token F1: precision and recall of the bag of lowercased word tokens, per page,
  averaged.
- ``--trafilatura-eval DIR``: the ``tests/`` folder of adbar/trafilatura (Apache-2.0;
  ``evaldata.json`` with titles and dates of ~990 pages saved in ``eval/`` and ``cache/``).
  Scores title accuracy (equal after folding case, spaces and quotes) and date accuracy
  (the same YYYY-MM-DD), on the pages whose gold has one.

"ours" is ``importer.extract.extract_release`` (trafilatura + htmldate + our metadata
rules, on text decoded by ``importer.decode``); "trafilatura" is
``trafilatura.bare_extraction(bytes, url=…, with_metadata=True)`` with its defaults.

    .venv/bin/python bench/extraction.py --aeb ../bench-data/article-extraction-benchmark \\
        --trafilatura-eval ../bench-data/trafilatura-tests/tests
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from importer.decode import decode_page  # noqa: E402
from importer.extract import extract_release  # noqa: E402

TODAY = dt.date(2030, 1, 1)  # pages are judged as saved, not against today's calendar
Extraction = tuple[str, str, str | None]  # title, body, date


def ours(raw: bytes, url: str) -> Extraction:
    found = extract_release(decode_page(raw), url, today=TODAY)
    return found.title, found.body, found.date.isoformat() if found.date else None


def theirs(raw: bytes, url: str) -> Extraction:
    document = trafilatura.bare_extraction(raw, url=url, with_metadata=True)
    if document is None:
        return "", "", None
    return (
        getattr(document, "title", "") or "",
        getattr(document, "text", "") or "",
        getattr(document, "date", None),
    )


EXTRACTORS: dict[str, Callable[[bytes, str], Extraction]] = {"ours": ours, "trafilatura": theirs}


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def token_f1(found: str, gold: str) -> tuple[float, float, float]:
    got, want = tokens(found), tokens(gold)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def fold_title(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\"'“”‘’«»„]", "", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def aeb_pages(root: Path, limit: int | None) -> Iterator[tuple[str, bytes, str]]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for number, (key, item) in enumerate(sorted(truth.items())):
        if limit is not None and number >= limit:
            return
        yield (
            item["url"],
            gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()),
            item["articleBody"],
        )


def trafilatura_pages(root: Path, limit: int | None) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    count = 0
    for url, item in data.items():
        gold = {}
        if item.get("title"):
            gold["title"] = item["title"]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.get("date") or ""):
            gold["date"] = item["date"]
        path = next(
            (root / sub / item["file"] for sub in ("eval", "cache") if (root / sub / item["file"]).is_file()),
            None,
        )
        if not gold or path is None:
            continue
        if limit is not None and count >= limit:
            return
        count += 1
        yield url, path.read_bytes(), gold


def run_aeb(root: Path, limit: int | None) -> dict[str, dict[str, float]]:
    sums = {name: [0.0, 0.0, 0.0] for name in EXTRACTORS}
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    pages = 0
    for url, raw, gold in aeb_pages(root, limit):
        pages += 1
        for name, extract in EXTRACTORS.items():
            start = time.perf_counter()
            _, body, _ = extract(raw, url)
            seconds[name] += time.perf_counter() - start
            for index, value in enumerate(token_f1(body, gold)):
                sums[name][index] += value
    return {
        name: {
            "pages": pages,
            "precision": round(values[0] / pages, 3),
            "recall": round(values[1] / pages, 3),
            "f1": round(values[2] / pages, 3),
            "ms_per_page": round(1000 * seconds[name] / pages, 1),
        }
        for name, values in sums.items()
    }


def run_trafilatura_eval(root: Path, limit: int | None) -> dict[str, dict[str, float]]:
    right = {name: Counter[str]() for name in EXTRACTORS}
    asked: Counter[str] = Counter()
    for url, raw, gold in trafilatura_pages(root, limit):
        asked.update(gold.keys())
        for name, extract in EXTRACTORS.items():
            title, _, date = extract(raw, url)
            if "title" in gold and fold_title(title) == fold_title(gold["title"]):
                right[name]["title"] += 1
            if "date" in gold and date == gold["date"]:
                right[name]["date"] += 1
    return {
        name: {
            "titles": asked["title"],
            "title_accuracy": round(counts["title"] / asked["title"], 3),
            "dates": asked["date"],
            "date_accuracy": round(counts["date"] / asked["date"], 3),
        }
        for name, counts in right.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--aeb", type=Path, help="checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--trafilatura-eval", type=Path, help="the tests/ folder of adbar/trafilatura")
    parser.add_argument("--limit", type=int, help="pages of each set at most")
    parser.add_argument("--out", type=Path, default=Path("bench/results/extraction.json"))
    args = parser.parse_args()
    if not args.aeb and not args.trafilatura_eval:
        parser.error("give --aeb DIR and/or --trafilatura-eval DIR")
    results: dict[str, object] = {"trafilatura_version": trafilatura.__version__}
    if args.aeb:
        results["article_extraction_benchmark"] = aeb = run_aeb(args.aeb, args.limit)
        print(
            "Body (scrapinghub/article-extraction-benchmark)      pages  precision  recall     F1   ms/page"
        )
        for name, row in aeb.items():
            print(
                f"  {name:<50}{row['pages']:>5}  {row['precision']:>9.3f}  {row['recall']:>6.3f}"
                f"  {row['f1']:>5.3f}  {row['ms_per_page']:>8.1f}"
            )
    if args.trafilatura_eval:
        results["trafilatura_evaldata"] = meta = run_trafilatura_eval(args.trafilatura_eval, args.limit)
        print("Metadata (adbar/trafilatura tests/evaldata.json)    titles  accuracy  dates  accuracy")
        for name, row in meta.items():
            print(
                f"  {name:<50}{row['titles']:>6}  {row['title_accuracy']:>8.3f}"
                f"  {row['dates']:>5}  {row['date_accuracy']:>8.3f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
