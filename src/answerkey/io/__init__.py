"""Readers and writers by format: CSV, JSONL, Parquet, Label Studio."""
