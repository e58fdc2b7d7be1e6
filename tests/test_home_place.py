"""Home places: a question naming the passages' own city is read as they write it (我市)."""

from qa.reading.home_place import home_place, home_place_question

CITY_PAGE = (
    "昨晚，市委常委会会议召开，传达学习嘉兴市两会精神。市委副书记、市长周军波传达嘉兴市政府工作报告精神。",
    "平湖市国际电子商务产业园是平湖市政府唯一授牌的国际电子商务产业园，依托平湖国际箱包城。",
    "我市首个国道下穿项目建成。",
)


def test_home_place_is_the_most_named_place_of_a_paper_that_says_wo_shi() -> None:
    assert home_place(CITY_PAGE, "市") == "平湖"
    assert home_place(CITY_PAGE, "县") is None


def test_no_home_place_without_wo_or_ben() -> None:
    assert home_place(("平湖市统计局发布公告。", "平湖市全市生产总值增长5%。"), "市") is None


def test_no_home_place_when_two_places_are_named_as_often() -> None:
    assert home_place(("本市与嘉兴市、平湖市签约。", "嘉兴市和平湖市各派代表。"), "市") is None


def test_phrases_before_a_level_are_not_places() -> None:
    assert home_place(("在我市，今年全市投资增长。", "在我市召开。", "今年全市就业稳定。"), "市") is None


def test_question_naming_the_home_place_reads_wo_shi() -> None:
    assert home_place_question("平湖市的市长是谁？", CITY_PAGE) == "我市的市长是谁？"
    assert home_place_question("平湖市2023年建成了什么？", CITY_PAGE) == "我市2023年建成了什么？"


def test_longer_names_and_other_places_stay_as_asked() -> None:
    assert home_place_question("平湖市国际电子商务产业园是什么？", CITY_PAGE) == "平湖市国际电子商务产业园是什么？"
    assert home_place_question("嘉兴市的市长是谁？", CITY_PAGE) == "嘉兴市的市长是谁？"
    assert home_place_question("Who is the mayor?", CITY_PAGE) == "Who is the mayor?"


def test_county_paper_reads_wo_xian() -> None:
    county = ("澄川县委书记主持会议。我县今年粮食增产。", "澄川县第二水厂通水，全县供水能力提高。")
    assert home_place_question("澄川县的粮食产量是多少？", county) == "我县的粮食产量是多少？"
    assert home_place_question("澄川市的粮食产量是多少？", county) == "澄川市的粮食产量是多少？"


def test_a_text_naming_its_own_offices_without_a_place_calls_the_place_its_own() -> None:
    passages = (
        "昨晚，市委常委会会议召开，传达学习嘉兴市两会精神。市长周军波传达嘉兴市政府工作报告精神。",
        "平湖市代表团出席。平湖市政协开幕。平湖",
    )
    assert home_place(passages, "市") == "平湖"
    assert home_place_question("平湖市的市长是谁？", passages) == "我市的市长是谁？"


def test_offices_of_a_named_place_are_not_the_texts_own() -> None:
    passages = ("嘉兴市委召开会议。平湖市代表团出席。", "平湖市政协、嘉兴市政府发布。平湖")
    assert home_place(passages, "市") is None
