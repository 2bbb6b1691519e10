"""Tests that need a Debian tool: skip with the reason when it is missing, fail under CI."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI") == "true"


def tool_or_skip(name: str, package: str) -> str:
    """The path of a command-line tool; skip (fail under CI=true) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package})"
        if IN_CI:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return path
