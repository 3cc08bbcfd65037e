"""Shared fixtures for the library tests.

Every random number comes from a seeded ``numpy.random.default_rng``. Modules that need
another seed define their own ``rng`` fixture, which takes precedence over this one.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded Generator for each test."""
    return np.random.default_rng(20231128)
