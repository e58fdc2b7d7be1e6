"""The thread policy: one compute thread per request when serving, every core for batch jobs, $QA_THREADS overriding both."""

from __future__ import annotations

import os

import pytest

from qa.errors import QAError
from qa.threads import ThreadPolicy, apply_policy, batch_policy, serving_policy


def test_serving_uses_one_thread_and_batch_every_core():
    assert serving_policy({}) == ThreadPolicy(1, "serving: one compute thread per request")
    assert batch_policy({}) == ThreadPolicy(os.cpu_count() or 1, "batch: every core")


def test_the_environment_overrides_both():
    assert serving_policy({"QA_THREADS": "3"}) == batch_policy({"QA_THREADS": " 3 "}) == ThreadPolicy(3, "$QA_THREADS")


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_override_is_a_one_line_error(value):
    with pytest.raises(QAError, match=rf"^\$QA_THREADS must be a whole number of threads of at least 1 \(got '{value}'\)$"):
        serving_policy({"QA_THREADS": value})


def test_applying_a_policy_sets_torch_and_faiss():
    import faiss
    import torch

    before = torch.get_num_threads()
    try:
        apply_policy(ThreadPolicy(1, "test"))
        assert torch.get_num_threads() == 1 and faiss.omp_get_max_threads() == 1
    finally:
        apply_policy(ThreadPolicy(before, "restore"))
