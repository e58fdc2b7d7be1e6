"""The rule-based reader on the seed's own sentences: question types, typed spans, slot filling, citations."""

from __future__ import annotations

import pytest

from qa.answering import SPAN_THRESHOLD
from qa.folding import TextNormalizer
from qa.ingest.pipeline import text_passages
from qa.reading.question import AnswerType, analyze
from qa.reading.span_reader import SpanReader
from qa.reading.spans import has_expected_kind, typed_spans
from qa.records import RetrievedPassage


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("独山港区A3泊位设计年综合通过能力是多少？", AnswerType.NUMBER),
        ("共组织企业参加跨境电商活动几场？", AnswerType.NUMBER),
        ("隧道部分什么时候正式通车？", AnswerType.DATE),
        ("會議由誰主持？", AnswerType.PERSON),
        ("项目位于哪里？", AnswerType.PLACE),
        ("名单是由哪个部门发布的？", AnswerType.ORGANIZATION),
        ("委员沈建锋提出了什么建议？", AnswerType.TITLE),
        ("出席会议的领导有哪些？", AnswerType.LIST),
        ("今年新建的高标准农田主要分布在哪几个乡镇？", AnswerType.LIST),
        ("家电以旧换新覆盖哪几类新家电？", AnswerType.LIST),
        ("首批签约企业分布在哪些领域？", AnswerType.LIST),
        ("新增加的服务点主要设在哪些地方？", AnswerType.PLACE),
        ("加演的两场安排在哪几天？", AnswerType.DATE),
        ("今年新建了几个乡镇冷库？", AnswerType.NUMBER),
        ("为什么要开放口岸？", AnswerType.REASON),
        ("如何丰富九龙山开发建设内涵？", AnswerType.MANNER),
        ("How many berths were built?", AnswerType.NUMBER),
        ("Who chaired the meeting?", AnswerType.PERSON),
        ("口岸开放意味着什么？", AnswerType.OTHER),
    ],
)
def test_question_types(question, expected):
    assert analyze(question, TextNormalizer()).answer_type is expected


@pytest.mark.parametrize(
    ("sentence", "answer_type", "expected"),
    [
        ("全年累计实现网络零售额 265.9亿元，同比增速 8.2%。", AnswerType.NUMBER, ["265.9亿元", "8.2%"]),
        ("设计年综合通过能力 169万吨。", AnswerType.NUMBER, ["169万吨"]),
        ("今年该码头的吞吐量预计可以达到设计吞吐量的30%到50%。", AnswerType.NUMBER, ["30%到50%"]),
        ("完成电商人才培训2000余人次。", AnswerType.NUMBER, ["2000余人次"]),
        ("2月1日上午9时，随着一辆辆汽车从隧道口驶入", AnswerType.DATE, ["2月1日上午9时"]),
        ("该项目自 2023年 1月 1日开工建设以来", AnswerType.DATE, ["2023年 1月 1日"]),
        ("他提出了《关于推进平湖新仓小落苏深加工产业的建议》。", AnswerType.TITLE, ["《关于推进平湖新仓小落苏深加工产业的建议》"]),
    ],
)
def test_typed_spans(sentence, answer_type, expected):
    assert [sentence[start:end] for start, end in typed_spans(sentence, answer_type)] == expected


def read(question: str, *texts: str):
    passages = [
        RetrievedPassage(p, 1.0, rank)
        for rank, p in enumerate((p for i, t in enumerate(texts) for p in text_passages(t, f"d{i}.txt")), start=1)
    ]
    return SpanReader().read(question, passages)


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        (
            "独山港区A3泊位设计年综合通过能力是多少？",
            "独山港区A3泊位建设等级为3万吨级，主要从事对二甲苯、乙二醇等液体化工品及油品的装卸业务，设计年综合通过能力 169万吨。",
            "169万吨",
        ),
        (
            "独山港經濟開發區有多少個萬噸級泊位？",
            "目前，独山港经济开发区已对外开放港口岸线 12.6公里，建成外海生产性泊位 23个，其中万吨级 17个。",
            "17个",
        ),
        ("会议由谁主持？", "市政协领导王建坤、许静出席会议并在主席台就座。会议由市政协副主席许静主持。", "许静"),
        (
            "302省道与525国道平改立工程项目位于哪里？",
            "据悉，302省道与525国道平改立工程项目是我市首个国道下穿项目，位于广陈镇民主村，长约 1.13公里。",
            "广陈镇民主村",
        ),
        (
            "302省道与525国道平改立工程隧道部分什么时候正式通车？",
            "本报讯 2月1日上午9时，随着一辆辆汽车从隧道口驶入，302省道与525国道平改立工程隧道部分正式通车。",
            "2月1日上午9时",
        ),
        (
            "委员沈建锋提出了什么建议？",
            "于是，他提出了《关于推进平湖新仓小落苏深加工产业的建议》。“希望能为推动地方农产品发展贡献一份力。”沈建锋说。",
            "《关于推进平湖新仓小落苏深加工产业的建议》",
        ),
        ("平湖成立了全省首个什么开发区？", "我市始终将农业生产作为产业发展的重中之重，并成立了全省首个农业经济开发区。", "农业经济开发区"),
    ],
)
def test_reader_returns_the_shortest_span(question, text, answer):
    candidates = read(question, text)
    assert candidates[0].text == answer


SEED_ROADS = "项目主线采用一级公路标准兼顾城市道路功能，设计速度 80公里/小时，双车道匝道设计速度 60公里/小时。"
SEED_TRADE = (
    "去年，我市深度对接深圳跨境电商资源，与深圳跨境电商协会签订战略合作协议，补全跨境电商生态链条，"
    "并以欧洲和俄罗斯为主要方向，组织开展专题业务培训和资源对接会，助力企业开拓跨境发展新视野。"
)
SEED_MEETING = (
    "市委书记仲旭东主持会议并讲话，市委副书记、市长周军波传达嘉兴市政府工作报告精神，"
    "市人大常委会党组书记何健传达嘉兴市九届人大四次会议精神。"
)


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # number: the clause around the number, the measure asked for, the counter after 多少
        ("明天早晨最低气温是多少？", "今天白天最高气温6℃，明天早晨最低气温4℃。", "4℃"),
        ("平湖网络零售额的同比增速是多少？", "全年累计实现网络零售额 265.9亿元，同比增速 8.2%。", "8.2%"),
        ("平改立工程项目主线的设计速度是多少？", SEED_ROADS, "80公里/小时"),
        ("双车道匝道的设计速度是多少？", SEED_ROADS, "60公里/小时"),
        ("平改立工程的整体进度缩减到了多少个月？", "整体进度由定额工期 15个月缩减至13个月，提前2个月实现了通车。", "13个月"),
        ("第二产业对GDP的增长贡献率超过多少？", "第二产业对GDP的增长贡献率超过58%。", "58%"),
        # person: the whole name, after a title or before a post-name word
        ("市委常委会（扩大）会议由谁主持？", SEED_MEETING, "仲旭东"),
        ("嘉兴市九届人大四次会议精神由谁传达？", SEED_MEETING, "何健"),
        (
            "哪位委員帶來了關於九龍山開發建設的建議？",
            "钟峨说，他建议通过配备地方文史专家、增加地方文史景点等一系列措施，挖掘沿海一带文史故事。",
            "钟峨",
        ),
        # organization and place: the whole name, of the kind asked for; a list joined by 和
        ("平湖与哪个协会签订了战略合作协议？", SEED_TRADE, "深圳跨境电商协会"),
        ("跨境电商专题业务培训以哪些地区为主要方向？", SEED_TRADE, "欧洲和俄罗斯"),
        # what: the noun the question word modifies, or the rest of the clause
        ("会议要求扎实开展什么慰问工作？", "要抓好民生保障，扎实开展春节慰问工作，做好基本供应保障。", "春节慰问工作"),
        (
            "这次口岸开放意味着什么？",
            "主要开展内贸，这次口岸开放意味着外轮可以靠泊，能够基本满足企业对进口原料运输的需求。",
            "外轮可以靠泊",
        ),
    ],
)
def test_reader_picks_the_span_that_answers(question, text, answer):
    assert read(question, text)[0].text == answer


@pytest.mark.parametrize(
    ("question", "text"),
    [
        # a code of the question (A4) missing from the passage
        ("独山港区A4泊位什么时候对外开放？", "近日，独山港区A3泊位通过验收，于昨天正式对外开放。"),
        # neither word next to the question word (门票, 钱) in the sentence
        ("九龙山旅游度假区的门票多少钱？", "去年，九龙山旅游度假区被列入十大标志性工程，总投资 20亿元。"),
    ],
)
def test_near_misses_stay_below_the_threshold(question, text):
    candidates = read(question, text)
    assert candidates and candidates[0].score < SPAN_THRESHOLD


def test_candidates_are_verbatim_and_cited():
    text = "本报讯 2月1日上午9时，随着一辆辆汽车从隧道口驶入，302省道与525国道平改立工程隧\n道部分正式通车。"
    passages = text_passages(text, "doc.txt")
    candidates = SpanReader().read("隧道部分什么时候正式通车？", [RetrievedPassage(passages[0], 1.0, 1)])
    assert len(candidates) <= 4 and len({c.text for c in candidates}) == len(candidates)
    for candidate in candidates:
        citation = candidate.citation
        assert passages[0].text[citation.start : citation.end] == candidate.text
        assert 0.0 <= candidate.score <= 1.0
    best = candidates[0].citation
    assert (best.line_start, best.line_end, best.evidence[:9]) == (1, 1, "2月1日上午9时，")


def test_no_overlap_gives_no_candidate():
    assert read("九龙山的门票多少钱？", "今天阴有中雨，傍晚到夜里阴有小雨。") == []


@pytest.mark.parametrize(
    ("question", "text", "answer"),
    [
        # the speaker of a quotation, in the sentence after it, counts as part of the quoted sentence
        (
            "张婷婷说我市打造了哪些体育特色项目？",
            "“近年来，我市打造了‘当湖十局’围棋公园、林埭棒球小镇、曹桥赛艇小镇等，然而，都还存在发展不平衡、不充分的问题。”张婷婷说。",
            "‘当湖十局’围棋公园、林埭棒球小镇、曹桥赛艇小镇等",
        ),
        # the noun after 哪些 (地区) is not written next to the answer
        ("跨境电商专题业务培训以哪些地区为主要方向？", SEED_TRADE, "欧洲和俄罗斯"),
        # a list or a clause without the question's own words at its ends
        (
            "哪些市政协领导出席会议并在主席台就座？",
            "市政协领导王建坤、许静、方晓烈、沈幼锋、汤建萍、王晓平、唐华荣出席会议并在主席台就座。",
            "王建坤、许静、方晓烈、沈幼锋、汤建萍、王晓平、唐华荣",
        ),
        ("今天傍晚到夜里的天气怎么样？", "今天阴有中雨，傍晚到夜里阴有小雨。", "阴有小雨"),
    ],
)
def test_confident_answers_without_the_questions_words(question, text, answer):
    best = read(question, text)[0]
    assert (best.text, best.score >= SPAN_THRESHOLD) == (answer, True)


@pytest.mark.parametrize(
    ("answer_type", "text", "expected"),
    [
        (AnswerType.NUMBER, "3万吨级", True),
        (AnswerType.NUMBER, "外轮", False),
        (AnswerType.NUMBER, "三千多人", True),
        (AnswerType.NUMBER, "twelve metres", True),
        (AnswerType.NUMBER, "the harbour", False),
        (AnswerType.DATE, "2023年 1月 1日", True),
        (AnswerType.DATE, "唐朝", True),
        (AnswerType.DATE, "今天上午", True),
        (AnswerType.DATE, "in June", True),
        (AnswerType.DATE, "浙江省商务厅", False),
        (AnswerType.PERSON, "外轮", True),
        (AnswerType.OTHER, "2023年", True),
    ],
)
def test_has_expected_kind_flags_only_numbers_and_dates_without_one(answer_type: AnswerType, text: str, expected: bool) -> None:
    assert has_expected_kind(answer_type, text) is expected
