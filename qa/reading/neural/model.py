"""Materialize the shipped neural reader (default encoder + trained delta) as a Hugging Face QA folder, and read with it."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from embeddings.convert import file_sha256
from embeddings.publish import is_up_to_date, publish_dir
from qa.errors import QAError
from qa.reading.calibration import Calibration
from qa.reading.hf import HFReader, one_line
from qa.reading.neural.delta import DELTA_PATH, apply_delta, read_card
from qa.reading.neural.runtime import MODEL_FILE, RUNTIMES, OpenVinoLogits, ensure_reader_export

log = logging.getLogger(__name__)

MODEL_DIR_NAME = "neural-reader"
MARKER_FILE = "neural-reader.json"
BUILD_VERSION = 1
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
# Windows read per question when the card does not say: the one sharing the most tokens with the question.
MAX_WINDOWS = 1
DEFAULT_RUNTIME = "openvino"


def ensure_neural_model(data_dir: Path, delta_path: Path = DELTA_PATH, base_dir: Path | None = None) -> Path:
    """Return `data_dir/models/neural-reader` (for the shipped delta; `neural-reader-<first 12 hex digits of its
    SHA-256>` for any other), building it first (base encoder + delta, fp32) unless it already holds a build of the
    same delta over the same base; `base_dir` defaults to the converted default encoder."""
    if base_dir is None:
        from embeddings.default_model import ensure_default_model

        base_dir = ensure_default_model(Path(data_dir))
    delta_sha256 = file_sha256(delta_path)
    out_dir = Path(data_dir) / "models" / model_dir_name(delta_path, delta_sha256)
    fingerprint = {"version": BUILD_VERSION, "delta_sha256": delta_sha256, "base": _base_fingerprint(Path(base_dir))}
    if is_up_to_date(out_dir, fingerprint, MARKER_FILE):
        return out_dir
    log.info("building the neural reader in %s (base model + shipped delta; once per delta)", out_dir)
    publish_dir(out_dir, fingerprint, MARKER_FILE, lambda staging: _build(Path(base_dir), Path(delta_path), staging))
    return out_dir


def model_dir_name(delta_path: Path, delta_sha256: str) -> str:
    """Return the folder name of a delta's built model: `neural-reader` for the shipped delta, the name and the first 12
    hex digits of its SHA-256 for any other, so that a process reading an experiment's delta (`qa.bench.tune_reader
    --delta`) never rebuilds, under a server or an evaluation reading the shipped one, the model they load."""
    if Path(delta_path).resolve() == DELTA_PATH.resolve():
        return MODEL_DIR_NAME
    return f"{MODEL_DIR_NAME}-{delta_sha256[:12]}"


# The card's reading switches, each an HFReader keyword of the same name (off unless the card's `reading` sets it).
READING_FLAGS = ("tighten", "gloss", "home_place", "before_after", "whole_quote", "trim_edges", "list_tails", "siblings", "range_ends")


class NeuralReader(HFReader):
    """The shipped reader: an HFReader on the materialized model, windows as in training, and the windows read per
    question (how many and how chosen), span-length prior, decoding, no-answer rule and confidence calibration its card records
    (chosen on tuning data).

    `runtime` names what runs the network (qa.reading.neural.runtime.RUNTIMES): `openvino` (default; bfloat16 where
    the CPU has bfloat16 units, else float32), `openvino-f32` or `torch` (float32, the reference); `int8` quantizes the
    torch model's linear layers dynamically (measured with the first model: CMRC dev F1 50.3 -> 37.3 for under 10 %
    less read time, see the model card); `base_dir` overrides the default encoder."""

    def __init__(
        self,
        data_dir: Path,
        delta_path: Path = DELTA_PATH,
        int8: bool = False,
        base_dir: Path | None = None,
        max_windows: int | None = None,
        window_choice: str | None = None,
        runtime: str = DEFAULT_RUNTIME,
        length_penalty: float | None = None,
        decoding: str | None = None,
    ) -> None:
        card = read_card(delta_path)
        reading = card.get("reading", {})
        super().__init__(
            "",
            max_length=int(card["max_length"]),
            stride=int(card["stride"]),
            max_windows=max_windows if max_windows is not None else int(reading.get("max_windows", MAX_WINDOWS)),
            window_choice=window_choice or str(reading.get("window_choice", "overlap")),
            null_rule=str(card.get("null_rule", "min")),
            calibration=Calibration(**reading["calibration"]) if "calibration" in reading else None,
            length_penalty=length_penalty if length_penalty is not None else float(reading.get("length_penalty", 0.0)),
            decoding=decoding or str(reading.get("decoding", "argmax")),
            **{flag: bool(reading.get(flag, False)) for flag in READING_FLAGS},
        )
        if runtime not in RUNTIMES:
            raise QAError(f"unknown reader runtime {runtime!r}; use one of {', '.join(RUNTIMES)}")
        if int8 and RUNTIMES[runtime].engine != "torch":
            raise QAError("int8 quantization needs the torch runtime")
        self.data_dir = Path(data_dir)
        self.delta_path = Path(delta_path)
        self.int8 = int8
        self.base_dir = base_dir
        self.runtime = RUNTIMES[runtime]

    def load(self) -> None:
        """Build the model folder if needed (and its OpenVINO export), then load it."""
        if self.model is not None:
            return
        self.model_name = str(ensure_neural_model(self.data_dir, self.delta_path, self.base_dir))
        super().load()

    def logits(self, batch: dict[str, Any]) -> tuple[Any, Any]:
        """Return the start and end logits (tensors, [windows, tokens]) of a batch of windows, run by the runtime."""
        if self.runtime.engine == "openvino":
            return self.model(batch)
        return super().logits(batch)

    def _load_model(self) -> Any:
        """Return what runs the network: the compiled OpenVINO export, or the torch model (quantized when asked)."""
        if self.runtime.engine == "openvino":
            return self._compiled_export()
        model = super()._load_model()
        if self.int8:
            import torch

            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return model

    def _compiled_export(self) -> OpenVinoLogits:
        import torch

        try:
            exported = ensure_reader_export(Path(self.model_name)) / MODEL_FILE
            return OpenVinoLogits(exported, torch.get_num_threads(), self.runtime.precision)
        except (OSError, RuntimeError, ValueError) as error:
            raise QAError(f"OpenVINO cannot run the neural reader ({one_line(error)}); use the reader neural-torch") from error


def _build(base_dir: Path, delta_path: Path, out_dir: Path) -> None:
    """Write the base encoder with the delta's parameters applied, as a BertForQuestionAnswering folder."""
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    model = AutoModelForQuestionAnswering.from_pretrained(str(base_dir))
    apply_delta(model, delta_path, "retrain with `qa train-reader`")
    model.save_pretrained(str(out_dir))
    for name in TOKENIZER_FILES:
        if (base_dir / name).is_file():
            shutil.copyfile(base_dir / name, out_dir / name)


def _base_fingerprint(base_dir: Path) -> str:
    """Return the SHA-256 of the base folder's conversion marker (cheap), or of its weights when it has none."""
    marker = base_dir / "conversion.json"
    return file_sha256(marker if marker.is_file() else base_dir / "model.safetensors")
