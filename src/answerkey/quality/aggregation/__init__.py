"""Turning several judgements into one ground-truth label."""

from answerkey.quality.aggregation.majority import STATUSES, latest_per_annotator, majority_vote

__all__ = ["STATUSES", "latest_per_annotator", "majority_vote"]
