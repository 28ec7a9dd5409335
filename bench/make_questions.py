"""Build the question-answering sets in bench/questions/ from XQuAD (English) and PIAF (French).

    python bench/make_questions.py --xquad xquad.en.json --piaf piaf-v1.0.json

Inputs are SQuAD-format JSON files taken from public repositories (see bench/questions/README.md
for repository, path and commit):

- ``xquad.en.json`` from google-deepmind/xquad: 240 paragraphs of the SQuAD v1.1 dev set
  (48 Wikipedia articles x 5 paragraphs) with 1190 questions, CC BY-SA 4.0.
- ``piaf-v1.0.json`` from etalab-ia/piaf-code: 3835 French questions on 761 paragraphs of
  191 French Wikipedia articles.

Output, per language: ``<lang>-paragraphs.jsonl`` (one corpus record a line: id, title, body,
url, source, lang) and ``<lang>-questions.json`` ({"description", "source", "licence",
"queries": [{"q", "relevant": [paragraph id], "note"}]}).

Selection is deterministic and never looks at a search engine's output:

- paragraphs: every paragraph of XQuAD; for PIAF, whole articles in file order until at least
  ``--fr-paragraphs`` paragraphs are taken (all of each article's paragraphs in the file);
- questions: for each paragraph, its first question of at least ``MIN_WORDS`` words (shorter ones,
  such as "Combien d'employeurs", only make sense next to their paragraph); then a sample of
  ``--en-questions`` / ``--fr-questions`` of those paragraphs drawn with ``random.Random(SEED)``,
  written in corpus order.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "questions"
SEED = 15
MIN_WORDS = 5
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def slug(text: str) -> str:
    """ASCII, lower case, words joined by '-' ("Fresno,_California" -> "fresno-california")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", plain.lower()))


def clean_title(raw: str) -> str:
    """Article title without the HTML markup PIAF keeps (<i>, <span lang>) and without underscores."""
    return SPACE.sub(" ", html.unescape(TAG.sub("", raw)).replace("_", " ")).strip()


def clean_text(raw: str) -> str:
    return SPACE.sub(" ", raw).strip()


def first_question(qas: list[dict[str, Any]]) -> dict[str, Any] | None:
    for qa in qas:
        if len(qa["question"].split()) >= MIN_WORDS:
            return qa
    return None


def build(
    data: list[dict[str, Any]],
    *,
    lang: str,
    prefix: str,
    source: str,
    wiki: str,
    min_paragraphs: int | None,
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Paragraph records and, per paragraph, one candidate question (before sampling)."""
    records: list[dict[str, str]] = []
    candidates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for article in data:
        if min_paragraphs is not None and len(records) >= min_paragraphs:
            break
        title = clean_title(article["title"])
        base = f"{prefix}-{slug(title)}"
        if base in seen:
            raise SystemExit(f"two articles give the id prefix {base}")
        seen.add(base)
        url = f"https://{wiki}.wikipedia.org/wiki/" + title.replace(" ", "_")
        for number, paragraph in enumerate(article["paragraphs"], start=1):
            record_id = f"{base}-{number}"
            records.append(
                {
                    "id": record_id,
                    "title": f"{title} §{number}",
                    "body": clean_text(paragraph["context"]),
                    "url": url,
                    "source": source,
                    "lang": lang,
                }
            )
            qa = first_question(paragraph["qas"])
            if qa is None:
                continue
            answer = qa["answers"][0]["text"] if qa["answers"] else ""
            candidates.append(
                {
                    "q": clean_text(qa["question"]),
                    "relevant": [record_id],
                    "note": f"{source} question {qa['id']}; answer: {clean_text(answer)}",
                }
            )
    return records, candidates


def sample(candidates: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` candidates drawn with a fixed seed, kept in corpus order."""
    if count >= len(candidates):
        return candidates
    chosen = set(random.Random(SEED).sample(range(len(candidates)), count))
    return [candidate for index, candidate in enumerate(candidates) if index in chosen]


def write(
    lang: str, records: list[dict[str, str]], queries: list[dict[str, Any]], meta: dict[str, str]
) -> None:
    OUT.mkdir(exist_ok=True)
    with (OUT / f"{lang}-paragraphs.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    document = {**meta, "queries": queries}
    (OUT / f"{lang}-questions.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{lang}: {len(records)} paragraphs, {len(queries)} questions")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--xquad", type=Path, required=True, help="xquad.en.json (google-deepmind/xquad)")
    parser.add_argument("--piaf", type=Path, required=True, help="piaf-v1.0.json (etalab-ia/piaf-code)")
    parser.add_argument("--en-questions", type=int, default=200)
    parser.add_argument("--fr-questions", type=int, default=200)
    parser.add_argument("--fr-paragraphs", type=int, default=450)
    args = parser.parse_args()

    sampling = (
        f"one question per paragraph (its first question of at least {MIN_WORDS} words), then "
        f"random.Random({SEED}).sample over those paragraphs; chosen without looking at any engine's output"
    )
    xquad = json.loads(args.xquad.read_text(encoding="utf-8"))["data"]
    records, candidates = build(
        xquad, lang="en", prefix="xquad", source="XQuAD", wiki="en", min_paragraphs=None
    )
    write(
        "en",
        records,
        sample(candidates, args.en_questions),
        {
            "description": (
                "English natural-language questions, each answered by one paragraph of en-paragraphs.jsonl "
                "(all 240 XQuAD English paragraphs: 48 Wikipedia articles x 5, from the SQuAD v1.1 dev "
                f"set, so every article gives 4 distractors). Sampling: {sampling}."
            ),
            "source": "https://github.com/google-deepmind/xquad xquad.en.json (SQuAD v1.1 dev subset)",
            "licence": "CC BY-SA 4.0 (XQuAD, SQuAD v1.1; paragraph text from English Wikipedia, CC BY-SA)",
        },
    )

    piaf = json.loads(args.piaf.read_text(encoding="utf-8"))["data"]
    records, candidates = build(
        piaf, lang="fr", prefix="piaf", source="PIAF", wiki="fr", min_paragraphs=args.fr_paragraphs
    )
    write(
        "fr",
        records,
        sample(candidates, args.fr_questions),
        {
            "description": (
                "French natural-language questions, each answered by one paragraph of fr-paragraphs.jsonl "
                f"(whole PIAF v1.0 articles in file order until {args.fr_paragraphs} paragraphs; the "
                "annotated paragraphs of French Wikipedia articles). "
                f"Sampling: {sampling}."
            ),
            "source": "https://github.com/etalab-ia/piaf-code piaf-v1.0.json (PIAF v1.0, Etalab)",
            "licence": (
                "MIT (LICENSE of etalab-ia/piaf-code, Copyright (c) 2020 Lab IA; the Hugging Face card of "
                "PIAF also says MIT); paragraph text from French Wikipedia, CC BY-SA"
            ),
        },
    )


if __name__ == "__main__":
    main()
