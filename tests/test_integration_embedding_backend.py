"""The shipped embedding backend against the fp32 torch model it replaces, on real Chinese passages."""

from __future__ import annotations

import pytest

from embeddings.encoder import DEFAULT_MODEL, SentenceTransformerEncoder
from embeddings.runtime_encoder import RuntimeEncoder
from embeddings.runtimes import BACKENDS
from qa.retrieval.encoders import PREFERRED_BACKEND

pytestmark = pytest.mark.integration

# The cosine each backend keeps to fp32 torch on these texts (measured: docs/BENCHMARKS.md, "Embedding speed").
BOUNDS = {"onnx": 0.9999, "openvino-f32": 0.9999, "openvino": 0.999, "onnx-int8": 0.97}

PASSAGES = [
    "独山港区A3泊位正式对外开放，设计年综合通过能力169万吨，可停靠5万吨级船舶。",
    "2019年，平湖实现网络零售额265.9亿元，电商产业园成功入选省级电子商务产业基地。",
    "市政协十四届三次会议今日开幕，委员们怀揣民意赴盛会，有备而来献良策。",
    "我市首个国道下穿项目建成通车，全长1.13公里，缓解了302省道与525国道交叉口的拥堵。",
    "平湖一二三产项目接连“落地开花”，实干争春早，奋战开门红。",
]
QUERIES = ["独山港A3泊位的设计年通过能力是多少？", "平湖去年網絡零售額是多少？", "What opened today?"]


@pytest.fixture(scope="module")
def torch_encoder(real_data_dir):
    """Return the fp32 torch encoder of the default model (what the runtimes replace)."""
    return SentenceTransformerEncoder(DEFAULT_MODEL, real_data_dir)


@pytest.mark.parametrize("name", sorted({PREFERRED_BACKEND, "onnx-int8"}))
def test_backend_vectors_stay_close_to_fp32(real_data_dir, torch_encoder, name) -> None:
    backend = BACKENDS[name]
    if not backend.available():
        pytest.skip(f"{backend.runtime} is not installed")
    encoder = RuntimeEncoder(backend, real_data_dir)
    passages = (encoder.encode_passages(PASSAGES) * torch_encoder.encode_passages(PASSAGES)).sum(axis=1)
    queries = (encoder.encode_queries(QUERIES) * torch_encoder.encode_queries(QUERIES)).sum(axis=1)
    assert passages.min() > BOUNDS[name], passages
    assert queries.min() > BOUNDS[name], queries
    assert encoder.fingerprint != torch_encoder.fingerprint  # an index built on torch is re-embedded, never mixed
    assert encoder.name == torch_encoder.name
