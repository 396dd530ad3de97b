"""Turning several judgements into one ground-truth label."""

from answerkey.quality.aggregation.consensus import METHODS, consensus, default_method
from answerkey.quality.aggregation.dawid_skene import DawidSkene
from answerkey.quality.aggregation.majority import STATUSES, latest_per_annotator, majority_vote

__all__ = ["METHODS", "STATUSES", "DawidSkene", "consensus", "default_method", "latest_per_annotator", "majority_vote"]
