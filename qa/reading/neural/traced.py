"""The module traced for the reader's export: a question-answering model's start and end logits as a pair (imports torch)."""

from __future__ import annotations

import torch


class StartEnd(torch.nn.Module):
    """Returns the start and end logits ([batch, tokens]) of a Hugging Face question-answering model, from the inputs
    named by `input_names`, in that order."""

    def __init__(self, model: torch.nn.Module, input_names: list[str]) -> None:
        super().__init__()
        self.model = model
        self.input_names = input_names

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the start and end logits of a padded batch, its tensors given in the order of `input_names`."""
        output = self.model(**dict(zip(self.input_names, inputs, strict=True)))
        return output.start_logits, output.end_logits
