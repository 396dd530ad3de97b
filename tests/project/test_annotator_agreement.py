"""Per-annotator and pairwise agreement with intervals (project.annotator_agreement): the same values as the
library's own breakdowns, with intervals that agree with its bootstrap and with Wilson's formula."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from answerkey.config import DATABASE_URL_ENV
from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval
from answerkey.project import Workspace, import_annotations, import_items
from answerkey.project.annotator_agreement import annotator_agreement, pairwise_kappa_intervals
from answerkey.project.annotators import workspace_annotators
from answerkey.quality.agreement import agreement, pairwise_kappa
from conftest import make_schema, write_text

LABELS = ("billing", "technical", "account")


def judgements(n_items: int = 60, seed: int = 3) -> pd.DataFrame:
    """Three annotators over ``n_items`` items: a1 and a2 mostly right, a3 often wrong, a3 skips a third."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(LABELS, n_items)
    rows = []
    for annotator, accuracy in (("a1", 0.9), ("a2", 0.85), ("a3", 0.5)):
        for i, label in enumerate(truth):
            if annotator == "a3" and i % 3 == 0:
                continue
            given = label if rng.random() < accuracy else rng.choice([x for x in LABELS if x != label])
            rows.append({"item_id": f"T{i}", "annotator_id": annotator, "label": str(given)})
    return pd.DataFrame(rows)


def test_pairwise_kappas_are_the_librarys_own() -> None:
    frame = judgements()
    ours = pairwise_kappa_intervals(frame)
    theirs = pairwise_kappa(frame)
    assert list(ours["annotator_a"]) == list(theirs["annotator_a"])
    assert list(ours["items_shared"]) == list(theirs["items_shared"])
    assert np.allclose(ours["cohen_kappa"], theirs["cohen_kappa"])
    assert ((ours["ci_low"] <= ours["cohen_kappa"]) & (ours["cohen_kappa"] <= ours["ci_high"])).all()


def test_a_pairs_interval_is_the_agreement_reports_bootstrap_interval() -> None:
    frame = judgements()
    pair = frame[frame["annotator_id"].isin(["a1", "a3"])]
    row = pairwise_kappa_intervals(frame, n_boot=300, seed=5).set_index(["annotator_a", "annotator_b"]).loc[
        ("a1", "a3")]
    estimate = agreement(pair, ci=0.95, n_boot=300, seed=5).estimates["cohen_kappa"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((estimate.ci_low, estimate.ci_high))


def test_pairs_sharing_too_few_items_are_left_out() -> None:
    frame = judgements(n_items=12)  # a3 shares 8 items with each of the others
    assert list(pairwise_kappa_intervals(frame, min_shared=10)["annotator_b"]) == ["a2"]


def test_a_confidence_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"confidence must be a confidence level between 0 and 1; got 1\.5"):
        pairwise_kappa_intervals(judgements(), confidence=1.5)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return Workspace.init(tmp_path / "ws", schema=make_schema())


def test_agreement_with_the_consensus_gets_a_wilson_interval(workspace: Workspace, tmp_path: Path) -> None:
    frame = judgements()
    items = "item_id\n" + "\n".join(sorted(set(frame["item_id"]))) + "\n"
    import_items(workspace, write_text(tmp_path / "items.csv", items))
    import_annotations(workspace, write_text(tmp_path / "labels.csv", frame.to_csv(index=False)))
    result = annotator_agreement(workspace, confidence=0.9)
    profiles = workspace_annotators(workspace).table
    table = result.profiles.table
    assert list(table["annotator_id"]) == list(profiles["annotator_id"])
    assert np.allclose(table["agreement_with_consensus"], profiles["agreement_with_consensus"])
    hits = np.round(table["agreement_with_consensus"] * table["judgements"])
    low, high = wilson_interval(hits, table["judgements"], 0.9)
    assert np.allclose(table["consensus_low"], low)
    assert np.allclose(table["consensus_high"], high)
    assert len(result.pairs) == 3
    assert set(result.profiles.confusions) == {"a1", "a2", "a3"}


def test_a_workspace_without_judgements_has_empty_tables(workspace: Workspace) -> None:
    result = annotator_agreement(workspace)
    assert result.empty
    assert result.pairs.empty
    assert "consensus_low" in result.profiles.table
