"""Draw the English tuning sample (run once; kept so the draw can be checked).

    python eval/sample_english.py TEST_FT_TXT > eval/english_sample.jsonl

Every negative review (``__label__1``: one or two stars) of the first 6,459 lines of the
test file of Xiang Zhang's Amazon Review Polarity dataset, built like the Amazon Review Full
Score dataset of ``sample.py`` from J. McAuley and J. Leskovec's Amazon reviews, as the
GitHub repository MarkTaylorTsai/machine_learning holds them (its file ``train.ft.txt``:
the lines are those that begin the dataset's ``test.ft.txt``). A line is
``__label__1 TITLE: TEXT``; the review is kept whole, title first, as the file gives it. A
review is left out when it repeats one drawn before, or when the text of any review of the
earlier samples (all of them, the held-out part included) stands inside it once white
space and punctuation are removed. Shuffled with seed 2033; every text is for tuning.
"""

import random
import sys

from sample_extra import emit, key, taken_keys  # run from eval/

SEED = 2033
EARLIER = ("sample.jsonl", "extra_sample.jsonl", "more_sample.jsonl", "more2_sample.jsonl",
           "more3_sample.jsonl", "more4_sample.jsonl", "more5_sample.jsonl")


def negatives(path: str, source: str):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            label, _, text = line.strip().partition(" ")
            if label == "__label__1" and text.strip():
                yield {"source": source, "row": i, "text": text.strip()}


def main() -> None:
    earlier = [k for k in taken_keys(*EARLIER) if k]
    seen: set[str] = set()
    picks = []
    for r in negatives(sys.argv[1], "amazon_review_polarity"):
        k = key(r["text"])
        if k in seen or any(e in k for e in earlier):
            continue
        seen.add(k)
        picks.append(r)
    random.Random(SEED).shuffle(picks)
    emit(picks, "e")


if __name__ == "__main__":
    main()
