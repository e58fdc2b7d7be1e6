"""The public `/ask` endpoint: typed, documented, and one logged line per user error.

No `from __future__ import annotations` here: Gradio reads the return type from the signature as a class.
"""

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypedDict, cast

import gradio as gr
from gradio.components.api_component import Api

from qa.answers import Answer, Citation
from qa.chat.alternatives import shown_alternatives
from qa.chat.i18n import EN, ChatError, error_message
from qa.chat.service import ChatService, NeedsReferent
from qa.errors import QAError
from qa.serialize import answer_to_dict

log = logging.getLogger(__name__)


class CitationJSON(TypedDict):
    """The JSON of a Citation, field for field (passage id and document by display name in the API)."""

    passage_id: str
    document: str
    title: str | None
    start: int
    end: int
    line_start: int
    line_end: int
    evidence: str


class AlternativeJSON(TypedDict):
    """Another plausible answer: its verbatim text, confidence and citation."""

    text: str
    score: float
    citation: CitationJSON


class AnswerJSON(TypedDict):
    """The answer object of `qa ask --json` (documents by display name, alternatives filtered as in the chat)."""

    question: str
    resolved_question: str | None
    answer: str | None
    abstained: bool
    score: float
    citations: list[CitationJSON]
    alternatives: list[AlternativeJSON]
    retrieved: list[str]


PARAMETERS = {
    "question": (
        "the question, in Chinese or English (1 to 500 characters); a follow-up such as 它的总投资是多少？ is resolved against history"
    ),
    "history": "the earlier questions of the conversation, oldest first; empty or omitted for a first question",
}
RETURNS = (
    "the answer: `answer` is the verbatim span (null when the documents do not hold it; `abstained` is then true), "
    "`score` its confidence in [0, 1], `citations` where it was found (document, title, source lines, evidence sentence), "
    "`alternatives` other plausible spans, `retrieved` the passage ids read"
)


def describe(app: gr.Blocks, api_name: str = "ask") -> None:
    """Give the endpoint's parameters and return value their names and descriptions on the "Use via API" page.

    `gr.api` labels them "1st", "2nd" without descriptions; Gradio reads a description from the
    component's API info (`additional_description`), which `gr.api` does not set.
    """
    block_fn = next(fn for fn in app.fns.values() if fn.api_name == api_name)
    # gr.api makes its inputs and output `Api` components, the ones that carry `_api_info`
    inputs, outputs = cast(list[Api], block_fn.inputs), cast(list[Api], block_fn.outputs)
    for component, (name, description) in zip(inputs, PARAMETERS.items(), strict=True):
        component.label = name
        component._api_info = {**component._api_info, "additional_description": description}
    for component in outputs:
        component.label = "answer"
        component._api_info = {**component._api_info, "additional_description": RETURNS}


def make_ask(service: ChatService) -> Callable[[str, list[str] | None], AnswerJSON]:
    """Return the `/ask` endpoint function over a service."""

    def shown(citation: Citation) -> Citation:
        return replace(
            citation, document=service.names.display(citation.document), passage_id=service.names.passage_id(citation.passage_id)
        )

    def public(answer: Answer) -> Answer:
        """Return the answer as the API shows it: documents by display name, alternatives filtered as in the chat."""
        alternatives = shown_alternatives(answer.alternatives, answer.text) if answer.text is not None else ()
        return replace(
            answer,
            citations=tuple(shown(citation) for citation in answer.citations),
            alternatives=tuple(replace(candidate, citation=shown(candidate.citation)) for candidate in alternatives),
            retrieved=tuple(service.names.passage_id(passage_id) for passage_id in answer.retrieved),
        )

    def ask(question: str, history: list[str] | None = None) -> AnswerJSON:
        """Answer a question from the indexed documents with a verbatim span and its citation.

        The parameters and the return value are described in PARAMETERS and RETURNS.
        """
        try:
            if history is not None and not isinstance(history, list):
                raise ChatError("history_not_text")
            timed = service.ask(question, history if history is not None else [])
        except NeedsReferent as needs:
            log.info("ask: follow-up without context: %s", needs)
            raise gr.Error(str(needs), print_exception=False) from None
        except QAError as error:
            message = error_message(error, EN)
            log.info("ask: user error: %s", message)
            raise gr.Error(message, print_exception=False) from None
        return answer_to_dict(public(timed.answer))  # type: ignore[return-value]

    return ask
