"""Export a converted BERT sentence encoder to ONNX for the faster runtimes (ONNX Runtime, OpenVINO), offline.

The exported graph takes ``input_ids`` and ``attention_mask`` ([batch, tokens], int64) and returns the
L2-normalized mean of the last hidden states over the unmasked tokens ([batch, hidden], float32): the same
vectors as the sentence-transformers model (Transformer, mean Pooling, Normalize) that it is traced from.
Variant ``fp32`` is the traced graph; ``int8`` fuses it with ONNX Runtime's transformer optimizer and quantizes
the weights of its matrix products and embeddings to int8 (dynamic quantization: activations are quantized
per batch at run time). Each export is a directory built crash-safely beside the source model, with the
tokenizer and config files copied in, and is redone when the source conversion or this exporter changes.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import warnings
from pathlib import Path

from embeddings.publish import is_up_to_date, publish_dir

EXPORT_VERSION = 1
MARKER_FILE = "export.json"
ONNX_FILE = "model.onnx"
VARIANTS = ("fp32", "int8")
SOURCE_MARKER = "conversion.json"
COPIED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config_sentence_transformers.json")
OPSET = 17


def export_fingerprint(model_dir: Path, variant: str) -> dict[str, object]:
    """Return what identifies an export: exporter version, variant, and the source directory's conversion marker."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown export variant {variant!r} (choose from {', '.join(VARIANTS)})")
    try:
        source = json.loads((Path(model_dir) / SOURCE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FileNotFoundError(f"{model_dir} has no readable {SOURCE_MARKER}; it is not a converted model") from error
    return {"export_version": EXPORT_VERSION, "variant": variant, "source": source}


def ensure_export(model_dir: Path, out_dir: Path, variant: str) -> Path:
    """Return ``out_dir`` holding the ONNX export of ``model_dir`` in ``variant``, exporting it first if needed."""
    marker = export_fingerprint(model_dir, variant)
    if is_up_to_date(out_dir, marker, MARKER_FILE):
        return out_dir
    print(f"Exporting the embedding model to ONNX ({variant}) in {out_dir} (one-time)", file=sys.stderr, flush=True)
    return publish_dir(out_dir, marker, MARKER_FILE, lambda staging: _write_export(Path(model_dir), staging, variant))


def _write_export(model_dir: Path, staging: Path, variant: str) -> None:
    for name in COPIED_FILES:
        if (model_dir / name).is_file():
            shutil.copyfile(model_dir / name, staging / name)
    if variant == "fp32":
        trace_to_onnx(model_dir, staging / ONNX_FILE)
        return
    traced, fused = staging / "traced.onnx", staging / "fused.onnx"
    trace_to_onnx(model_dir, traced)
    fuse_bert(traced, fused, model_dir)
    quantize_int8(fused, staging / ONNX_FILE)
    traced.unlink()
    fused.unlink()


def trace_to_onnx(model_dir: Path, onnx_path: Path) -> None:
    """Write the pooled, normalized encoder of the Hugging Face model in ``model_dir`` as an ONNX graph."""
    import torch
    from transformers import AutoModel

    from embeddings.pooled import MeanPooled

    bert = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation="eager").eval()
    ids = torch.tensor([[0, 4, 5, 6, 2], [0, 4, 2, 1, 1]])
    mask = (ids != 1).long()  # a padded row, so the traced graph keeps the masking
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python-side shape checks, none of which bind here
        torch.onnx.export(
            MeanPooled(bert),
            (ids, mask),
            str(onnx_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def fuse_bert(onnx_path: Path, out_path: Path, model_dir: Path) -> None:
    """Write ``onnx_path`` with ONNX Runtime's BERT fusions (attention, layer norms, GELU) to ``out_path``."""
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    fused = optimizer.optimize_model(
        str(onnx_path), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"], opt_level=1
    )
    fused.save_model_to_file(str(out_path))


def quantize_int8(onnx_path: Path, out_path: Path) -> None:
    """Write ``onnx_path`` with int8 weights (ONNX Runtime dynamic quantization, per tensor) to ``out_path``."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns on the root logger that it could pre-process first; not needed here
    try:
        # The fused operators are outside the standard domain, so shape inference cannot type their outputs.
        options = {"DefaultTensorType": TensorProto.FLOAT}
        quantize_dynamic(str(onnx_path), str(out_path), weight_type=QuantType.QInt8, extra_options=options)
    finally:
        root.setLevel(level)
