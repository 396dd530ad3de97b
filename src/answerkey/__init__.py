"""answerkey: ground truth as infrastructure."""
