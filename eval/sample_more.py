"""Draw further tuning samples (run once each; kept so the draws can be checked).

    python eval/sample_more.py WAIMAI_CSV ONLINE_SHOPPING_CSV > eval/more_sample.jsonl
    python eval/sample_more.py WAIMAI_CSV ONLINE_SHOPPING_CSV --seed 2029 --each 2000 \\
        --prefix n --exclude more_sample.jsonl > eval/more2_sample.jsonl
    python eval/sample_more.py WAIMAI_CSV ONLINE_SHOPPING_CSV --seed 2030 --each 2400 \\
        --prefix p --exclude more_sample.jsonl more2_sample.jsonl > eval/more3_sample.jsonl
    python eval/sample_more.py WAIMAI_CSV ONLINE_SHOPPING_CSV --seed 2031 --counts -1 7000 \\
        --prefix q --exclude more_sample.jsonl more2_sample.jsonl more3_sample.jsonl \\
        > eval/more4_sample.jsonl
    python eval/sample_more.py WAIMAI_CSV ONLINE_SHOPPING_CSV --seed 2032 --counts 0 -1 \\
        --prefix s --exclude more_sample.jsonl more2_sample.jsonl more3_sample.jsonl \\
        more4_sample.jsonl > eval/more5_sample.jsonl

Further random draws from the two Chinese sources of ``sample.py`` (the third draw: seed
2028, 1,500 texts from each; the fourth: seed 2029, 2,000 from each; the fifth: seed 2030,
2,400 from each; the sixth: seed 2031, every food-delivery review left and 7,000 shopping
reviews; the seventh: seed 2032, every shopping review left), disjoint from
``sample.jsonl``, ``extra_sample.jsonl`` and any ``--exclude`` files (no text equal to one
of theirs once white space and punctuation are removed). Every text of them is for tuning:
the held-out part stays the 497 texts of ``sample.jsonl``. (The English source has no
negative reviews left.)
"""

import argparse
import pathlib
import random

from sample import rows  # the same reading of the source files (run from eval/)
from sample_extra import emit, fresh, taken_keys  # the same draw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("waimai")
    parser.add_argument("shopping")
    parser.add_argument("--seed", type=int, default=2028)
    parser.add_argument("--each", type=int, default=1500)
    parser.add_argument("--counts", type=int, nargs=2, default=None,
                        help="texts from waimai_10k and from online_shopping_10_cats "
                             "(default: --each from both; -1 takes all that are left)")
    parser.add_argument("--prefix", default="m")
    parser.add_argument("--exclude", nargs="*", default=[])
    args = parser.parse_args()
    here = pathlib.Path(__file__).parent  # the sample files named are those beside this one
    taken = taken_keys(*(str(here / name) for name in
                         ("sample.jsonl", "extra_sample.jsonl", *args.exclude)))
    rng = random.Random(args.seed)
    picks = []
    counts = args.counts or (args.each, args.each)
    for path, source, n in ((args.waimai, "waimai_10k", counts[0]),
                            (args.shopping, "online_shopping_10_cats", counts[1])):
        pool = fresh(rows(path, lambda r: r["label"] == "0", "review", source), taken)
        picks.extend(rng.sample(pool, len(pool) if n < 0 else n))
    rng.shuffle(picks)
    emit(picks, args.prefix)


if __name__ == "__main__":
    main()
