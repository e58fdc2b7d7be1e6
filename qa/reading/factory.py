"""Pick a reader by name: `neural` (default: the shipped model), `span` (rules, baseline), `sentence` (baseline) or
`hf:<model>`."""

from __future__ import annotations

from pathlib import Path

from qa.errors import QAError
from qa.reading.base import Reader

DEFAULT_READER = "neural"
# Each spelling of the shipped reader and the runtime that runs its network (see qa.reading.neural.runtime).
NEURAL_RUNTIMES = {"neural": "openvino", "neural-f32": "openvino-f32", "neural-torch": "torch", "neural-int8": "torch"}
READER_HELP = (
    "neural (default: the trained reader shipped here, run by OpenVINO; neural-f32: OpenVINO in float32 only; "
    "neural-torch: run by torch; neural-int8: torch, quantized), span (rule-based typed spans, "
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
    if spec in NEURAL_RUNTIMES:
        from qa.config import resolve_data_dir
        from qa.reading.neural.model import NeuralReader

        folder = data_dir if data_dir is not None else resolve_data_dir(None)
        return NeuralReader(folder, int8=spec == "neural-int8", runtime=NEURAL_RUNTIMES[spec])
    if spec.startswith("hf:") and len(spec) > 3:
        from qa.reading.hf import HFReader

        return HFReader(spec[3:])
    raise QAError(f"unknown reader '{spec}'; use {READER_HELP}")
