"""Turning several judgements into one ground-truth label."""

from answerkey.quality.aggregation.authority import ADJUDICATED, DEFAULT_AUTHORITY, authority_labels, overrule
from answerkey.quality.aggregation.consensus import METHODS, consensus, default_method
from answerkey.quality.aggregation.dawid_skene import DawidSkene
from answerkey.quality.aggregation.majority import STATUSES, latest_per_annotator, majority_vote
from answerkey.quality.aggregation.weighted import leave_one_out_accuracy, weighted_majority

__all__ = [
    "ADJUDICATED",
    "DEFAULT_AUTHORITY",
    "METHODS",
    "STATUSES",
    "DawidSkene",
    "authority_labels",
    "consensus",
    "default_method",
    "latest_per_annotator",
    "leave_one_out_accuracy",
    "majority_vote",
    "overrule",
    "weighted_majority",
]
