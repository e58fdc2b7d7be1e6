"""Turn the raw bytes of a text file into a str: detect the encoding, refuse binary data, normalize newlines.

Encodings understood: UTF-8 (with or without BOM), UTF-16 with a BOM, GB18030 (a superset of GBK and
GB2312) and Big5 (decoded as cp950, the Big5 that Windows and most tools write). Anything else is refused
with a message asking for UTF-8: a wrong guess would silently index mojibake.

A file that is not valid UTF-8 is decoded like this:

1. Each of GB18030 and Big5 that decodes the bytes strictly is a candidate.
2. A candidate's score is the share of its non-ASCII characters that are common for that encoding
   (GB2312 level-1 hanzi for GB18030, Big5 level-1 characters for Big5), CJK punctuation or spaces. Bytes
   read in the wrong encoding come out as rare hanzi, kana, symbols or private-use characters.
3. The higher score wins if it is at least 0.5. On an exact tie (short texts whose characters are all
   common either way) the decoding that charset-normalizer finds less messy (its chaos measure) wins;
   if that ties too, the file is refused rather than guessed.
4. The winner is refused if it has the shape of another language read as Chinese: EUC-KR Korean gives
   hanzi words between ASCII spaces and no CJK punctuation; EUC-JP Japanese read as Big5 gives mostly
   the characters on the code points where EUC-JP keeps kana.

charset-normalizer is only the tie-breaker: on its own its best guess is right for 87% (GB18030) and 94%
(Big5) of 20-character windows and 43%/60% at 10, often saying Korean or Japanese; taking its candidate
list instead refuses more Chinese and garbles most Korean. As tie-breaker it decided 313 of 314 ties right
among 4-15-character GB18030 windows (307 more were refused as undecided) and 4 of 4 among 2-6-character
Big5 windows (238 refused); Big5 windows of 8 characters or more never tied.

Measured on random windows of the seed and CMRC 2018 dev contexts encoded as GB18030 and of DRCD dev
contexts encoded as Big5, 300 per length at 10, 20, 30, 50, 100, 200 and 500 characters: 2,099/2,100
GB18030 and 2,098/2,100 Big5 windows decode exactly and none wrongly (refused: one 20-character GB18030
window whose tie charset-normalizer could not break, two 10-character Big5 windows); the same holds on
a second draw and on held-out CMRC trial and DRCD test paragraphs (whole, and as 20- and 50-character
windows). Korean (EUC-KR, CP949), Japanese (EUC-JP, Shift_JIS), Western and Cyrillic single-byte
samples of 50 characters or more were all refused; shorter ones can slip through (up to 30% of them at
10 characters). Known gap: a few GB18030 characters without punctuation can form valid UTF-8, which is
tried first ("学校医院" reads as "ѧУҽԺ"); this hit 3% of 2-character windows and 0.1% at 8.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterable

from charset_normalizer import from_bytes

from qa.errors import IngestError

_GB = "gb18030"
_BIG5 = "cp950"
_MIN_SCORE = 0.5
_KOREAN_GAP_SHARE = 0.1
_KANA_TWIN_SHARE = 0.45

# Control bytes that never occur in text (tab, newlines, form feed, vertical tab and escape are allowed).
_CONTROL_BYTES = bytes(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B}) + b"\x7f"
_MAX_CONTROL_SHARE = 0.05
_MAX_BAD_UTF8_SHARE_INVERSE = 100  # decode UTF-8 with replacement when at most 1 in 100 non-ASCII bytes is bad
_log = logging.getLogger(__name__)

_CJK_PUNCTUATION = re.compile(r"[\u3001-\u303f\uff01-\uff5e“”‘’…—·•‧﹑]")
_HANZI_GAP_HANZI = re.compile(r"[\u4e00-\u9fff][ .,?!;:][\u4e00-\u9fff]")
_HANZI = re.compile(r"[\u4e00-\u9fff]")


def _hanzi_in(encoding: str, leads: Iterable[int], trails: Iterable[int]) -> frozenset[str]:
    """Return the CJK ideographs that `encoding` puts at the given lead x trail byte pairs."""
    found = set()
    trail_bytes = list(trails)
    for lead in leads:
        for trail in trail_bytes:
            try:
                char = bytes((lead, trail)).decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\u4e00" <= char <= "\u9fff":
                found.add(char)
    return frozenset(found)


_COMMON_HANZI = {
    # GB2312 level 1 (3,755 hanzi) and Big5 level 1 (5,401 common characters).
    _GB: _hanzi_in("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
    _BIG5: _hanzi_in(_BIG5, range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
}
# Big5 characters on the byte pairs where EUC-JP keeps hiragana (A4A1-A4F3) and katakana (A5A1-A5F6).
_BIG5_KANA_TWINS = _hanzi_in(_BIG5, [0xA4], range(0xA1, 0xF4)) | _hanzi_in(_BIG5, [0xA5], range(0xA1, 0xF7))


def decode_bytes(data: bytes, path: str) -> str:
    """Return the text of a file's bytes with every line break as "\\n" (so "\\r\\n" stays one line break).

    Raises IngestError naming `path` for empty, binary or undetectable content.
    """
    text = _decode(data, path)
    if not text.strip():
        raise IngestError(path, "is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: str) -> str:
    """Return `data` decoded with the encoding it was written in, without touching line breaks."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16", path)
        if "\x00" in text:
            raise IngestError(path, "looks like a binary file, not text")
        return text
    if _looks_binary(data):
        raise IngestError(path, "looks like a binary file, not text")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    if _mostly_utf8(data):
        text = data.decode("utf-8", errors="replace")
        line = data[:first_bad].count(b"\n") + 1
        _log.warning(
            "%s: %d invalid UTF-8 byte sequences (the first at byte %d, line %d) were replaced by U+FFFD",
            path,
            text.count("\ufffd") - data.count("\ufffd".encode()),
            first_bad,
            line,
        )
        return text
    encoding = _chinese_legacy_encoding(data)
    if encoding is None:
        raise IngestError(path, "cannot detect the text encoding; save it as UTF-8")
    return data.decode(encoding)


def _mostly_utf8(data: bytes) -> bool:
    """Return whether `data` is UTF-8 text with a few damaged bytes: nearly all its non-ASCII bytes form valid UTF-8.

    GB18030 or Big5 text is almost never valid UTF-8 beyond a few characters, so it fails this test.
    """
    non_ascii = len(data.translate(None, bytes(range(0x80))))
    replaced = data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())
    return replaced * _MAX_BAD_UTF8_SHARE_INVERSE <= non_ascii - replaced


def _strict(data: bytes, encoding: str, path: str) -> str:
    """Return `data` decoded strictly with `encoding` (named by its byte-order mark)."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise IngestError(path, "cannot detect the text encoding; save it as UTF-8") from None


def _looks_binary(data: bytes) -> bool:
    """Return whether `data` holds a NUL byte or more than a few control bytes that text never uses."""
    if b"\x00" in data:
        return True
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return controls > _MAX_CONTROL_SHARE * len(data)


def _chinese_legacy_encoding(data: bytes) -> str | None:
    """Return "gb18030" or "cp950" if `data` is confidently Chinese text in that encoding, else None."""
    scores = {}
    for encoding in (_GB, _BIG5):
        try:
            scores[encoding] = _common_share(data.decode(encoding), _COMMON_HANZI[encoding])
        except UnicodeDecodeError:
            continue
    if not scores or max(scores.values()) < _MIN_SCORE:
        return None
    if len(scores) == 2 and scores[_GB] == scores[_BIG5]:
        best = _less_messy(data)
        if best is None:
            return None
    else:
        best = max(scores, key=scores.__getitem__)
    text = data.decode(best)
    if _looks_like_korean(text):
        return None
    if best == _BIG5 and _share(text, _BIG5_KANA_TWINS.__contains__) >= _KANA_TWIN_SHARE:
        return None
    return best


def _common_share(text: str, common_hanzi: frozenset[str]) -> float:
    """Return the share of non-ASCII characters in `text` that are common hanzi, CJK punctuation or spaces."""

    def common(char: str) -> bool:
        return char in common_hanzi or char.isspace() or _CJK_PUNCTUATION.match(char) is not None

    return _share(text, common)


def _share(text: str, wanted: Callable[[str], bool]) -> float:
    """Return the share of the non-ASCII characters of `text` that are `wanted` (1.0 if there are none)."""
    non_ascii = [char for char in text if not char.isascii()]
    if not non_ascii:
        return 1.0
    return sum(1 for char in non_ascii if wanted(char)) / len(non_ascii)


def _less_messy(data: bytes) -> str | None:
    """Return whichever of GB18030 and Big5 charset-normalizer finds strictly less messy, else None."""
    chaos = {match.encoding: match.chaos for match in from_bytes(data, cp_isolation=[_GB, _BIG5])}
    if len(chaos) != 2 or chaos[_GB] == chaos[_BIG5]:
        return None
    return min(chaos, key=chaos.__getitem__)


def _looks_like_korean(text: str) -> bool:
    """Return whether decoded `text` has the shape of EUC-KR Korean: spaced words and no CJK punctuation."""
    hanzi = len(_HANZI.findall(text))
    if not hanzi or _CJK_PUNCTUATION.search(text):
        return False
    return len(_HANZI_GAP_HANZI.findall(text)) >= _KOREAN_GAP_SHARE * hanzi
