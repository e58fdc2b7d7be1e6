"""Pick a reader by name: `neural` (default: the shipped model), `span` (rules, baseline), `sentence` (baseline) or
`hf:<model>`."""

from __future__ import annotations

from pathlib import Path

from qa.errors import QAError
from qa.reading.base import Reader

DEFAULT_READER = "neural"
READER_HELP = (
    "neural (default: the trained reader shipped here; neural-int8: quantized), span (rule-based typed spans, "
    "baseline), sentence (best sentence, baseline) or hf:<model name or folder> (extractive QA model)"
)


def make_reader(spec: str, data_dir: Path | None = None) -> Reader:
    """Return the reader a spec names (`neural` builds its model in `data_dir`, default: the configured data directory);
    raises QAError for an unknown spec."""
    if spec == "span":
        from qa.reading.span_reader import SpanReader

        return SpanReader()
    if spec == "sentence":
        from qa.reading.sentence import SentenceReader

        return SentenceReader()
    if spec in ("neural", "neural-int8"):
        from qa.config import resolve_data_dir
        from qa.reading.neural.model import NeuralReader

        return NeuralReader(data_dir if data_dir is not None else resolve_data_dir(None), int8=spec == "neural-int8")
    if spec.startswith("hf:") and len(spec) > 3:
        from qa.reading.hf import HFReader

        return HFReader(spec[3:])
    raise QAError(f"unknown reader '{spec}'; use {READER_HELP}")
