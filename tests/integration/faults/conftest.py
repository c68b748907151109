"""Fixtures of the bad-input and fault suite (helpers: faults_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model(tiny_models) -> Path:
    return tiny_models["torch"]
