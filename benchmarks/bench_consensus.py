"""Dawid-Skene on 100,000 tasks x 5 judgements from 10 workers (500,000 labels, 3 classes): answerkey vs
crowd-kit, with the accuracy of each against the truth and against the Bayes oracle (the posterior under the
true worker accuracies), in one run.

Targets (issue 3): equal accuracy, at least 10x faster than crowd-kit's Dawid-Skene (under 0.7 s here).

    python benchmarks/bench_consensus.py [--tasks 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def make_data(
    tasks: int, workers: int, per_task: int, classes: int, seed: int, low: float = 0.5, high: float = 0.9
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Judgements of workers right with probability ``low``-``high`` (0.5-0.9: a Bayes oracle near 0.945, the
    issue's setting) and wrong uniformly otherwise."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, tasks)
    accuracy = rng.uniform(low, high, workers)
    task = np.repeat(np.arange(tasks), per_task)
    worker = np.argsort(rng.random((tasks, workers)), axis=1)[:, :per_task].ravel()
    right = rng.random(len(task)) < accuracy[worker]
    label = np.where(right, truth[task], (truth[task] + rng.integers(1, classes, len(task))) % classes)
    frame = pd.DataFrame({"item_id": task, "annotator_id": worker, "label": label})
    return frame, truth, accuracy


def oracle_accuracy(frame: pd.DataFrame, truth: np.ndarray, accuracy: np.ndarray, classes: int) -> float:
    """Accuracy of the Bayes-optimal label given the true worker accuracies and uniform priors."""
    log_right = np.log(accuracy)[frame["annotator_id"]]
    log_wrong = np.log((1 - accuracy) / (classes - 1))[frame["annotator_id"]]
    scores = np.zeros((len(truth), classes))
    for c in range(classes):
        scores[:, c] = np.bincount(frame["item_id"], weights=np.where(frame["label"] == c, log_right, log_wrong),
                                   minlength=len(truth))
    return float((scores.argmax(axis=1) == truth).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    classes = 3
    frame, truth, accuracy = make_data(args.tasks, 10, 5, classes, args.seed)
    from crowdkit.aggregation import DawidSkene as CrowdKitDawidSkene
    from crowdkit.aggregation import OneCoinDawidSkene as CrowdKitOneCoin

    from answerkey.quality.aggregation import DawidSkene

    rows = []
    for name, one_coin in (("Dawid-Skene", False), ("one-coin Dawid-Skene", True)):
        start = time.perf_counter()
        model = DawidSkene(one_coin=one_coin).fit(frame)
        ours_s = time.perf_counter() - start
        ours = model.labels_.set_index("item_id")["label"].reindex(range(args.tasks)).to_numpy()
        peer_frame = frame.rename(columns={"item_id": "task", "annotator_id": "worker"})
        peer_model = CrowdKitOneCoin(n_iter=100) if one_coin else CrowdKitDawidSkene(n_iter=100)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = peer_model.fit_predict(peer_frame)
        peer_s = time.perf_counter() - start
        theirs = theirs.reindex(range(args.tasks)).to_numpy()
        rows.append((name, ours_s, (ours == truth).mean(), model.n_iter_, peer_s, (theirs == truth).mean()))
    print(f"{args.tasks:,} tasks x 5 judgements from 10 workers ({len(frame):,} labels, {classes} classes), "
          f"Bayes oracle accuracy {oracle_accuracy(frame, truth, accuracy, classes):.4f}")
    for name, ours_s, ours_acc, n_iter, peer_s, peer_acc in rows:
        print(f"  {name:22} answerkey {ours_s:6.3f} s acc {ours_acc:.4f} ({n_iter} iterations) | crowd-kit "
              f"{peer_s:6.3f} s acc {peer_acc:.4f} | speed-up {peer_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
