"""Releases: content hashes and diffs of frozen ground truth (pure functions)."""

from answerkey.releases.diff import ReleaseDiff, diff_release_labels
from answerkey.releases.hashing import RELEASE_FORMAT, release_hash

__all__ = ["RELEASE_FORMAT", "ReleaseDiff", "diff_release_labels", "release_hash"]
