"""The demo's model features, with the leaks real feature tables carry, for ``answerkey leakage`` to find.

- ``handled_by_team``: the support team that finally handled the ticket, set after the ticket was labeled;
  it names the intent almost always (a post-outcome field, the "contract sent" pattern).
- ``ticket_number``: the help desk numbers tickets in creation order, so the id encodes time; tickets from the
  web-shop integration (mostly shipping) come numbered from a block of their own, so the id also names the
  source. Either way the id predicts the label without meaning anything.
- ``customer_refund_rate``: each customer's share of refund tickets, computed over the whole set including
  the ticket itself (target encoding without folds).
- ``message_words``, ``segment``, ``customer_tenure_days``: honest features known when the ticket arrives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FEATURE_TIMES", "ticket_features"]

FEATURE_TIMES = pd.DataFrame({
    "feature": ["handled_by_team", "ticket_number", "customer_refund_rate", "message_words", "segment",
                "customer_tenure_days"],
    "available_at": ["handled_at", "created_at", "created_at", "created_at", "created_at", "created_at"],
})
"""When each feature's value is known: a column of the features table holding that time per row."""

_TEAMS = {"billing": "finance", "billing_refund": "finance", "billing_question": "finance",
          "technical_issue": "engineering", "account_access": "identity", "cancellation": "retention",
          "feature_request": "product", "shipping": "logistics", "other": "front-desk"}


def _ticket_numbers(from_shop: np.ndarray) -> np.ndarray:
    """Help-desk numbers from 100001 in creation order; the shop integration's from 900001 in its own order."""
    numbers = np.empty(len(from_shop), dtype=np.int64)
    numbers[~from_shop] = 100_001 + np.arange(int((~from_shop).sum()))
    numbers[from_shop] = 900_001 + np.arange(int(from_shop.sum()))
    return numbers


def ticket_features(items: pd.DataFrame, labels: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """One row per labeled ticket: the features above, the label (``intent``) and when it was known.

    ``items`` has ``item_id``, ``text``, ``segment``, ``group_id``, ``created_at``; ``labels`` has
    ``item_id``, ``label`` and ``labeled_at``.
    """
    rng = np.random.default_rng(seed)
    frame = items.merge(labels, on="item_id", how="inner").sort_values("created_at", kind="stable")
    frame = frame[frame["label"].notna()].reset_index(drop=True)
    n = len(frame)
    team = frame["label"].map(_TEAMS).fillna("front-desk").to_numpy(dtype=object)
    rerouted = rng.random(n) < 0.08
    team[rerouted] = rng.choice(sorted(set(_TEAMS.values())), int(rerouted.sum()))
    refund = frame["label"].eq("billing_refund").astype(float)
    first_seen = frame.groupby("group_id")["created_at"].transform("min")
    labeled_at = pd.to_datetime(frame["labeled_at"])
    return pd.DataFrame({
        "item_id": frame["item_id"],
        "ticket_number": _ticket_numbers(frame["label"].eq("shipping").to_numpy() & (rng.random(n) < 0.9)),
        "message_words": frame["text"].map(lambda text: len(str(text).split())),
        "segment": frame["segment"],
        "customer_tenure_days": ((frame["created_at"] - first_seen).dt.days + rng.integers(30, 900, n)),
        "customer_refund_rate": refund.groupby(frame["group_id"]).transform("mean").round(4),
        "handled_by_team": team,
        "created_at": frame["created_at"],
        "handled_at": labeled_at + pd.to_timedelta(rng.integers(2, 72, n), unit="h"),
        "labeled_at": labeled_at,
        "intent": frame["label"],
    })
