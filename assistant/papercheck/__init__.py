"""Checking a decision paper's legal references against the indexed texts."""
