r"""Refusals of the teaching helpers: the dataset loaders (``load_digits``, ``load_mnist``)
refuse a dtype other than float32 and float64 and a test split that leaves a digit out of the
training set, and ``validation_split`` refuses a fraction outside (0, 1) and ragged or masked
data. A refused call leaves the caller's Generator where it was."""

from __future__ import annotations

import numpy as np
import pytest
from refusal import MASKED_X, RAGGED_T, T4, X4, assert_refused, case_ids, run_table

from backprop_lib.teaching.training_run import validation_split


@pytest.mark.parametrize("dtype", ["garbage", None, "int8", np.float16])
def test_dataset_loaders_refuse_unparseable_dtypes(dtype, tmp_path):
    from backprop_lib.teaching.datasets import load_digits, load_mnist

    g = np.random.default_rng(3)
    for call in (
        lambda: load_digits(0.25, g, dtype=dtype),
        lambda: load_mnist(tmp_path, dtype=dtype),
    ):
        assert_refused(call, ValueError, r"dtype must be float32 or float64, got ", g=g)


def test_load_digits_refused_split_leaves_the_generator_alone():
    from backprop_lib.teaching.datasets import load_digits

    g = np.random.default_rng(7)
    assert_refused(
        lambda: load_digits(0.99715, g),
        ValueError,
        r"test_size=0\.99715 puts \d+ of the \d+ images of digit \d in the test set",
        g=g,
    )


VALIDATION_SPLIT = [
    (
        "validation_split fraction nan",
        lambda n, g: validation_split(X4, T4, np.nan, rng=g),
        ValueError,
        r"validation_split: fraction must be in \(0, 1\); got nan",
    ),
    (
        "validation_split fraction inf",
        lambda n, g: validation_split(X4, T4, np.inf, rng=g),
        ValueError,
        r"validation_split: fraction must be in \(0, 1\); got inf",
    ),
    (
        "validation_split ragged T",
        lambda n, g: validation_split(X4, RAGGED_T, 0.5, rng=g),
        ValueError,
        r"validation_split: T must be an array of shape \(N, n_L\)",
    ),
    (
        "validation_split masked X",
        lambda n, g: validation_split(MASKED_X, T4, 0.5, rng=g),
        TypeError,
        r"validation_split: X is a masked array",
    ),
]


@pytest.mark.parametrize("case_id", case_ids(VALIDATION_SPLIT))
def test_validation_split_refusals(case_id):
    run_table(VALIDATION_SPLIT, case_id)
