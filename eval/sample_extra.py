"""Draw the extra tuning sample (run once; kept so the draw can be checked).

    python eval/sample_extra.py WAIMAI_CSV ONLINE_SHOPPING_CSV AMAZON_TEST_CSV > eval/extra_sample.jsonl

A second random draw (seed 2027) from the same sources as ``sample.py``, disjoint from the
1,200 texts of ``sample.jsonl`` (no text equal to one of them once white space and
punctuation are removed). Every text of it is for tuning: the held-out part stays the
497 texts of ``sample.jsonl``. The English file holds few "Very Negative" reviews, so the
ones ``sample.py`` left are all taken, and "Negative" reviews (two stars) are added.
"""

import json
import random
import re
import sys

from sample import rows  # the same reading of the source files (run from eval/)

SEED = 2027
_SQUEEZE = re.compile(r"[\W_]+")


def key(text: str) -> str:
    return _SQUEEZE.sub("", text.lower())


def taken_keys(*names: str) -> set[str]:
    """The keys of every text of these sample files."""
    taken: set[str] = set()
    for name in names:
        with open(name, encoding="utf-8") as f:
            taken |= {key(json.loads(line)["text"]) for line in f if line.strip()}
    return taken


def fresh(found, taken: set[str]) -> list[dict]:
    """The rows whose key is new (each key taken once, so the pool has no repeats)."""
    pool = []
    for r in found:
        k = key(r["text"])
        if k and k not in taken:
            taken.add(k)
            pool.append(r)
    return pool


def emit(picks: list[dict], prefix: str) -> None:
    """Print the picks as tuning rows with ids ``prefix0000`` …."""
    for i, r in enumerate(picks):
        r["id"] = f"{prefix}{i:04d}"
        r["split"] = "tune"
        print(json.dumps(r, ensure_ascii=False))


def main() -> None:
    waimai, shopping, amazon = sys.argv[1:4]
    taken = taken_keys(sys.argv[4] if len(sys.argv) > 4 else "eval/sample.jsonl")
    rng = random.Random(SEED)
    picks = []
    for path, keep, field, source, n in (
        (waimai, lambda r: r["label"] == "0", "review", "waimai_10k", 700),
        (shopping, lambda r: r["label"] == "0", "review", "online_shopping_10_cats", 700),
        (amazon, lambda r: r["target"] == "Very Negative", "input", "amazon_review_full", None),
        (amazon, lambda r: r["target"] == "Negative", "input", "amazon_review_full", 100),
    ):
        pool = fresh(rows(path, keep, field, source), taken)
        picks.extend(pool if n is None else rng.sample(pool, n))
    rng.shuffle(picks)
    emit(picks, "x")


if __name__ == "__main__":
    main()
