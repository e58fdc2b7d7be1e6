"""Run the materialized neural reader on OpenVINO: its start/end logits traced to ONNX and saved as an OpenVINO model
(IR), built once per model.

OpenVINO runs the same graph as torch; with the `bf16` precision hint it uses bfloat16 matrix units where the CPU
has them (AMX, AVX-512 BF16) and float32 elsewhere, with `f32` always float32 (the same logits as torch to about
1e-5). The export is a directory beside the model folder, built crash-safely and redone when the model is rebuilt;
it is kept as IR rather than ONNX because OpenVINO maps an IR's weights from disk instead of copying them (measured
with the shipped reader, OpenVINO alone: 682 MB resident at the peak against 996 MB when compiled from ONNX; in a
reading process 650 MB of private memory, against 637 MB for the torch runtime).
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.publish import is_up_to_date, publish_dir
from embeddings.runtimes import compile_for_latency

EXPORT_VERSION = 2
MARKER_FILE = "export.json"
MODEL_FILE = "model.xml"  # beside it model.bin, the weights
SOURCE_MARKER = "neural-reader.json"
TRACED_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


@dataclass(frozen=True)
class Runtime:
    """What runs the reader's network: `torch`, or OpenVINO at a precision hint (`f32`, or `bf16` where the CPU has it)."""

    name: str
    engine: str  # "torch" or "openvino"
    precision: str = "f32"


RUNTIMES = {
    runtime.name: runtime
    for runtime in (Runtime("openvino", "openvino", "bf16"), Runtime("openvino-f32", "openvino", "f32"), Runtime("torch", "torch"))
}


def export_dir_for(model_dir: Path) -> Path:
    """Return where the OpenVINO export of a materialized reader folder lives: beside it, `<name>-openvino`."""
    return Path(model_dir).with_name(f"{Path(model_dir).name}-openvino")


def ensure_reader_export(model_dir: Path) -> Path:
    """Return the folder holding the OpenVINO export of the reader in `model_dir` (MODEL_FILE), exporting it first
    unless up to date (same exporter version, same build of the model)."""
    source = Path(model_dir) / SOURCE_MARKER
    try:
        built = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FileNotFoundError(f"{model_dir} has no readable {SOURCE_MARKER}; it is not a materialized neural reader") from error
    marker = {"export_version": EXPORT_VERSION, "source": built}
    out_dir = export_dir_for(model_dir)
    if is_up_to_date(out_dir, marker, MARKER_FILE):
        return out_dir
    print(f"Exporting the neural reader for OpenVINO in {out_dir} (one-time)", file=sys.stderr, flush=True)
    return publish_dir(out_dir, marker, MARKER_FILE, lambda staging: _write_export(Path(model_dir), staging))


def _write_export(model_dir: Path, staging: Path) -> None:
    import openvino

    onnx_path = staging / "model.onnx"
    trace_reader(model_dir, onnx_path)
    openvino.save_model(openvino.Core().read_model(str(onnx_path)), str(staging / MODEL_FILE), compress_to_fp16=False)
    onnx_path.unlink()


def trace_reader(model_dir: Path, onnx_path: Path) -> None:
    """Write the question-answering model in `model_dir` as an ONNX graph from the inputs its tokenizer gives
    (input_ids, attention_mask, and token_type_ids where it has them) to (start logits, end logits), batch and length
    dynamic."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.reading.neural.traced import StartEnd

    names = [name for name in TRACED_INPUTS if name in AutoTokenizer.from_pretrained(str(model_dir)).model_input_names]
    model = AutoModelForQuestionAnswering.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    ids = torch.tensor([[0, 4, 5, 6, 2], [0, 4, 2, 1, 1]])
    example = {"input_ids": ids, "attention_mask": (ids != 1).long(), "token_type_ids": torch.tensor([[0, 0, 1, 1, 1], [0, 0, 1, 1, 1]])}
    # The second row is padded, so the traced graph keeps the masking.
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "start_logits", "end_logits")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python-side shape checks, none of which bind here
        torch.onnx.export(
            StartEnd(model, names),
            tuple(example[name] for name in names),
            str(onnx_path),
            input_names=names,
            output_names=["start_logits", "end_logits"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


class OpenVinoLogits:
    """The exported reader (an OpenVINO IR or ONNX file) compiled by OpenVINO for latency on `threads` threads; each
    call uses its own infer request, so concurrent calls may overlap."""

    def __init__(self, model_path: Path, threads: int, precision: str) -> None:
        self._compiled = compile_for_latency(model_path, threads, precision)
        self.input_names = tuple(port.get_any_name() for port in self._compiled.inputs)

    def __call__(self, batch: dict[str, Any]) -> tuple[Any, Any]:
        """Return the start and end logits (torch tensors, [windows, tokens]) of a batch of token-id tensors, which must
        hold exactly the export's inputs."""
        import torch

        if set(batch) != set(self.input_names):
            raise ValueError(f"the exported reader takes {', '.join(self.input_names)}, not {', '.join(sorted(batch))}")
        outputs = self._compiled.create_infer_request().infer(
            {name: batch[name].numpy().astype(np.int64, copy=False) for name in self.input_names}
        )
        return torch.from_numpy(np.asarray(outputs[0], dtype=np.float32)), torch.from_numpy(np.asarray(outputs[1], dtype=np.float32))
