"""Draw the evaluation sample (run once; kept so the draw can be checked).

    python eval/sample.py WAIMAI_CSV ONLINE_SHOPPING_CSV AMAZON_TEST_CSV > eval/sample.jsonl

Sources (see eval/README.md): SophonPlus/ChineseNlpCorpus datasets waimai_10k and
online_shopping_10_cats (label 0 = negative), and the condensed Amazon review test file of
PacktPublishing/Democratizing-Artificial-Intelligence-with-UiPath (target "Very Negative").
"""

import csv
import json
import random
import sys

SEED = 17


def rows(path: str, keep, text_key: str, source: str):
    with open(path, encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.DictReader(f)):
            text = (row[text_key] or "").strip().lstrip("\ufeff")
            if keep(row) and text:
                yield {"source": source, "row": i, "text": text}


def main() -> None:
    waimai, shopping, amazon = sys.argv[1:4]
    rng = random.Random(SEED)
    picks = []
    for path, keep, key, source, n in (
        (waimai, lambda r: r["label"] == "0", "review", "waimai_10k", 520),
        (shopping, lambda r: r["label"] == "0", "review", "online_shopping_10_cats", 520),
        (amazon, lambda r: r["target"] == "Very Negative", "input", "amazon_review_full", 160),
    ):
        pool, seen = [], set()
        for r in rows(path, keep, key, source):
            if r["text"] not in seen:
                seen.add(r["text"])
                pool.append(r)
        picks.extend(rng.sample(pool, n))
    rng.shuffle(picks)
    for i, r in enumerate(picks):
        r["id"] = f"r{i:04d}"
        r["split"] = "tune" if rng.random() < 0.6 else "held_out"
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
