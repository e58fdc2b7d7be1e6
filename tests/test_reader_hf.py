"""The Hugging Face reader, on a tiny randomly initialised BERT built here (no download)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from qa.errors import QAError  # noqa: E402
from qa.ingest.pipeline import text_passages  # noqa: E402
from qa.reading.base import sentence_spans  # noqa: E402
from qa.reading.hf import HFReader  # noqa: E402
from qa.reading.span_scoring import strip_span  # noqa: E402
from qa.records import (  # noqa: E402
    Passage,
    RetrievedPassage,  # noqa: E402
    provenance_runs,
)

MAX_LENGTH = 64
CHINESE = "北京是中国的首都。\n它有两千多万人口，\n也是文化中心。"
ENGLISH = "The Eiffel Tower is 330 metres tall.\nIt was built in 1889 for the World Fair."
FILLER = "甲乙丙丁戊己庚辛壬癸"
LONG = FILLER * 4 + "。\n" + FILLER * 3 + "，答案在此：龙门石窟。\n" + FILLER * 2 + "。"
PADDED = "  上海有 2400 万人口。 Shanghai is big.  "
QUESTION = "中国的首都是哪里？ What is 330?"
TITLED = "依据《城区改造方案》（试行）执行。"
CHANGED = "床位由210张增至340张。上年为88张。"
DATED = "新规自7月1日起施行。"
DELAYED = "因审批延后，工期顺延。"
LISTED = "主要有黄精、三叶青等药材。"
ROUTE = "12路首班车6点发车。"
ROLE = "公司总经理林启航主持会议。"
# `leader` is glossed `队长`, a title the passage holds, but not in the sentence naming 林启航 总经理.
LEADERS = "公司总经理林启航主持会议。球队队长王明发言。"
PERIOD = "受理时间为4月1日至5月20号。"
TEXTS = (
    CHINESE,
    ENGLISH,
    LONG,
    PADDED,
    QUESTION,
    TITLED,
    CHANGED,
    "之前有多少",
    DATED,
    DELAYED,
    "什么时候为",
    LISTED,
    "哪些",
    ROUTE,
    ROLE,
    LEADERS,
    PERIOD,
    "截止到哪一天从开始受理期是段",
)


def vocabulary() -> list[str]:
    """Return the special tokens, each character of the test texts, and '##' pieces for ASCII letters and digits."""
    characters = sorted({char for text in TEXTS for char in text.lower() if not char.isspace()})
    pieces = [f"##{char}" for char in characters if char.isascii() and char.isalnum()]
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *characters, *pieces]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding a tiny random BERT question-answering model and its WordPiece tokenizer."""
    from transformers import BertConfig, BertForQuestionAnswering, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert-qa")
    vocab = vocabulary()
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(str(folder))
    assert len(tokenizer) == len(vocab) and tokenizer.is_fast
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=len(vocab),
        max_position_embeddings=128,
    )
    BertForQuestionAnswering(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def reader(model_dir: Path) -> HFReader:
    """Return a reader of the tiny model with short windows, so that the long passage needs several."""
    reader = HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, max_candidates=4)
    reader.load()
    return reader


def padded_passage(text: str) -> Passage:
    """Return a one-line passage whose text keeps its leading and trailing spaces."""
    return Passage("padded.txt#1.1", "padded.txt", 1, None, (), text, provenance_runs(tuple((1, column) for column in range(len(text)))))


def retrieved(passages: list[Passage]) -> list[RetrievedPassage]:
    return [RetrievedPassage(passage, 1.0, rank) for rank, passage in enumerate(passages, start=1)]


def all_passages() -> list[Passage]:
    passages = [p for number, text in enumerate((CHINESE, ENGLISH, LONG)) for p in text_passages(text, f"doc{number}.txt")]
    return passages + [padded_passage(PADDED)]


def evidence_of(passage: Passage, offset: int) -> str:
    """Return the sentence of the passage that holds the character at `offset`."""
    ((start, end),) = [(s, e) for s, e in sentence_spans(passage.text) if s <= offset < e]
    return passage.text[start:end]


def windows_of(reader: HFReader, question: str, passages: list[Passage]):
    """Return the tokenizer's windows of the question and passages, cut as the reader cuts them."""
    return reader.tokenizer(
        [question] * len(passages),
        [p.text for p in passages],
        truncation="only_second",
        max_length=MAX_LENGTH,
        stride=16,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="longest",
        return_tensors="pt",
    )


def force_logits(reader: HFReader, monkeypatch: pytest.MonkeyPatch, start_token: str, end_token: str) -> None:
    """Make the model give start logit 8 to `start_token`, end logit 8 to `end_token`, and 0 elsewhere."""
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    start_id, end_id = reader.tokenizer.convert_tokens_to_ids([start_token, end_token])
    assert reader.tokenizer.unk_token_id not in (start_id, end_id)

    def forward(input_ids, **_):
        return QuestionAnsweringModelOutput(
            start_logits=8.0 * (input_ids == start_id).float(), end_logits=8.0 * (input_ids == end_id).float()
        )

    monkeypatch.setattr(reader.model, "forward", forward)


def sharing_model(reader: HFReader, **options) -> HFReader:
    """Return a reader with the test windows and these options that uses the loaded tokenizer and model of `reader`."""
    shared = HFReader(reader.model_name, max_length=MAX_LENGTH, stride=16, **options)
    shared.tokenizer, shared.model = reader.tokenizer, reader.model
    return shared


def test_nothing_is_loaded_until_the_first_read() -> None:
    reader = HFReader("/no/such/model/folder")
    assert reader.model is None and reader.tokenizer is None


def test_missing_model_raises_a_one_line_error(tmp_path: Path) -> None:
    passages = retrieved(text_passages(CHINESE, "doc.txt"))
    for model in (tmp_path / "missing", tmp_path):
        with pytest.raises(QAError) as raised:
            HFReader(str(model)).read("问题", passages)
        message = str(raised.value)
        assert message.startswith(f"cannot load reader model '{model}' (")
        assert "pass a local folder with a question-answering model" in message
        assert "\n" not in message


def test_tokenizer_gives_character_offsets(reader: HFReader) -> None:
    encoding = reader.tokenizer("北京 tall", return_offsets_mapping=True, add_special_tokens=False)
    assert reader.tokenizer.convert_ids_to_tokens(encoding["input_ids"]) == ["北", "京", "t", "##a", "##l", "##l"]
    assert encoding["offset_mapping"] == [(0, 1), (1, 2), (3, 4), (4, 5), (5, 6), (6, 7)]


def test_long_passage_needs_several_windows(reader: HFReader) -> None:
    (long,) = text_passages(LONG, "doc.txt")
    encoding = reader.tokenizer(
        QUESTION, long.text, truncation="only_second", max_length=MAX_LENGTH, stride=16, return_overflowing_tokens=True
    )
    assert len(encoding["input_ids"]) >= 3


def test_random_model_candidates_are_verbatim_cited_spans(reader: HFReader) -> None:
    passages = all_passages()
    candidates = reader.read(QUESTION, retrieved(passages))
    assert 0 < len(candidates) <= 4
    by_id = {passage.id: passage for passage in passages}
    spans = set()
    for candidate in candidates:
        citation = candidate.citation
        passage = by_id[citation.passage_id]
        assert 0 <= citation.start < citation.end <= len(passage.text)
        assert candidate.text == passage.text[citation.start : citation.end]
        assert candidate.text == candidate.text.strip()
        assert 0.0 <= candidate.score <= 1.0
        assert (citation.line_start, citation.line_end) == passage.source_lines(citation.start, citation.end)
        assert citation.document == passage.document
        sentence = next(((s, e) for s, e in sentence_spans(passage.text) if s <= citation.start < e), (citation.start, citation.end))
        assert citation.evidence == passage.text[sentence[0] : sentence[1]]
        spans.add((citation.passage_id, citation.start, citation.end))
    assert len(spans) == len(candidates)
    for first, second in itertools.combinations(spans, 2):  # alternatives are distinct answers, not variants
        assert first[0] != second[0] or first[2] <= second[1] or second[2] <= first[1]
    scores = [candidate.score for candidate in candidates]
    assert scores == sorted(scores, reverse=True)


def test_every_passage_alone_yields_verbatim_spans(reader: HFReader) -> None:
    for passage in all_passages():
        for candidate in reader.read(QUESTION, retrieved([passage])):
            citation = candidate.citation
            assert citation.passage_id == passage.id
            assert candidate.text == passage.text[citation.start : citation.end]
            assert candidate.text.strip() == candidate.text != ""


def test_forced_chinese_span(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    force_logits(reader, monkeypatch, "首", "都")
    (passage,) = text_passages(CHINESE, "doc.txt")
    best = reader.read(QUESTION, retrieved([passage]))[0]
    start = passage.text.index("首都")
    assert (best.text, best.citation.start, best.citation.end) == ("首都", start, start + 2)
    assert best.citation.evidence == "北京是中国的首都。"
    assert (best.citation.line_start, best.citation.line_end) == (1, 1)
    assert best.score > 0.5


def test_forced_span_in_a_later_window_of_a_long_passage(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    force_logits(reader, monkeypatch, "龙", "窟")
    (long,) = text_passages(LONG, "long.txt")
    others = text_passages(CHINESE, "doc.txt")
    candidates = reader.read(QUESTION, retrieved([*others, long]))
    best = candidates[0]
    start = long.text.index("龙门石窟")
    assert start > MAX_LENGTH
    assert (best.text, best.citation.passage_id, best.citation.start, best.citation.end) == ("龙门石窟", long.id, start, start + 4)
    assert best.citation.evidence == evidence_of(long, start)
    assert best.citation.evidence.endswith("，答案在此：龙门石窟。")
    assert (best.citation.line_start, best.citation.line_end) == long.source_lines(start, start + 4) == (2, 2)
    # The same span seen by two overlapping windows is proposed once.
    assert len({(c.citation.passage_id, c.citation.start, c.citation.end) for c in candidates}) == len(candidates)


def test_forced_english_span_with_word_pieces(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    force_logits(reader, monkeypatch, "3", "##0")
    (passage,) = text_passages(ENGLISH, "doc.txt")
    best = reader.read("How tall is the tower?", retrieved([passage]))[0]
    start = passage.text.index("330")
    assert (best.text, best.citation.start, best.citation.end) == ("330", start, start + 3)
    assert best.citation.evidence == evidence_of(passage, start)
    assert best.citation.evidence.startswith("The Eiffel Tower is 330 metres tall.")


def test_forced_span_in_a_passage_with_surrounding_spaces(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    force_logits(reader, monkeypatch, "2", "人")
    passage = padded_passage(PADDED)
    best = reader.read("上海有多少人？", retrieved([passage]))[0]
    start = PADDED.index("2400")
    end = PADDED.index("人口") + 1
    assert (best.text, best.citation.start, best.citation.end) == ("2400 万人", start, end)
    assert best.citation.evidence == "上海有 2400 万人口。"


def test_confidence_is_the_probability_that_the_answer_overlaps_the_span(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    force_logits(reader, monkeypatch, "首", "都")
    (passage,) = text_passages(CHINESE, "doc.txt")
    two = HFReader(reader.model_name, max_length=MAX_LENGTH, stride=16, top_n=2)
    two.tokenizer, two.model = reader.tokenizer, reader.model
    candidates = two.read(QUESTION, retrieved([passage]))
    # The two best starts are 首 (8) and 北 (0, the first of the ties), the two best ends 都 (8) and 北 (0). Options:
    # 首都 = 8 + 8, 北京是中国的首都 = 0 + 8, 北 = 0 + 0, and no answer = 0 + 0 ([CLS]).
    total = math.exp(16) + math.exp(8) + 2
    # 北京是中国的首都 overlaps 首都, so it is not an alternative but counts for it; 北 overlaps only the long span.
    assert [candidate.text for candidate in candidates] == ["首都", "北"]
    assert candidates[0].score == pytest.approx((math.exp(16) + math.exp(8)) / total, rel=1e-9)
    assert candidates[1].score == pytest.approx((math.exp(8) + 1) / total, rel=1e-9)


def test_strip_span_trims_whitespace() -> None:
    assert strip_span("  ab c  ", 0, 8) == (2, 6)
    assert strip_span("   ", 0, 3) == (3, 3)
    assert strip_span("abc", 1, 2) == (1, 2)


def test_empty_inputs_give_no_candidates(reader: HFReader) -> None:
    assert reader.read("问题", []) == []
    assert reader.read("   ", retrieved(text_passages(CHINESE, "doc.txt"))) == []


def test_max_windows_reads_the_windows_that_share_the_question_words(model_dir):
    limited = HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, max_candidates=20, max_windows=1)
    limited.load()
    passages = [*text_passages(LONG, "long.txt"), *text_passages(CHINESE, "capital.txt")]
    encoding = windows_of(limited, "中国的首都", passages)
    owners = encoding["overflow_to_sample_mapping"].tolist()
    chosen = limited._chosen_windows(encoding, 1)
    assert len(owners) > 2 and [owners[window] for window in chosen] == [len(passages) - 1]
    candidates = limited.read("中国的首都", retrieved(passages))
    assert candidates and {c.citation.document for c in candidates} == {"capital.txt"}


def test_a_span_of_the_wrong_kind_ranks_below_one_of_the_asked_kind(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    from qa.reading.calibration import Calibration

    ids = dict(zip(["上", "海", "2", "人"], reader.tokenizer.convert_tokens_to_ids(["上", "海", "2", "人"]), strict=True))

    def forward(input_ids, **_):
        starts = 8.0 * (input_ids == ids["上"]).float() + 6.0 * (input_ids == ids["2"]).float()
        ends = 8.0 * (input_ids == ids["海"]).float() + 6.0 * (input_ids == ids["人"]).float()
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=ends)

    monkeypatch.setattr(reader.model, "forward", forward)
    passages = retrieved([padded_passage(PADDED)])
    plain, penalized = sharing_model(reader, top_n=2), sharing_model(reader, top_n=2, calibration=Calibration(1.0, 0.0, -8.0))
    raw = plain.read("上海有多少人？", passages)
    # 上海 (8 + 8) outranks 2400 万人 (6 + 6) on the model's scores alone...
    assert [(c.text, c.score > 0.5) for c in raw] == [("上海", True), ("2400 万人", False)]
    # ...but holds no numeral for a `多少` question, so the off-kind weight puts the amount first.
    ranked = penalized.read("上海有多少人？", passages)
    assert [c.text for c in ranked] == ["2400 万人", "上海"]
    assert [c.score for c in ranked] == [raw[1].score, pytest.approx(Calibration(1.0, 0.0, -8.0)(raw[0].score, True), rel=1e-12)]
    # A question that asks for no number or date leaves the order alone.
    assert [c.text for c in penalized.read("上海是什么？", passages)] == ["上海", "2400 万人"]


def test_padding_no_chosen_window_uses_is_not_run(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limited = HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, max_candidates=20, max_windows=1)
    limited.load()
    widths: list[int] = []
    forward = limited.model.forward

    def recording(input_ids, **rest):
        widths.append(input_ids.shape[1])
        return forward(input_ids=input_ids, **rest)

    monkeypatch.setattr(limited.model, "forward", recording)
    long_passage, short_passage = text_passages(LONG, "long.txt")[0], text_passages(CHINESE, "capital.txt")[0]
    together = limited.read("中国的首都", retrieved([long_passage, short_passage]))
    alone = limited.read("中国的首都", retrieved([short_passage]))
    question_and_short = len(limited.tokenizer("中国的首都", short_passage.text)["input_ids"])
    # The long passage pads every window to MAX_LENGTH; only the short one is read, at its own length, as when alone.
    assert widths == [question_and_short, question_and_short] and question_and_short < MAX_LENGTH
    assert together == alone and together


def test_idf_choice_prefers_the_window_with_the_rare_question_words(model_dir: Path) -> None:
    texts = ("中国的文化中心。", "中国的人口。", "北京是首都。", "它是中国的。")
    passages = [passage for number, text in enumerate(texts) for passage in text_passages(text, f"doc{number}.txt")]
    readers = {
        choice: HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, max_windows=1, window_choice=choice)
        for choice in ("overlap", "idf")
    }
    for each in readers.values():
        each.load()
    encoding = windows_of(readers["overlap"], "中国的首都", passages)
    assert encoding["overflow_to_sample_mapping"].tolist() == [0, 1, 2, 3]
    # 中, 国 and 的 are in three of the four windows, 首 and 都 in one: three common words (the first of three
    # windows holding them) against two rare ones (BM25 idf 0.357 each against 1.204).
    assert readers["overlap"]._chosen_windows(encoding, 1) == [0]
    assert readers["idf"]._chosen_windows(encoding, 1) == [2]
    with pytest.raises(QAError, match="unknown window choice 'best'; use one of overlap, idf"):
        HFReader(str(model_dir), window_choice="best")
    with pytest.raises(QAError, match="unknown decoding 'mode'; use one of argmax, expected_f1"):
        HFReader(str(model_dir), decoding="mode")


def test_a_span_from_a_passage_lacking_the_questions_place_ranks_below_one_that_names_it(
    reader: HFReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    from qa.reading.calibration import Calibration

    ids = dict(zip(["两", "2", "人"], reader.tokenizer.convert_tokens_to_ids(["两", "2", "人"]), strict=True))

    def forward(input_ids, **_):
        starts = 9.0 * (input_ids == ids["两"]).float() + 6.0 * (input_ids == ids["2"]).float()
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=8.0 * (input_ids == ids["人"]).float())

    monkeypatch.setattr(reader.model, "forward", forward)
    passages = retrieved([*text_passages(CHINESE, "beijing.txt"), padded_passage(PADDED)])
    penalty = Calibration(1.0, 0.0, 0.0, -8.0)
    plain, penalized = sharing_model(reader, top_n=2), sharing_model(reader, top_n=2, calibration=penalty)
    raw = plain.read("上海有多少人？", passages)
    # 两千多万人 (9 + 8, of Beijing) outranks 2400 万人 (6 + 8) on the model's scores alone...
    assert [c.text for c in raw][:2] == ["两千多万人", "2400 万人"]
    # ...but its passage never names 上海, the question's place, so the unsupported weight puts Shanghai's first.
    ranked = penalized.read("上海有多少人？", passages)
    assert [c.text for c in ranked][:2] == ["2400 万人", "两千多万人"]
    assert [c.score for c in ranked][:2] == [raw[1].score, pytest.approx(penalty(raw[0].score, unsupported=True), rel=1e-12)]


def test_a_span_the_model_drops_when_its_sentence_is_read_alone_ranks_below_one_it_keeps(
    reader: HFReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    from qa.reading.calibration import Calibration
    from qa.reading.hf import Look

    ids = dict(zip("北京两人首", reader.tokenizer.convert_tokens_to_ids(list("北京两人首")), strict=True))

    def forward(input_ids, **_):
        # 两千多万人 is backed by the word 首 of the sentence before it: strong when both are read, weak alone. Every
        # other token is far below the no-answer's 0 (the CLS token's), so that the probabilities are the ones written.
        backed = (input_ids == ids["首"]).any(dim=1, keepdim=True).float()
        rest = torch.where(input_ids == reader.tokenizer.cls_token_id, 0.0, -30.0)
        starts = torch.where(input_ids == ids["北"], 8.0, torch.where(input_ids == ids["两"], 11.0 * backed - 2.0, rest))
        ends = torch.where(input_ids == ids["京"], 8.0, torch.where(input_ids == ids["人"], 11.0 * backed - 2.0, rest))
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=ends)

    monkeypatch.setattr(reader.model, "forward", forward)
    (passage,) = text_passages(CHINESE, "beijing.txt")
    first, second = sentence_spans(passage.text)[:2]
    looking = Calibration(1.0, 0.0, 0.0, 0.0, 1.0)
    plain, looker = sharing_model(reader, top_n=4), sharing_model(reader, top_n=4, calibration=looking)
    raw = plain.read("北京有多少人？", retrieved([passage]))
    # Read with the sentence naming the capital, 两千多万人 (9 + 9) outranks 北京 (8 + 8)...
    assert [c.text for c in raw][:2] == ["两千多万人", "北京"]
    # ...but read alone its sentence backs it with -2 + -2 against the no-answer's 0, while 北京's keeps its 8 + 8.
    alone = plain.second_look("北京有多少人？", [Look(passage.text[slice(*second)], 2, 7), Look(passage.text[slice(*first)], 0, 2)])
    assert alone == [pytest.approx(math.exp(-4) / (1 + math.exp(-4)), rel=1e-6), pytest.approx(math.exp(16) / (1 + math.exp(16)), rel=1e-6)]
    ranked = looker.read("北京有多少人？", retrieved([passage]))
    assert [c.text for c in ranked][:2] == ["北京", "两千多万人"]
    assert [c.score for c in ranked][:2] == [
        pytest.approx(looking(raw[1].score, second_look=alone[1]), rel=1e-9),
        pytest.approx(looking(raw[0].score, second_look=alone[0]), rel=1e-9),
    ]


def test_a_second_look_holds_a_span_only_where_the_second_read_finds_it_or_a_part_of_it(reader: HFReader, monkeypatch) -> None:
    from qa.reading.hf import Look

    force_logits(reader, monkeypatch, "两", "人")
    single = HFReader(reader.model_name, max_length=MAX_LENGTH, stride=16, top_n=1)  # one start, one end: one span
    single.tokenizer, single.model = reader.tokenizer, reader.model
    sentence = "它有两千多万人口，"
    (found,) = single.read("多少人？", retrieved([padded_passage(sentence)]))
    assert found.text == "两千多万人" and 0.5 < found.score < 1.0
    looks = [Look(sentence, 2, 7), Look(sentence, 2, 8), Look(sentence, 3, 5), Look(sentence, 0, 2)]
    # The same span, one that holds it, one within it, and one that shares nothing with it.
    assert single.second_look("多少人？", looks) == [found.score, found.score, found.score, 0.0]
    assert single.second_look("多少人？", []) == []


def force_run_on(reader: HFReader, monkeypatch: pytest.MonkeyPatch, backed_only: bool) -> None:
    """Make the model start a span at 两 (9) and at 万 (8) and end it at 人 (8), every other token far below the
    no-answer's 0; with `backed_only`, the start at 两 holds only in windows that also read 首 (else 0)."""
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    ids = dict(zip("两万人首", reader.tokenizer.convert_tokens_to_ids(list("两万人首")), strict=True))

    def forward(input_ids, **_):
        backed = (input_ids == ids["首"]).any(dim=1, keepdim=True).float() if backed_only else torch.ones(1)
        rest = torch.where(input_ids == reader.tokenizer.cls_token_id, 0.0, -30.0)
        starts = torch.where(input_ids == ids["两"], 9.0 * backed, torch.where(input_ids == ids["万"], 8.0, rest))
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=torch.where(input_ids == ids["人"], 8.0, rest))

    monkeypatch.setattr(reader.model, "forward", forward)


def test_an_answer_that_runs_on_past_what_its_sentence_alone_gives_is_tightened(reader: HFReader, monkeypatch) -> None:
    force_run_on(reader, monkeypatch, backed_only=True)
    (passage,) = text_passages(CHINESE, "beijing.txt")
    plain, tight = sharing_model(reader), sharing_model(reader, tighten=True)
    loose, *others = plain.read("有多少人？", retrieved([passage]))
    tightened, *same_others = tight.read("有多少人？", retrieved([passage]))
    # The whole passage (with 首) makes 两千多万人 (9 + 8) the answer; its sentence alone ranks 万人 (8 + 8) within it first.
    assert loose.text == "两千多万人"
    start = passage.text.index("万人")
    assert (tightened.text, tightened.score) == ("万人", loose.score)
    assert (tightened.citation.start, tightened.citation.end, tightened.citation.evidence) == (start, start + 2, loose.citation.evidence)
    assert same_others == others  # only the answer is tightened


def test_an_answer_its_sentence_alone_still_ranks_first_is_kept_whole(reader: HFReader, monkeypatch) -> None:
    force_run_on(reader, monkeypatch, backed_only=False)
    (passage,) = text_passages(CHINESE, "beijing.txt")
    tight = HFReader(reader.model_name, max_length=MAX_LENGTH, stride=16, tighten=True)
    tight.tokenizer, tight.model = reader.tokenizer, reader.model
    answer, *_ = tight.read("有多少人？", retrieved([passage]))
    assert answer.text == "两千多万人"


def test_a_span_the_model_ends_on_an_opening_bracket_is_balanced(reader: HFReader, monkeypatch) -> None:
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    opening, bracket = reader.tokenizer.convert_tokens_to_ids(["《", "（"])

    def forward(input_ids, **_):
        rest = torch.where(input_ids == reader.tokenizer.cls_token_id, 0.0, -30.0)
        starts = torch.where(input_ids == opening, 9.0, rest)
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=torch.where(input_ids == bracket, 9.0, rest))

    monkeypatch.setattr(reader.model, "forward", forward)
    (passage,) = text_passages(TITLED, "plan.txt")
    answer, *_ = reader.read("依据什么？", retrieved([passage]))
    start = passage.text.index("《")
    assert answer.text == "《城区改造方案》"
    assert (answer.citation.start, answer.citation.end) == (start, start + len("《城区改造方案》"))


def recorded_inputs(reader: HFReader, monkeypatch) -> list[list[int]]:
    """Load the reader and return the list that every window's input ids the model is given from now on go into."""
    reader.load()
    fed: list[list[int]] = []
    forward = reader.model.forward

    def recording(input_ids, **rest):
        fed.extend(input_ids.tolist())
        return forward(input_ids=input_ids, **rest)

    monkeypatch.setattr(reader.model, "forward", recording)
    return fed


def test_with_gloss_an_english_question_is_read_with_the_passages_renderings_of_its_words(model_dir: Path, monkeypatch) -> None:
    glossing = HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, gloss=True)
    fed = recorded_inputs(glossing, monkeypatch)
    passage = text_passages(CHINESE, "capital.txt")[0]
    glossing.read("What is the capital of China?", retrieved([passage]))
    glossed = glossing.tokenizer("What is the capital（首都） of China（中国）?", passage.text)["input_ids"]
    assert fed == [glossed]
    assert glossed != glossing.tokenizer("What is the capital of China?", passage.text)["input_ids"]


def test_with_home_place_a_question_naming_the_passages_city_is_read_as_they_write_it(model_dir: Path, monkeypatch) -> None:
    reading = HFReader(str(model_dir), max_length=MAX_LENGTH, stride=16, home_place=True)
    fed = recorded_inputs(reading, monkeypatch)
    passage = text_passages("我市市长周军波出席。平湖市会议召开，平湖市代表参加。", "city.txt")[0]
    assert reading.question_as_read("平湖市的市长是谁？", [passage.text]) == "我市的市长是谁？"
    reading.read("平湖市的市长是谁？", retrieved([passage]))
    assert fed == [reading.tokenizer("我市的市长是谁？", passage.text)["input_ids"]]


def force_change(reader: HFReader, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the model start a span at 2 (of 210) and end it at the window's second 张 (of 340张; the question holds none),
    at 8 each, a start at 3 and an end at the third 张 at 7, and every other token far less than the no-answer's 0."""
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    two, three, sheet = reader.tokenizer.convert_tokens_to_ids(["2", "3", "张"])

    def forward(input_ids, **_):
        rest = torch.where(input_ids == reader.tokenizer.cls_token_id, 0.0, -30.0)
        starts = torch.where(input_ids == two, 8.0, torch.where(input_ids == three, 7.0, rest))
        sheets = (input_ids == sheet).long().cumsum(dim=1)
        ends = torch.where((input_ids == sheet) & (sheets == 2), 8.0, torch.where((input_ids == sheet) & (sheets == 3), 7.0, rest))
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=ends)

    monkeypatch.setattr(reader.model, "forward", forward)


def test_with_before_after_an_answer_holding_a_change_becomes_the_side_asked(reader: HFReader, monkeypatch) -> None:
    force_change(reader, monkeypatch)
    (passage,) = text_passages(CHANGED, "beds.txt")
    plain, sided = sharing_model(reader), sharing_model(reader, before_after=True)
    (whole, *_) = plain.read("有多少？", retrieved([passage]))
    (now, *_) = sided.read("有多少？", retrieved([passage]))
    (before, *_) = sided.read("之前有多少？", retrieved([passage]))
    assert whole.text == "210张增至340张"
    assert (now.text, now.score) == ("340张", whole.score)
    assert (before.text, before.score) == ("210张", whole.score)
    assert (before.citation.start, before.citation.end) == (passage.text.index("210张"), passage.text.index("210张") + 4)


def test_with_trim_edges_a_date_leaves_out_its_time_word_and_a_reason_its_cause_word(reader: HFReader, monkeypatch) -> None:
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    seven, cause, since, late = reader.tokenizer.convert_tokens_to_ids(["7", "因", "起", "后"])

    def forward(input_ids, **_):
        rest = torch.where(input_ids == reader.tokenizer.cls_token_id, 0.0, -30.0)
        starts = torch.where((input_ids == seven) | (input_ids == cause), 8.0, rest)
        ends = torch.where((input_ids == since) | (input_ids == late), 8.0, rest)
        return QuestionAnsweringModelOutput(start_logits=starts, end_logits=ends)

    monkeypatch.setattr(reader.model, "forward", forward)
    plain, trimmed = sharing_model(reader), sharing_model(reader, trim_edges=True)
    (dated,) = text_passages(DATED, "rule.txt")
    (delayed,) = text_passages(DELAYED, "works.txt")
    (whole_date, *_) = plain.read("什么时候施行？", retrieved([dated]))
    (date, *_) = trimmed.read("什么时候施行？", retrieved([dated]))
    (whole_reason, *_) = plain.read("为什么顺延？", retrieved([delayed]))
    (reason, *_) = trimmed.read("为什么顺延？", retrieved([delayed]))
    assert (whole_date.text, whole_reason.text) == ("7月1日起", "因审批延后")
    assert (date.text, date.score) == ("7月1日", whole_date.score)
    assert (date.citation.start, date.citation.end) == (3, 7)
    assert (reason.text, reason.score) == ("审批延后", whole_reason.score)
    assert (reason.citation.start, reason.citation.end) == (1, 5)


def test_with_list_tails_a_list_answer_leaves_out_its_summing_up_tail(reader: HFReader, monkeypatch) -> None:
    force_logits(reader, monkeypatch, "黄", "材")
    plain, listed = sharing_model(reader), sharing_model(reader, list_tails=True)
    (passage,) = text_passages(LISTED, "herbs.txt")
    (whole, *_) = plain.read("主要有哪些药材？", retrieved([passage]))
    (items, *_) = listed.read("主要有哪些药材？", retrieved([passage]))
    assert whole.text == "黄精、三叶青等药材"
    assert (items.text, items.score) == ("黄精、三叶青", whole.score)
    assert (items.citation.start, items.citation.end) == (3, 9)


@pytest.mark.parametrize(
    ("text", "first", "last", "asked", "about_sibling", "answer"),
    [
        (ROUTE, "6", "点", "12路首班车几点发车？", "13路首班车几点发车？", "6点"),
        (ROLE, "林", "航", "公司总经理是谁？", "公司董事长是谁？", "林启航"),
    ],
    ids=["route", "title"],
)
def test_with_siblings_a_span_from_a_sentence_about_a_sibling_is_no_candidate(
    reader: HFReader, monkeypatch, text: str, first: str, last: str, asked: str, about_sibling: str, answer: str
) -> None:
    force_logits(reader, monkeypatch, first, last)
    plain, strict = sharing_model(reader), sharing_model(reader, siblings=True)
    (passage,) = text_passages(text, "siblings.txt")
    (answered, *_) = strict.read(asked, retrieved([passage]))
    (sibling, *_) = plain.read(about_sibling, retrieved([passage]))
    assert (answered.text, sibling.text) == (answer, answer)
    assert strict.read(about_sibling, retrieved([passage])) == []


def test_with_siblings_an_english_question_asks_no_title_its_gloss_writes(reader: HFReader, monkeypatch) -> None:
    force_logits(reader, monkeypatch, "林", "航")
    glossing = sharing_model(reader, siblings=True, gloss=True)
    (passage,) = text_passages(LEADERS, "leaders.txt")
    assert glossing.question_as_read("Who is the leader?", [passage.text]) == "Who is the leader（队长）?"
    (answer, *_) = glossing.read("Who is the leader?", retrieved([passage]))
    assert (answer.text, answer.citation.start) == ("林启航", 5)


def test_with_range_ends_a_date_question_about_one_end_gets_that_end(reader: HFReader, monkeypatch) -> None:
    force_logits(reader, monkeypatch, "4", "号")
    plain, ended = sharing_model(reader), sharing_model(reader, range_ends=True)
    (passage,) = text_passages(PERIOD, "period.txt")
    (whole, *_) = plain.read("截止到哪一天？", retrieved([passage]))
    (last, *_) = ended.read("截止到哪一天？", retrieved([passage]))
    (first, *_) = ended.read("从哪一天开始受理？", retrieved([passage]))
    (both, *_) = ended.read("受理期是哪段时间？", retrieved([passage]))
    assert whole.text == both.text == "4月1日至5月20号"
    assert (last.text, last.score, last.citation.start, last.citation.end) == ("5月20号", whole.score, 10, 15)
    assert (first.text, first.citation.start, first.citation.end) == ("4月1日", 5, 9)
