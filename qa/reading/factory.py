"""Pick a reader by name: `span` (rule-based, default), `sentence` (baseline) or `hf:<model name or path>`."""

from __future__ import annotations

from qa.errors import QAError
from qa.reading.base import Reader

DEFAULT_READER = "span"
READER_HELP = "span (typed spans, default), sentence (best sentence, baseline) or hf:<model name or folder> (extractive QA model)"


def make_reader(spec: str) -> Reader:
    """Return the reader a spec names; raises QAError for an unknown spec."""
    if spec == "span":
        from qa.reading.span_reader import SpanReader

        return SpanReader()
    if spec == "sentence":
        from qa.reading.sentence import SentenceReader

        return SentenceReader()
    if spec.startswith("hf:") and len(spec) > 3:
        from qa.reading.hf import HFReader

        return HFReader(spec[3:])
    raise QAError(f"unknown reader '{spec}'; use {READER_HELP}")
