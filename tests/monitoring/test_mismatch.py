"""Distribution mismatch: production segments rare or absent in the training ground truth are flagged."""

from __future__ import annotations

import pandas as pd
import pytest

from answerkey.demo.production import generate_production
from answerkey.errors import ParameterError
from answerkey.monitoring.mismatch import segment_mismatch


def test_a_segment_absent_from_training_is_an_error_and_a_thin_one_a_warning() -> None:
    reference = pd.DataFrame({"segment": ["enterprise"] * 900 + ["smb"] * 100})
    production = pd.DataFrame({"segment": ["enterprise"] * 400 + ["smb"] * 500 + ["education"] * 100})
    performance = pd.DataFrame({"segment": ["smb", "enterprise"], "metric": ["accuracy"] * 2,
                                "value": [0.61, 0.84]})
    table, findings = segment_mismatch(reference, production, by=["segment"], performance=performance)
    assert table["segment"].tolist() == ["smb", "enterprise", "education"]
    rows = table.set_index("segment")
    assert rows.loc["smb", "reference_share"] == pytest.approx(0.1)
    assert rows.loc["smb", "production_share"] == pytest.approx(0.5)
    assert rows.loc["smb", "coverage_ratio"] == pytest.approx(0.2)
    assert rows["flagged"].tolist() == [True, False, True]
    by_where = {f.where: f for f in findings}
    assert by_where["segment=education"].severity.value == "error"
    assert "absent from the training ground truth" in by_where["segment=education"].what
    assert by_where["segment=smb"].severity.value == "warning"
    assert by_where["segment=smb"].evidence["performance"] == {"accuracy": 0.61}


def test_the_demo_router_was_trained_on_too_few_smb_tickets_for_its_traffic() -> None:
    data = generate_production()
    table, findings = segment_mismatch(data.reference, data.predictions, by=["segment"], under=0.7)
    assert [f.where for f in findings] == ["segment=smb"]
    assert table.set_index("segment").loc["smb", "coverage_ratio"] < 0.7


def test_an_unknown_segment_column_is_refused_naming_the_columns() -> None:
    with pytest.raises(ParameterError, match="segment"):
        segment_mismatch(pd.DataFrame({"segment": ["a"]}), pd.DataFrame({"segment": ["a"]}), by=["tier"])
