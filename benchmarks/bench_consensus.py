"""Dawid-Skene on 100,000 tasks x 5 judgements from 10 workers (500,000 labels, 3 classes): answerkey vs
crowd-kit, with the accuracy of each against the truth and against the Bayes oracle (the posterior under the
true worker accuracies), in one run.

Targets (issue 3): equal accuracy, at least 10x faster than crowd-kit's Dawid-Skene (under 0.7 s here); GLAD on
the same data in under 30 s (crowd-kit's GLAD did not finish in 300 s). crowd-kit's GLAD runs in a child
process with a time limit, on the full data and on a 10,000-task subset where it finishes, for a ratio.

    python benchmarks/bench_consensus.py [--tasks 100000] [--seed 0] [--glad-peer-timeout 300]
"""

from __future__ import annotations

import argparse
import multiprocessing
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


def _crowdkit_glad(frame: pd.DataFrame, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from crowdkit.aggregation import GLAD as PeerGLAD  # noqa: N811 - the peer's class, renamed

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = PeerGLAD(n_iter=100).fit_predict(frame.rename(columns={"item_id": "task",
                                                                            "annotator_id": "worker"}))
    queue.put((time.perf_counter() - start, labels.sort_index().to_numpy()))


def glad_rows(frame: pd.DataFrame, truth: np.ndarray, timeout: float) -> list[str]:
    """answerkey's GLAD and crowd-kit's (in a child process with ``timeout``) on the same data."""
    from answerkey.quality.aggregation.glad import GLAD

    start = time.perf_counter()
    model = GLAD().fit(frame)
    ours_s = time.perf_counter() - start
    ours = model.labels_.set_index("item_id")["label"].reindex(range(len(truth))).to_numpy()
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    child = multiprocessing.Process(target=_crowdkit_glad, args=(frame, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        peer = f"did not finish in {timeout:.0f} s"
        ratio = f"> {timeout / ours_s:.0f}x"
    else:
        peer_s, theirs = queue.get()
        peer = f"{peer_s:6.3f} s acc {(theirs == truth).mean():.4f}"
        ratio = f"{peer_s / ours_s:.1f}x"
    return [f"  {'GLAD':22} answerkey {ours_s:6.3f} s acc {(ours == truth).mean():.4f} ({model.n_iter_} "
            f"iterations) | crowd-kit {peer} | speed-up {ratio}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--glad-peer-timeout", type=float, default=300.0)
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
    for line in glad_rows(frame, truth, args.glad_peer_timeout):
        print(line)
    small, small_truth, _ = make_data(10_000, 10, 5, classes, args.seed)
    print("10,000 tasks x 5 judgements (the same setting, smaller), GLAD:")
    for line in glad_rows(small, small_truth, args.glad_peer_timeout):
        print(line)


if __name__ == "__main__":
    main()
