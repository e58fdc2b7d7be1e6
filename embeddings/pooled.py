"""The module traced for export: a BertModel, mean pooling over the attention mask, L2 normalization (imports torch)."""

from __future__ import annotations

import torch


class MeanPooled(torch.nn.Module):
    """Returns one L2-normalized vector per row: the mean of the last hidden states over the unmasked tokens."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return the [batch, hidden] float vectors of a padded batch of token ids."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)
