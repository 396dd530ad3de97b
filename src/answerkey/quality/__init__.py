"""Label quality: agreement, aggregation into ground truth, label noise, leakage."""
