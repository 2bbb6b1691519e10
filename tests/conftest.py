"""Shared test set-up: hypothesis profiles and the shipped agreement profiles."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from acsa.devtools.world import in_force_profile
from acsa.domain.agreement import AgreementProfile
from acsa.profiles import shipped_profile

# CI keeps example counts bounded so the whole suite stays well inside its budget.
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("deep", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def jp_ph() -> AgreementProfile:
    """The Japan–Philippines profile as in force (the shipped one is only signed)."""
    return in_force_profile("JPN-PHL-ACSA")


@pytest.fixture(scope="session")
def jp_us() -> AgreementProfile:
    return shipped_profile("JPN-USA-ACSA")


@pytest.fixture(scope="session")
def us_ph() -> AgreementProfile:
    return shipped_profile("USA-PHL-MLSA")


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """A test that runs `acsa serve` in-process configures logging for the whole process
    (JSON lines at INFO on standard error); put it back, so that the next test's commands
    print only what a command line prints."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: (logger.level, logger.handlers[:], logger.propagate)
             for name, logger in logging.root.manager.loggerDict.items()
             if isinstance(logger, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (was, kept, propagate) in named.items():
        logger = logging.getLogger(name)
        logger.setLevel(was)
        logger.handlers[:] = kept
        logger.propagate = propagate
