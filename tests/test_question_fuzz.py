"""The question path under arbitrary input: any question and history give an answer or a one-line QAError, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.chat.service import ChatService
from qa.errors import QAError
from tests.fakes import FakeEncoder

QUESTION = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="独山港区泊位能力是多少？什么时候谁哪里它那呢 ，。！\n\t\u2028\u3000", max_size=40),
    st.sampled_from(["", " ", "?", "它呢？", "'; DROP TABLE passages; --", "<script>alert(1)</script>", "x" * 2000]),
)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = ChatService(tmp_path_factory.mktemp("fuzz"), reader="span", make_encoder=lambda model, directory: FakeEncoder())
    service.start()
    return service


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTION, history=st.lists(QUESTION, max_size=3), k=st.integers(min_value=-2, max_value=30))
def test_any_question_gets_an_answer_or_a_one_line_error(service, question, history, k):
    try:
        answer = service.ask(question, history, k=k).answer
    except QAError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert answer.text is None or isinstance(answer.text, str)
