"""The demo's deployed ticket-routing model: six months of predictions, outcomes that arrive late, a growing
SMB segment and a drift in month 4, written as the files a monitoring job reads. Pure: frames in, frames out.

- Predictions: ``prediction_id``, ``model``, ``model_version``, ``predicted_at``, ``segment``, ``channel``,
  ``message_words``, ``customer_tenure_days``, ``prediction`` (the queue), ``confidence`` (the model's
  probability for that queue) and ``p_<queue>``, the probability of each queue (multiclass).
- Outcomes: ``prediction_id``, ``outcome`` (the queue that resolved the ticket), ``observed_at``: a median of
  three days after the prediction with a long tail; about 8% never arrive, and the newest have not yet.
- The training reference: the same columns with outcomes, from the quarter before deployment.
- SMB grows from 55% to 80% of traffic; the model was trained mostly on enterprise tickets and is worse on SMB.
- In month 4 a new product launches: technical tickets surge, messages get longer, and the router, which never
  saw the new product's words, routes many of them to the wrong queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["QUEUES", "SCORE_COLUMNS", "ProductionData", "generate_production"]

QUEUES = ("finance", "engineering", "identity", "retention", "logistics", "helpdesk")
SCORE_COLUMNS = {queue: f"p_{queue}" for queue in QUEUES}
"""The column with the router's probability of each queue."""
_MIX = {"enterprise": [0.18, 0.34, 0.2, 0.08, 0.05, 0.15], "smb": [0.24, 0.2, 0.14, 0.12, 0.2, 0.1]}
_SKILL = {"enterprise": 2.6, "smb": 1.6}
"""How well the router separates queues in each segment (a logit margin): trained mostly on enterprise."""


@dataclass(frozen=True)
class ProductionData:
    """The reference (training period, with outcomes), the live predictions and the outcomes that arrived."""

    reference: pd.DataFrame
    predictions: pd.DataFrame
    outcomes: pd.DataFrame
    as_of: pd.Timestamp


def _tickets(rng: np.random.Generator, start: pd.Timestamp, days: int, per_day: float, smb_from: float,
             smb_to: float, launch_day: int | None) -> pd.DataFrame:
    offsets = np.sort(rng.random(rng.poisson(per_day * days)) * days)
    when = start + pd.to_timedelta(offsets * 86_400, unit="s")
    progress = offsets / days
    smb = rng.random(len(offsets)) < smb_from + (smb_to - smb_from) * progress
    segment = np.where(smb, "smb", "enterprise")
    mix = np.array([_MIX[s] for s in segment])
    launched = (offsets >= launch_day) if launch_day is not None else np.zeros(len(offsets), dtype=bool)
    mix[launched, 1] += 0.35  # the launch: engineering tickets surge
    mix /= mix.sum(axis=1, keepdims=True)
    truth = (mix.cumsum(axis=1) > rng.random((len(offsets), 1))).argmax(axis=1)
    new_product = launched & (truth == 1) & (rng.random(len(offsets)) < 0.6)
    known = np.where(smb, _SKILL["smb"], _SKILL["enterprise"])
    signal = rng.normal(0.0, 1.0, (len(offsets), len(QUEUES)))
    signal[np.arange(len(offsets)), truth] += known - 1.4 * new_product
    # the router's probabilities are the posterior it would compute if tickets were as in training: calibrated
    # per segment (covariate shift keeps them right), overconfident on the new product (concept shift)
    logits = known[:, None] * signal + np.log(np.array([_MIX[s] for s in segment]))
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    words = rng.poisson(np.where(new_product, 34, 18)) + 3
    return pd.DataFrame({
        "predicted_at": when.as_unit("us"),
        "segment": segment,
        "channel": rng.choice(["email", "chat", "web"], len(offsets), p=[0.5, 0.3, 0.2]),
        "message_words": words,
        "customer_tenure_days": rng.gamma(2.0, np.where(smb, 150, 400)).round().astype(int),
        "prediction": np.asarray(QUEUES, dtype=object)[predicted],
        "confidence": probabilities.max(axis=1).round(6),
        **{column: probabilities[:, k].round(6) for k, column in enumerate(SCORE_COLUMNS.values())},
        "outcome": np.asarray(QUEUES, dtype=object)[truth],
    })


def generate_production(seed: int = 11, start: str = "2026-05-01", per_day: float = 120.0) -> ProductionData:
    """Deterministic: the same seed gives the same frames. Deployment at ``start``; six months of traffic."""
    rng = np.random.default_rng(seed)
    deployed = pd.Timestamp(start)
    reference = _tickets(rng, deployed - pd.Timedelta(days=90), 90, per_day * 0.8, 0.35, 0.4, None)
    live = _tickets(rng, deployed, 183, per_day, 0.55, 0.8, launch_day=92)
    as_of = deployed + pd.Timedelta(days=183)
    for frame, version in ((reference, "2026.1"), (live, "2026.2")):
        frame.insert(0, "prediction_id", [f"P{version[-1]}-{i:07d}" for i in range(len(frame))])
        frame.insert(1, "model", "ticket-router")
        frame.insert(2, "model_version", version)
    lag = pd.to_timedelta(np.exp(rng.normal(np.log(3.0), 0.9, len(live))) * 86_400, unit="s")
    observed = live["predicted_at"] + lag
    arrived = (rng.random(len(live)) > 0.08) & (observed <= as_of)
    outcomes = pd.DataFrame({"prediction_id": live.loc[arrived, "prediction_id"],
                             "outcome": live.loc[arrived, "outcome"],
                             "observed_at": observed[arrived].dt.as_unit("us")}).reset_index(drop=True)
    reference["observed_at"] = reference["predicted_at"] + pd.Timedelta(days=3)
    return ProductionData(reference, live.drop(columns="outcome"), outcomes, as_of)
