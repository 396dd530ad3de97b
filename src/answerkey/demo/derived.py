"""The demo's derived ground truth: account events for a churn-style behavioural label, the routing model's
predictions, and two labeling functions (one sound, one that reads the model's own output).

Deterministic for a seed. Customers who wrote a cancellation ticket cancel within 90 days (85%; others 2%),
so ``cancelled within 90 days of the ticket`` marks cancellation tickets well, and tickets from the last 90
days before ``as_of`` stay immature unless the cancellation already came.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from answerkey.demo.generate import FINE_LABELS

__all__ = ["DEFINITION", "RULES", "DerivedDemo", "generate_derived"]

DEFINITION = """name: cancelled_within_90_days
description: >
  The customer cancelled their subscription within 90 days of opening the ticket: a behavioural mark of a
  cancellation request. One-sided: no cancellation says nothing about what else the ticket asked.
entity: ticket_id
anchor: {{table: {data}/ticket_anchors.parquet, time: opened_at}}
events: {{table: {data}/account_events.parquet, time: occurred_at}}
outcome: "event_type = 'subscription_cancelled'"
window: 90 days
labels: {{positive: cancellation}}
"""

RULES = '''"""Labeling functions for the demo's support tickets: one sound keyword rule, one that leaks the router."""

from pathlib import Path

import pandas as pd

from answerkey.quality.labeling_functions import labeling_function

_ROUTER = pd.read_parquet(Path(__file__).with_name("router_predictions.parquet")).set_index("item_id")["prediction"]


def lf_refund_words(ticket):
    """Asking for money back is a refund request."""
    text = (ticket.get("text") or "").lower()
    return "billing_refund" if any(w in text for w in ("refund", "money back", "charged twice")) else None


@labeling_function(name="lf_router_queue")
def router_queue(ticket):
    """The queue the routing model sent the ticket to: the model's own output passed off as a label."""
    return _ROUTER.get(ticket["item_id"])


SQL = {"lf_password_words": "CASE WHEN lower(text) LIKE '%password%' THEN 'account_access' END"}
'''


@dataclass(frozen=True)
class DerivedDemo:
    """Anchors (one per ticket), account events, the router's predictions, and the derivation time."""

    anchors: pd.DataFrame
    events: pd.DataFrame
    predictions: pd.DataFrame
    as_of: pd.Timestamp


def generate_derived(items: pd.DataFrame, truth: pd.DataFrame, seed: int = 13) -> DerivedDemo:
    """Events and predictions for the demo tickets (``items``: item_id, created_at; ``truth``: true_label_v2)."""
    rng = np.random.default_rng(seed)
    tickets = items[["item_id", "created_at"]].merge(truth[["item_id", "true_label_v2"]], on="item_id")
    opened = pd.to_datetime(tickets["created_at"]).to_numpy()
    n = len(tickets)
    cancels = tickets["true_label_v2"].to_numpy() == "cancellation"
    leaves = np.where(cancels, rng.random(n) < 0.85, rng.random(n) < 0.02)
    delay = np.where(cancels, rng.uniform(1, 60, n), rng.uniform(1, 89, n)) * 86_400
    logins = rng.random(n) < 0.3
    events = pd.concat([
        pd.DataFrame({"ticket_id": tickets["item_id"][leaves], "event_type": "subscription_cancelled",
                      "occurred_at": opened[leaves] + delay[leaves].astype("timedelta64[s]")}),
        pd.DataFrame({"ticket_id": tickets["item_id"][logins], "event_type": "login",
                      "occurred_at": opened[logins] + rng.uniform(0, 30, int(logins.sum())).astype("timedelta64[D]")}),
    ], ignore_index=True)
    as_of = pd.Timestamp(opened.max()) + pd.Timedelta(days=7)
    events = events[events["occurred_at"] <= as_of].sort_values("occurred_at", ignore_index=True)
    right = rng.random(n) < 0.8
    other = np.array(FINE_LABELS, dtype=object)[rng.integers(0, len(FINE_LABELS), n)]
    predictions = pd.DataFrame({"item_id": tickets["item_id"],
                                "predicted_at": opened + np.timedelta64(60, "s"),
                                "prediction": np.where(right, tickets["true_label_v2"].to_numpy(dtype=object), other)})
    anchors = pd.DataFrame({"ticket_id": tickets["item_id"], "opened_at": opened})
    return DerivedDemo(anchors, events, predictions, as_of)
