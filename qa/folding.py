"""Script and width folding, so that a question in either script or width finds either."""

from __future__ import annotations

import unicodedata
from functools import cached_property

import opencc


class TextNormalizer:
    """Folds traditional to simplified Chinese (OpenCC t2s), full-width to half-width (NFKC) and case."""

    @cached_property
    def _converter(self) -> opencc.OpenCC:
        return opencc.OpenCC("t2s")

    def __call__(self, text: str) -> str:
        """Return the folded text (for matching only: its offsets do not match the original's)."""
        return self._converter.convert(unicodedata.normalize("NFKC", text)).lower()
