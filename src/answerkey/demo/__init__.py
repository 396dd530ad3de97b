"""A synthetic support-ticket labeling workspace with known truth, for demos, docs and end-to-end tests."""

from answerkey.demo.generate import ANNOTATORS, FINE_LABELS, AnnotatorProfile, DemoData, generate_demo

__all__ = ["ANNOTATORS", "FINE_LABELS", "AnnotatorProfile", "DemoData", "generate_demo"]
