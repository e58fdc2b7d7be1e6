"""Readers: given a question and retrieved passages, propose verbatim answer spans with scores."""
