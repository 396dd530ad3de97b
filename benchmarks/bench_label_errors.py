"""Confident learning on 200,000 items x 20 classes (10% of labels flipped): answerkey vs cleanlab, one run.

Both with ``filter_by="prune_by_noise_rate"`` (cleanlab's default rule; answerkey's default is the posterior,
compared in ``bench_label_issues.py``).

    python benchmarks/bench_label_errors.py [--items 200000] [--classes 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def make_data(items: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given labels with 10% flipped, and probabilities from a noisy model that favours the true class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, items)
    logits = rng.normal(0, 1, (items, classes))
    logits[np.arange(items), truth] += 3.0
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = truth.copy()
    flipped = rng.random(items) < 0.1
    labels[flipped] = (truth[flipped] + rng.integers(1, classes, flipped.sum())) % classes
    return labels, probabilities, flipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=20)
    args = parser.parse_args()
    labels, probabilities, flipped = make_data(args.items, args.classes)
    from cleanlab.filter import find_label_issues as cleanlab_issues

    from answerkey.quality.label_errors import find_label_issues

    start = time.perf_counter()
    ours = find_label_issues(labels, probabilities, classes=list(range(args.classes)),
                             filter_by="prune_by_noise_rate")["is_issue"].to_numpy()
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = cleanlab_issues(labels, probabilities, filter_by="prune_by_noise_rate", n_jobs=1)
    theirs_s = time.perf_counter() - start
    print(f"{args.items:,} items x {args.classes} classes, 10% flipped")
    print(f"  answerkey {ours_s:6.3f} s, flagged {ours.sum():,}, precision {flipped[ours].mean():.3f}, "
          f"recall {ours[flipped].mean():.3f}")
    print(f"  cleanlab  {theirs_s:6.3f} s, flagged {theirs.sum():,}, precision {flipped[theirs].mean():.3f}, "
          f"recall {theirs[flipped].mean():.3f}")
    print(f"  agreement {(ours == theirs).mean():.4f}, speed-up {theirs_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
