"""Inter-annotator agreement on long-format annotations (one judgement a row), missing judgements allowed."""

from answerkey.quality.agreement._data import LEVELS, RatingCounts, UndefinedAgreementWarning, rating_counts
from answerkey.quality.agreement.breakdowns import BREAKDOWNS, by_annotator, by_group, by_label, pairwise_kappa
from answerkey.quality.agreement.chance import brennan_prediger, fleiss_kappa, gwet_ac1, percent_agreement
from answerkey.quality.agreement.krippendorff import krippendorff_alpha
from answerkey.quality.agreement.pairwise import cohen_kappa, paired_judgements, scott_pi
from answerkey.quality.agreement.report import AgreementReport, Estimate, agreement

__all__ = [
    "BREAKDOWNS",
    "LEVELS",
    "AgreementReport",
    "Estimate",
    "RatingCounts",
    "UndefinedAgreementWarning",
    "agreement",
    "brennan_prediger",
    "by_annotator",
    "by_group",
    "by_label",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "paired_judgements",
    "pairwise_kappa",
    "percent_agreement",
    "rating_counts",
    "scott_pi",
]
