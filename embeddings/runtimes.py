"""Inference sessions over an exported ONNX encoder: ONNX Runtime or OpenVINO, behind one small protocol."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Session(Protocol):
    """Runs the exported graph on one padded batch."""

    @property
    def precision(self) -> str: ...

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Backend:
    """An embedding backend: which export it runs (``fp32`` or ``int8``), on which runtime, at which precision."""

    name: str
    variant: str
    runtime: str  # "onnxruntime" or "openvino"
    precision: str = "f32"  # OpenVINO's inference precision hint: "f32", or "bf16" (used where the CPU has it)

    @property
    def packages(self) -> tuple[str, ...]:
        """Return the packages the backend needs: its runtime, and onnx to export the model."""
        return (self.runtime, "onnx")

    def available(self) -> bool:
        """Return True if the backend's packages are installed (without importing them)."""
        return all(importlib.util.find_spec(package) is not None for package in self.packages)


BACKENDS = {
    backend.name: backend
    for backend in (
        Backend("onnx", "fp32", "onnxruntime"),
        Backend("onnx-int8", "int8", "onnxruntime"),
        Backend("openvino", "fp32", "openvino", "bf16"),
        Backend("openvino-f32", "fp32", "openvino", "f32"),
    )
}


def open_session(backend: Backend, onnx_path: Path, threads: int) -> Session:
    """Return a session running ``onnx_path`` with the backend's runtime on ``threads`` threads."""
    if backend.runtime == "onnxruntime":
        return OrtSession(onnx_path, threads)
    return OpenVinoSession(onnx_path, threads, backend.precision)


class OrtSession:
    """An ONNX Runtime CPU session (thread-safe: concurrent ``run`` calls are allowed)."""

    precision = "f32"

    def __init__(self, onnx_path: Path, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Return the [batch, hidden] vectors of the batch."""
        return self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]


class OpenVinoSession:
    """An OpenVINO CPU model compiled for latency; each ``run`` uses its own infer request, so calls may overlap."""

    def __init__(self, onnx_path: Path, threads: int, precision: str) -> None:
        self._compiled = compile_for_latency(onnx_path, threads, precision)
        self._precision = str(self._compiled.get_property("INFERENCE_PRECISION_HINT"))

    @property
    def precision(self) -> str:
        """Return the precision OpenVINO runs at on this CPU (bf16 only where the CPU supports it)."""
        return self._precision

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Return the [batch, hidden] vectors of the batch."""
        request = self._compiled.create_infer_request()
        return np.asarray(request.infer({"input_ids": input_ids, "attention_mask": attention_mask})[0], dtype=np.float32)


def compile_for_latency(model_path: Path, threads: int, precision: str) -> Any:
    """Return an OpenVINO CPU compiled model of an ONNX or IR file, tuned for latency on ``threads`` threads at the
    precision hint (``f32``, or ``bf16``, which OpenVINO uses only where the CPU has bfloat16 units)."""
    import openvino

    config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
    return openvino.Core().compile_model(str(model_path), "CPU", config)
