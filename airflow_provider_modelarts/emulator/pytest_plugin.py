"""pytest fixtures of the emulator (registered through the ``pytest11`` entry point).

``modelarts_emulator``: a fresh :class:`EmulatorServer` per test with short durations
(:meth:`EmulatorConfig.for_tests`: creating 0.2 s, pending 0.2 s, running 0.5 s, stopping 0.3 s,
visible after delete 0.3 s) and a fixed fault seed; stopped after the test.
``modelarts_emulator_config``: the config it uses; override this fixture to change it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.server import EmulatorServer

FAULT_SEED = 1234


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    return EmulatorConfig.for_tests()


@pytest.fixture
def modelarts_emulator(modelarts_emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(modelarts_emulator_config, fault_seed=FAULT_SEED) as server:
        yield server
