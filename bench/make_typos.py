"""Write (or check) bench/typos.json: misspelled queries for the did-you-mean benchmark (issue 16).

    python bench/make_typos.py            # validate the lists below, write bench/typos.json
    python bench/make_typos.py --check    # validate, and fail if bench/typos.json differs

The typos are picked by hand (the lists below): realistic human slips on words and two-word
queries people search for in Justice Department releases. Nothing is generated at random and
nothing is chosen by looking at a search engine's output. The script only validates and
labels them:

- the typo differs from the intended query in exactly one word, by one edit, whose kind is
  derived from the two spellings: transposition (two adjacent letters swapped), deletion (a
  letter dropped), doubling (a letter typed twice), insertion (another extra letter) or
  substitution (one letter replaced);
- every intended word occurs in the corpus, and the words of a two-word query occur together
  in at least one release;
- the misspelled word does not occur as a word anywhere in the corpus (title, body, topics,
  components), so a correction is really needed.

Words are the runs of letters and digits of the lower-cased, accent-stripped text; a hyphen
or an apostrophe splits words. The "judged" entries reuse the relevant ids of the single and
multiword queries of bench/judgments.json (corpus doj or seed; seed is corpus/*.md) so that a
"typo" relevance kind can be scored against the same judgments. Standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOJ = ROOT.parent / "shared" / "corpora" / "doj-opa-2009-2018" / "releases.jsonl.gz"
SEED = ROOT / "corpus"
JUDGMENTS = ROOT / "bench" / "judgments.json"
OUT = ROOT / "bench" / "typos.json"
WORD = re.compile(r"[a-z0-9]+")

# (typo, intended) for the DOJ corpus; the first four are the known failures from issue 16.
DOJ_TYPOS: list[tuple[str, str]] = [
    ("fruad", "fraud"),
    ("kuwiat", "kuwait"),
    ("ministerail", "ministerial"),
    ("counterterrorsm", "counterterrorism"),
    # one word: common misspellings
    ("goverment", "government"),
    ("embezzelment", "embezzlement"),
    ("brib", "bribe"),
    ("extortoin", "extortion"),
    ("bribary", "bribery"),
    ("indicment", "indictment"),
    ("opiod", "opioid"),
    ("antitrsut", "antitrust"),
    ("laundring", "laundering"),
    ("conspiracey", "conspiracy"),
    ("racketering", "racketeering"),
    ("terorism", "terrorism"),
    ("counterfiet", "counterfeit"),
    ("traficking", "trafficking"),
    ("smugling", "smuggling"),
    ("kickbakcs", "kickbacks"),
    ("perscription", "prescription"),
    ("herion", "heroin"),
    ("methamphetamin", "methamphetamine"),
    ("amunition", "ammunition"),
    ("cartells", "cartels"),
    ("securites", "securities"),
    ("embezled", "embezzled"),
    ("surveilance", "surveillance"),
    ("espionnage", "espionage"),
    ("harrassment", "harassment"),
    ("descrimination", "discrimination"),
    ("defendent", "defendant"),
    ("prision", "prison"),
    ("forfieture", "forfeiture"),
    ("coruption", "corruption"),
    ("enviroment", "environment"),
    ("polution", "pollution"),
    ("hijaking", "hijacking"),
    ("bankrupcy", "bankruptcy"),
    ("morgage", "mortgage"),
    ("forclosure", "foreclosure"),
    ("subpeona", "subpoena"),
    ("afganistan", "afghanistan"),
    ("sheirff", "sheriff"),
    ("pharmacuetical", "pharmaceutical"),
    ("marijuna", "marijuana"),
    ("terrorrist", "terrorist"),
    ("extremeist", "extremist"),
    # one word: adjacent-key substitutions
    ("immigrstion", "immigration"),
    ("sentemced", "sentenced"),
    ("cocaune", "cocaine"),
    ("narcptics", "narcotics"),
    ("fitearms", "firearms"),
    ("asylim", "asylum"),
    ("mortgahe", "mortgage"),
    ("guilry", "guilty"),
    ("convivted", "convicted"),
    ("indictnent", "indictment"),
    ("oxycodine", "oxycodone"),
    ("extraditon", "extradition"),
    ("ponzo", "ponzi"),
    ("restitition", "restitution"),
    ("sentancing", "sentencing"),
    ("perjery", "perjury"),
    # one word: swapped, dropped and doubled letters
    ("extradtied", "extradited"),
    ("narcotcis", "narcotics"),
    ("medicaer", "medicare"),
    ("medciaid", "medicaid"),
    ("sanctoins", "sanctions"),
    ("convcited", "convicted"),
    ("guitly", "guilty"),
    ("wildlfie", "wildlife"),
    ("ivroy", "ivory"),
    ("citizenhsip", "citizenship"),
    ("evasoin", "evasion"),
    ("oxycodne", "oxycodone"),
    ("firarms", "firearms"),
    ("obstrucion", "obstruction"),
    ("whistleblowr", "whistleblower"),
    ("deportaion", "deportation"),
    ("manslaugter", "manslaughter"),
    ("explosivs", "explosives"),
    ("wiretapp", "wiretap"),
    ("monopolly", "monopoly"),
    ("embasy", "embassy"),
    # two words
    ("money laundring", "money laundering"),
    ("civil rigths", "civil rights"),
    ("hate crmie", "hate crime"),
    ("healtcare fraud", "healthcare fraud"),
    ("idenity theft", "identity theft"),
    ("tax evasiom", "tax evasion"),
    ("wire fraus", "wire fraud"),
    ("maill fraud", "mail fraud"),
    ("secruities fraud", "securities fraud"),
    ("bnak fraud", "bank fraud"),
    ("insider tradng", "insider trading"),
    ("child pornograhpy", "child pornography"),
    ("human trafficing", "human trafficking"),
    ("durg trafficking", "drug trafficking"),
    ("sex traffickign", "sex trafficking"),
    ("police miscondct", "police misconduct"),
    ("exessive force", "excessive force"),
    ("votting rights", "voting rights"),
    ("fair housign", "fair housing"),
    ("flase claims", "false claims"),
    ("price fixnig", "price fixing"),
    ("bid riging", "bid rigging"),
    ("export contols", "export controls"),
    ("material suport", "material support"),
    ("foriegn bribery", "foreign bribery"),
    ("orgnaized crime", "organized crime"),
    ("drug cartle", "drug cartel"),
    ("mortage fraud", "mortgage fraud"),
    ("ponzi sceme", "ponzi scheme"),
    ("invesment fraud", "investment fraud"),
    ("imigration fraud", "immigration fraud"),
    ("visa frauf", "visa fraud"),
    ("prescription durgs", "prescription drugs"),
    ("enviornmental crimes", "environmental crimes"),
    ("wildlife trafficcking", "wildlife trafficking"),
    ("gang memebrs", "gang members"),
    ("plea agreemnet", "plea agreement"),
    ("fedral prison", "federal prison"),
    ("grand jurry", "grand jury"),
    ("search warrent", "search warrant"),
    ("trade secrects", "trade secrets"),
    ("economic espoinage", "economic espionage"),
    ("computer instrusion", "computer intrusion"),
    ("bank robery", "bank robbery"),
    ("sexual abuce", "sexual abuse"),
    ("counterfit goods", "counterfeit goods"),
    ("death penality", "death penalty"),
    ("life sentance", "life sentence"),
    ("medicare farud", "medicare fraud"),
    ("opioid epidemc", "opioid epidemic"),
]

# Typo variants of the judged single/multiword queries: (corpus, judged query, typo).
JUDGED_TYPOS: list[tuple[str, str, str]] = [
    ("seed", "kuwait", "kwuait"),
    ("seed", "mosul", "msoul"),
    ("seed", "bridge", "brdige"),
    ("seed", "canada", "canda"),
    ("seed", "civilian casualties", "civilian casualites"),
    ("seed", "civilian casualties", "civillian casualties"),
    ("seed", "power infrastructure", "power infrastrucure"),
    ("seed", "foreign ministers kuwait", "foriegn ministers kuwait"),
    ("doj", "kelihos", "kelhios"),
    ("doj", "fentanyl", "fentanly"),
    ("doj", "fentanyl", "fetanyl"),
    ("doj", "cyberstalking", "cyberstalkng"),
    ("doj", "ransomware", "ransonware"),
    ("doj", "ransomware", "ransomeware"),
    ("doj", "backpage", "backpgae"),
    ("doj", "pill mill", "pill mlil"),
    ("doj", "gameover zeus", "gameover zues"),
    ("doj", "dylann roof", "dylnan roof"),
    ("doj", "michael slager", "michael slaegr"),
    ("doj", "michael slager", "michael slagger"),
    ("doj", "chinese fentanyl manufacturers", "chinese fentanyl manufactuers"),
]


def words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return WORD.findall(plain)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def doj_documents(path: Path) -> Iterator[tuple[str, set[str]]]:
    """(id, words) of each release: title, body, topics and components."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = " ".join(
                part for key in ("title", "body", "topics", "components") for part in strings(record.get(key))
            )
            yield record["id"], set(words(text))


def seed_documents(folder: Path) -> Iterator[tuple[str, set[str]]]:
    """(id, words) of each Markdown release, front matter included; the id is the file stem."""
    for path in sorted(folder.glob("*.md")):
        yield path.stem, set(words(path.read_text(encoding="utf-8")))


def classify(typo: str, intended: str) -> str:
    """The kind of the single edit turning ``intended`` into ``typo``; ValueError if it is not one."""
    if len(typo) == len(intended):
        diff = [index for index, (a, b) in enumerate(zip(typo, intended, strict=True)) if a != b]
        if len(diff) == 1:
            return "substitution"
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            i = diff[0]
            if typo[i] == intended[i + 1] and typo[i + 1] == intended[i]:
                return "transposition"
    elif len(typo) == len(intended) + 1:
        for i in range(len(typo)):
            if typo[:i] + typo[i + 1 :] == intended:
                extra = typo[i]
                neighbours = typo[i - 1 : i] + typo[i + 1 : i + 2]
                return "doubling" if extra in neighbours else "insertion"
    elif len(typo) + 1 == len(intended):
        for i in range(len(intended)):
            if intended[:i] + intended[i + 1 :] == typo:
                return "deletion"
    raise ValueError(f"{typo!r} is not one edit away from {intended!r}")


def edit(typo_query: str, intended_query: str) -> tuple[str, str, str]:
    """(misspelled word, intended word, error kind) of a query differing in exactly one word."""
    typo_words, intended_words = typo_query.split(), intended_query.split()
    if len(typo_words) != len(intended_words):
        raise ValueError(f"{typo_query!r} and {intended_query!r} have different numbers of words")
    pairs = [(t, i) for t, i in zip(typo_words, intended_words, strict=True) if t != i]
    if len(pairs) != 1:
        raise ValueError(f"{typo_query!r} must differ from {intended_query!r} in exactly one word")
    typo, intended = pairs[0]
    return typo, intended, classify(typo, intended)


class Vocabulary:
    """Document frequencies of the words of one corpus, and which documents hold each word."""

    def __init__(self, documents: Iterable[tuple[str, set[str]]]) -> None:
        self.postings: dict[str, set[str]] = {}
        for doc_id, doc_words in documents:
            for word in doc_words:
                self.postings.setdefault(word, set()).add(doc_id)

    def releases(self, query: str) -> set[str]:
        """Releases holding every word of the query."""
        found: set[str] | None = None
        for word in words(query):
            docs = self.postings.get(word, set())
            found = set(docs) if found is None else found & docs
        return found or set()


def check_pair(typo_query: str, intended_query: str, vocabulary: Vocabulary) -> tuple[str, int]:
    """Validate one pair; return its error kind and the number of releases holding the intended words."""
    typo, intended, error = edit(typo_query, intended_query)
    if words(typo) != [typo] or words(intended) != [intended]:
        raise ValueError(f"{typo!r}/{intended!r}: only lower-case letters and digits")
    if typo in vocabulary.postings:
        raise ValueError(f"the typo {typo!r} occurs in {len(vocabulary.postings[typo])} releases")
    for word in words(intended_query):
        if word not in vocabulary.postings:
            raise ValueError(f"the intended word {word!r} does not occur in the corpus")
    count = len(vocabulary.releases(intended_query))
    if count == 0:
        raise ValueError(f"no release holds all of {intended_query!r}")
    return error, count


def build(doj: Vocabulary, seed: Vocabulary, judgments: dict[str, Any]) -> dict[str, Any]:
    problems: list[str] = []
    queries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for typo_query, intended_query in DOJ_TYPOS:
        if typo_query in seen:
            problems.append(f"{typo_query!r} is listed twice")
        seen.add(typo_query)
        try:
            error, _count = check_pair(typo_query, intended_query, doj)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        kind = "one-word" if len(intended_query.split()) == 1 else "two-word"
        queries.append({"q": typo_query, "intended": intended_query, "kind": kind, "error": error})

    judged_by_query = {
        (row["corpus"], row["q"]): row
        for row in judgments["queries"]
        if row["kind"] in ("single", "multiword") and row["corpus"] in ("doj", "seed")
    }
    judged: list[dict[str, Any]] = []
    for corpus, intended_query, typo_query in JUDGED_TYPOS:
        row = judged_by_query.get((corpus, intended_query))
        if row is None:
            problems.append(f"no judged single/multiword query {intended_query!r} in corpus {corpus}")
            continue
        try:
            error, _count = check_pair(typo_query, intended_query, doj if corpus == "doj" else seed)
        except ValueError as exc:
            problems.append(f"[{corpus}] {exc}")
            continue
        judged.append(
            {
                "corpus": corpus,
                "kind": "typo",
                "q": typo_query,
                "intended": intended_query,
                "relevant": list(row["relevant"]),
                "note": f"{error}; typo of the judged {row['kind']} query {intended_query!r}",
            }
        )
    missing = sorted(set(judged_by_query) - {(corpus, q) for corpus, q, _typo in JUDGED_TYPOS})
    if missing:
        problems.append(f"judged single/multiword queries without a typo variant: {missing}")
    if problems:
        raise SystemExit("make_typos: invalid entries:\n  " + "\n  ".join(problems))

    return {
        "description": (
            "Misspelled queries for did-you-mean (issue 16). 'queries': typos of words and two-word queries "
            "people search for in the DOJ corpus (doj-opa-2009-2018, 12,694 releases), picked by hand: "
            "common misspellings, adjacent-key substitutions, swapped, dropped and doubled letters; the "
            "first four are the known failures fruad, kuwiat, ministerail, counterterrorsm. Each differs "
            "from 'intended' in one word by one edit ('error', derived from the two spellings by "
            "bench/make_typos.py). Checked against the corpus (lower-cased, accent-stripped runs of "
            "letters and digits of title, body, topics and components): every intended word occurs and "
            "the words of a two-word query occur together in at least one release; the misspelled word "
            "occurs nowhere. 'relevant' is left out (not judged): score the correction against "
            "'intended', or compare the typo's results with those of 'intended'. 'judged': typo "
            "variants of the single and multiword queries of bench/judgments.json (doj, and seed = "
            "corpus/*.md, each checked against its own corpus) with the same relevant ids, for a 'typo' "
            "relevance kind. Regenerate and validate with: python bench/make_typos.py [--check]."
        ),
        "queries": queries,
        "judged": judged,
    }


def render(document: dict[str, Any]) -> str:
    """JSON with one query per line, so that diffs stay readable."""
    lines = ["{", f' "description": {json.dumps(document["description"], ensure_ascii=False)},']
    for key in ("queries", "judged"):
        rows = [json.dumps(row, ensure_ascii=False) for row in document[key]]
        lines.append(f' "{key}": [')
        lines.extend(f"  {row}," for row in rows[:-1])
        lines.append(f"  {rows[-1]}")
        lines.append(" ]," if key == "queries" else " ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--doj-corpus", type=Path, default=DOJ)
    parser.add_argument("--seed-corpus", type=Path, default=SEED)
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="do not write; fail if --out differs")
    args = parser.parse_args()

    doj = Vocabulary(doj_documents(args.doj_corpus))
    seed = Vocabulary(seed_documents(args.seed_corpus))
    judgments = json.loads(args.judgments.read_text(encoding="utf-8"))
    text = render(build(doj, seed, judgments))
    document = json.loads(text)
    counts: dict[str, int] = {}
    for row in document["queries"]:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
        counts[row["error"]] = counts.get(row["error"], 0) + 1
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    print(f"{len(document['queries'])} queries ({summary}); {len(document['judged'])} judged")
    if args.check:
        if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
            print(f"{args.out} is out of date: run python bench/make_typos.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
