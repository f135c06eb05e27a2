"""Development and validation parts of every shared corpus, by one fixed hash rule.

    part(key) = "validation" if int(sha256(SALT + key), 16) % 2 == 1 else "development"

``key`` is the corpus's own id of a page or document (the id in its labels or ground truth; for a corpus whose
documents come in topics, the topic, so one event's articles never sit in both parts). The salt keeps the rule
independent of the order the corpora's own shared/held-back halves were cut by (sha256 of the bare id).

Rules and thresholds are developed on the development part only; the README reports the validation part. Changing
the salt, or choosing keys per corpus after seeing scores, would defeat the point: both are fixed here.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable
from typing import Literal, TypeVar

Part = Literal["development", "validation"]
PARTS: tuple[Part, ...] = ("development", "validation")
SALT = "newslake-evaluation-split-v1:"

T = TypeVar("T")


def add_part_option(parser: argparse.ArgumentParser) -> None:
    """``--part``: score one part only (repeatable; default both), so that work on a rule need not look at the
    validation figure."""
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="score this part only (repeatable; default: both)")


def part(key: str) -> Part:
    """The part a page or document with this id belongs to."""
    return "validation" if int(hashlib.sha256((SALT + key).encode("utf-8")).hexdigest(), 16) % 2 else "development"


def only(items: Iterable[tuple[str, T]], wanted: Part | None) -> list[T]:
    """The items (key, item) of part ``wanted`` (all of them for None), in their order."""
    return [item for key, item in items if wanted is None or part(key) == wanted]
