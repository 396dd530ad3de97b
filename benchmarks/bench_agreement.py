"""Krippendorff's alpha (nominal) on 200,000 items x 6 annotators, 30% missing: answerkey vs ``krippendorff``.

Both sides run in the same invocation, each in its own process (so peak memory is its own), on the same
data, with 5 and with 40 labels. answerkey starts from the long format (one judgement a row, as stored);
the peer gets its own input, the annotators x items matrix with NaN for missing judgements, built outside
its timing. Targets (issue 3): identical values; with 40 labels under 0.5 s and 500 MB; with 5 labels at
least as fast as the peer.

    python benchmarks/bench_agreement.py [--items 200000] [--annotators 6] [--missing 0.3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def make_data(items: int, annotators: int, labels: int, missing: float, seed: int = 3) -> np.ndarray:
    """Annotators x items label codes (NaN where missing), annotators right about 70% of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, labels, items)
    noise = rng.integers(0, labels, (annotators, items))
    data = np.where(rng.random((annotators, items)) < 0.7, truth, noise).astype(float)
    data[rng.random((annotators, items)) < missing] = np.nan
    return data


def child(side: str, items: int, annotators: int, labels: int, missing: float) -> None:
    data = make_data(items, annotators, labels, missing)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if side == "answerkey":
        from answerkey import krippendorff_alpha

        a, i = np.nonzero(~np.isnan(data))
        frame = pd.DataFrame({"item_id": i, "annotator_id": a, "label": data[a, i].astype(int)})
        start = time.perf_counter()
        value = krippendorff_alpha(frame, level="nominal")
    else:
        import krippendorff

        start = time.perf_counter()
        value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    seconds = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline) / 1024
    print(json.dumps({"seconds": seconds, "value": float(value), "extra_peak_mib": peak,
                      "judgements": int((~np.isnan(data)).sum())}))


def run(side: str, args: argparse.Namespace, labels: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", side, "--items", str(args.items), "--annotators",
               str(args.annotators), "--labels", str(labels), "--missing", str(args.missing)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=6)
    parser.add_argument("--missing", type=float, default=0.3)
    parser.add_argument("--labels", type=int, default=0, help="one label count (default: 5 and 40)")
    parser.add_argument("--child", choices=["answerkey", "krippendorff"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.items, args.annotators, args.labels, args.missing)
        return
    for labels in [args.labels] if args.labels else [5, 40]:
        ours, peer = run("answerkey", args, labels), run("krippendorff", args, labels)
        print(f"krippendorff alpha, nominal: {args.items:,} items x {args.annotators} annotators, "
              f"{args.missing:.0%} missing ({ours['judgements']:,} judgements), {labels} labels")
        for name, side in (("answerkey", ours), ("krippendorff", peer)):
            seconds, mib, value = side["seconds"], side["extra_peak_mib"], side["value"]
            print(f"  {name:13} {seconds:7.3f} s  +{mib:7.0f} MiB  alpha {value:.12f}")
        difference = abs(ours["value"] - peer["value"])
        print(f"  speed-up {peer['seconds'] / ours['seconds']:.1f}x, |difference| {difference:.1e}")


if __name__ == "__main__":
    main()
