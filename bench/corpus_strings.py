"""Phrases in the code and tests that only a few corpus pages contain: the trace of a rule or a test value written
from one benchmark page.

    .venv/bin/python -m bench.corpus_strings [--corpora ../shared/corpora] [--pages 3]

Every string literal and comment of ``tasks/`` and ``tests/`` is cut into phrases (runs of two or more words, at
least 10 characters; a regex is cut at its operators); each phrase is looked up, case-folded, in every page and
document of the corpora (Aho-Corasick, one pass per page). A phrase found in at least one and at most ``--pages``
of them, and holding a word that is itself rare in news (in fewer than ``RARE_IN`` of the AllSides articles: a
name, a site's own wording), is listed with where it is, unless ``GENERAL`` holds it with the reason it is general.
Exits 1 when any is listed. Single words are not looked up (a name of one word, an agency's acronym): too many
words of the code are rare in news for that to be read; those are for review.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import re
import sys
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parents[1]
_PHRASE = re.compile(r"[^\W\d_][\w'’.-]*(?:[ ,]+[^\W\d_][\w'’.-]*)+")
MIN_CHARS = 10
RARE_IN = 20  # AllSides articles (of 12,800) a word is in, below which it is rare
# Reviewed phrases that are general though few corpus pages hold them, with why.
GENERAL = {
    "volodymyr zelenskyy": "a head of state's name, written for the spelling-merge test",
    "jose marti": "an accent-folding test of a historical name, written here",
    "josé martí": "the same",
    "by jane doe": "the placeholder name of English",
    "pip install": "the command that installs a Python package",
    "shingles of": "the technical term of near-duplicate detection",
    "dashboard of": "software prose: the web dashboard of a warehouse",
    "rewrites the": "software prose: a command that rewrites the README",
    "and deletes the": "software prose: a commit copies parts and deletes the replaced ones",
    "installs it": "software prose: the setup that installs a browser",
    "late frost": "an invented test story about the weather; the phrase is common in farming news",
}


def code_phrases() -> dict[str, set[str]]:
    """phrase (case-folded) -> the files it is in, from the literals and comments of tasks/ and tests/."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted([*ROOT.glob("tasks/**/*.py"), *ROOT.glob("tests/*.py")]):
        source = path.read_text(encoding="utf-8")
        texts = [node.value for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        texts += [t.string for t in tokens if t.type == tokenize.COMMENT]
        for text in texts:
            for piece in re.split(r"[|()\[\]?*+\\{}^$\n]+", text):
                for match in _PHRASE.finditer(piece):
                    phrase = " ".join(match.group().split()).strip(" ,.").casefold()
                    if len(phrase) >= MIN_CHARS:
                        found[phrase].add(str(path.relative_to(ROOT)))
    return found


def corpus_pages(corpora: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every page and document of the shared corpora."""
    for path in sorted(corpora.glob("*/html/*.html.gz")):
        yield f"{path.parts[-3]}/{path.name}", gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    for path in sorted(corpora.glob("*/textdump/*.txt")):
        yield f"{path.parts[-3]}/{path.name}", path.read_text(encoding="utf-8", errors="replace")
    for path in sorted(corpora.glob("*/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                yield f"{path.parts[-2]}/{path.name}#{number}", line
    for path in sorted(corpora.glob("*/*.json")):
        yield f"{path.parts[-2]}/{path.name}", path.read_text(encoding="utf-8")
    for path in sorted(corpora.glob("*/labels.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield f"{path.parts[-2]}/{path.name}#{number}", json.dumps(json.loads(line), ensure_ascii=False)


def common_words(corpora: Path) -> set[str]:
    """The words (case-folded) of at least RARE_IN AllSides articles."""
    counts: dict[str, int] = defaultdict(int)
    with gzip.open(corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            for word in set(re.findall(r"\w+", line.casefold())):
                counts[word] += 1
    return {w for w, n in counts.items() if n >= RARE_IN}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    phrases = code_phrases()
    automaton = ahocorasick.Automaton()
    for phrase in phrases:
        automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    where: dict[str, set[str]] = defaultdict(set)
    for page, text in corpus_pages(args.corpora):
        for _, phrase in automaton.iter(" ".join(text.split()).casefold()):
            if len(where[phrase]) <= args.pages:
                where[phrase].add(page)
    common = common_words(args.corpora)
    rare = {p: pages for p, pages in where.items() if 0 < len(pages) <= args.pages and p not in GENERAL
            and any(w not in common for w in re.findall(r"\w+", p))}
    for phrase in sorted(rare, key=lambda p: (sorted(phrases[p]), p)):
        print(f"{phrase!r}  in {', '.join(sorted(phrases[phrase]))}  <- {', '.join(sorted(rare[phrase])[:3])}")
    print(f"{len(rare)} phrases of {len(phrases)} are in 1 to {args.pages} corpus pages")
    return 1 if rare else 0


if __name__ == "__main__":
    sys.exit(main())
