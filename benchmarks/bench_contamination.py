"""Near-duplicate texts across splits: 1,000,000 train x 100,000 test short texts, answerkey vs plain datasketch.

    python benchmarks/bench_contamination.py [--train 1000000] [--test 100000] [--peer-train 500000]
                                             [--peer-test 50000] [--quick]

Synthetic support tickets (8-20 words drawn from a Zipf-like vocabulary of 3,000 words). Into test go
exact copies of train texts changed only in case, spacing and punctuation (1% of test) and near copies
(2% of test) with one or two words changed, dropped or added: their exact Jaccard over word 3-grams is
computed, so recall is measured on the planted pairs at or above the threshold.

1. answerkey ``contamination_pairs`` on the full sizes (every text tier: exact and near_text).
2. On a subsample (``--peer-train`` x ``--peer-test``, its own generated data) the peer a user would pick,
   datasketch ``MinHash`` per text (``MinHash.bulk``) + ``MinHashLSH`` (threshold 0.8, its default weights),
   candidates re-checked with the exact Jaccard of Python sets, against answerkey on the same data. Nothing
   is extrapolated: each line says the sizes it ran on.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

VOCABULARY = 3000
NGRAM = 3
THRESHOLD = 0.8


def _vocabulary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pronounceable words and Zipf-like frequencies (rank ** -1.1), as in real ticket text."""
    syllables = np.array([c + v for c in "bcdfghklmnprstvwz" for v in "aeiou"])
    parts = syllables[rng.integers(0, len(syllables), (VOCABULARY * 2, 3))]
    lengths = rng.integers(1, 4, VOCABULARY * 2)
    words = pd.unique(np.array(["".join(p[:n]) for p, n in zip(parts, lengths, strict=True)]))[:VOCABULARY]
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.1
    return words, weights / weights.sum()


def _texts(rng: np.random.Generator, count: int, words: np.ndarray, weights: np.ndarray) -> list[str]:
    lengths = rng.integers(8, 21, count)
    drawn = words[rng.choice(len(words), int(lengths.sum()), p=weights)]
    return [" ".join(chunk) for chunk in np.split(drawn, np.cumsum(lengths)[:-1])]


def _exact_copy(rng: np.random.Generator, text: str) -> str:
    """Only case, spacing and punctuation changed."""
    tokens = text.split()
    tokens[0] = tokens[0].capitalize()
    at = int(rng.integers(1, len(tokens)))
    tokens[at] = tokens[at].upper() + ","
    return "  " + "  ".join(tokens) + "?!"


def _near_copy(rng: np.random.Generator, text: str, words: np.ndarray) -> str:
    """One or two words changed, the last dropped or one appended."""
    tokens = text.split()
    kind = int(rng.integers(0, 4))
    if kind == 0:
        tokens[-1] = str(rng.choice(words))
    elif kind == 1:
        tokens = tokens[:-1]
    elif kind == 2:
        tokens.append(str(rng.choice(words)))
    else:
        for _ in range(int(rng.integers(1, 3))):
            tokens[int(rng.integers(0, len(tokens)))] = str(rng.choice(words))
    return " ".join(tokens)


def _shingles(text: str) -> set[tuple[str, ...]]:
    from answerkey.splits.minhash import normalise_text

    tokens = normalise_text(text).split()
    return {tuple(tokens[i:i + NGRAM]) for i in range(max(len(tokens) - NGRAM + 1, 1))} if tokens else set()


def _jaccard(a: str, b: str) -> float:
    left, right = _shingles(a), _shingles(b)
    return len(left & right) / len(left | right) if left | right else 0.0


def make_data(train: int, test: int, seed: int = 0) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    """Items (train then test) and the planted pairs (train id, test id) -> exact Jaccard."""
    rng = np.random.default_rng(seed)
    words, weights = _vocabulary(rng)
    train_texts = _texts(rng, train, words, weights)
    test_texts = _texts(rng, test, words, weights)
    planted: dict[tuple[str, str], float] = {}
    exact, near = test // 100, test // 50
    sources = rng.choice(train, exact + near, replace=False)
    for slot, source in enumerate(sources):
        original = train_texts[source]
        copy = _exact_copy(rng, original) if slot < exact else _near_copy(rng, original, words)
        test_texts[slot] = copy
        planted[(f"r{source}", f"s{slot}")] = 1.0 if slot < exact else _jaccard(original, copy)
    frame = pd.DataFrame({
        "item_id": [f"r{i}" for i in range(train)] + [f"s{i}" for i in range(test)],
        "split": ["train"] * train + ["test"] * test,
        "text": train_texts + test_texts,
    })
    return frame, planted


def run_ours(frame: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    from answerkey.splits.contamination import contamination_pairs

    start = time.perf_counter()
    pairs = contamination_pairs(frame, text_columns=["text"], threshold=THRESHOLD, ngram=NGRAM)
    return time.perf_counter() - start, pairs


def run_datasketch(frame: pd.DataFrame) -> tuple[float, set[tuple[str, str]]]:
    """What a user would write: normalise, shingle, MinHash per text, LSH over train, query each test text."""
    from datasketch import MinHash, MinHashLSH

    from answerkey.splits.minhash import normalise_text

    start = time.perf_counter()
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]

    def shingles(text: str) -> set[bytes]:
        tokens = normalise_text(text).split()
        return {" ".join(tokens[i:i + NGRAM]).encode() for i in range(max(len(tokens) - NGRAM + 1, 1))}

    train_sets = [shingles(t) for t in train["text"]]
    index = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    with index.insertion_session() as session:
        for key, sketch in zip(train["item_id"], MinHash.bulk(train_sets, num_perm=128), strict=True):
            session.insert(key, sketch)
    by_id = dict(zip(train["item_id"], train_sets, strict=True))
    found = set()
    test_sets = [shingles(t) for t in test["text"]]
    for key, sketch, mine in zip(test["item_id"], MinHash.bulk(test_sets, num_perm=128), test_sets, strict=True):
        for other in index.query(sketch):
            theirs = by_id[other]
            if len(mine & theirs) / len(mine | theirs) >= THRESHOLD:
                found.add((other, key))
    return time.perf_counter() - start, found


def report(label: str, seconds: float, pairs: pd.DataFrame, planted: dict[tuple[str, str], float],
           frame: pd.DataFrame) -> None:
    counts = pairs["tier"].value_counts().to_dict()
    found = set(zip(pairs["item"], pairs["other_item"], strict=True))
    expected = {p for p, j in planted.items() if j >= THRESHOLD}
    exact = {p for p, j in planted.items() if j == 1.0}
    near = expected - exact
    text = dict(zip(frame["item_id"], frame["text"], strict=True))
    near_pairs = pairs[pairs["tier"] == "near_text"]
    true = sum(_jaccard(text[a], text[b]) >= THRESHOLD for a, b in zip(near_pairs["item"], near_pairs["other_item"],
                                                                      strict=True))
    print(f"  {label}: {seconds:7.2f} s, pairs per tier {counts}")
    print(f"    planted: {len(exact):,} exact, {len(near):,} near at Jaccard >= {THRESHOLD} "
          f"({len(planted) - len(expected):,} more near copies below it, not expected)")
    print(f"    recall exact {len(found & exact) / max(len(exact), 1):.4f}, "
          f"recall near {len(found & near) / max(len(near), 1):.4f}, "
          f"precision near_text {true / max(len(near_pairs), 1):.4f} ({true:,}/{len(near_pairs):,} pairs >= "
          f"{THRESHOLD}), pairs not planted {len(found - set(planted)):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=1_000_000)
    parser.add_argument("--test", type=int, default=100_000)
    parser.add_argument("--peer-train", type=int, default=500_000)
    parser.add_argument("--peer-test", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="100,000 x 10,000 and a 20,000 x 2,000 peer run")
    args = parser.parse_args()
    if args.quick:
        args.train, args.test, args.peer_train, args.peer_test = 100_000, 10_000, 20_000, 2_000

    start = time.perf_counter()
    frame, planted = make_data(args.train, args.test)
    print(f"{args.train:,} train x {args.test:,} test texts generated in {time.perf_counter() - start:.1f} s "
          f"(not timed below); threshold {THRESHOLD}, word {NGRAM}-grams, 128 permutations")
    seconds, pairs = run_ours(frame)
    report(f"answerkey, {args.train:,} x {args.test:,}", seconds, pairs, planted, frame)
    print(f"    target: under 120 s: {'met' if seconds < 120 else 'NOT met'}")
    del frame, pairs

    small, small_planted = make_data(args.peer_train, args.peer_test, seed=1)
    print(f"subsample {args.peer_train:,} train x {args.peer_test:,} test (its own data), both sides:")
    ours_s, ours = run_ours(small)
    report("answerkey", ours_s, ours, small_planted, small)
    theirs_s, theirs = run_datasketch(small)
    theirs_frame = pd.DataFrame(sorted(theirs), columns=["item", "other_item"]).assign(tier="near_text")
    report("datasketch MinHash + MinHashLSH", theirs_s, theirs_frame, small_planted, small)
    mine = set(zip(ours["item"], ours["other_item"], strict=True))
    both = len(mine & theirs)
    print(f"  same pairs {both:,} (answerkey only {len(mine - theirs):,}, datasketch only {len(theirs - mine):,}); "
          f"speed-up {theirs_s / ours_s:.1f}x at {args.peer_train:,} x {args.peer_test:,}")


if __name__ == "__main__":
    main()
