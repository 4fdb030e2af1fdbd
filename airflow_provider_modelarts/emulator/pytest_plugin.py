"""pytest fixtures of the emulator, registered through the ``pytest11`` entry point.

Importing this module imports nothing but pytest: the emulator (uvicorn, httpx, pydantic) loads only
when a test asks for one of its fixtures. Turn the plugin off with ``-p no:modelarts_emulator``.

``modelarts_emulator``: a fresh :class:`~.server.EmulatorServer` per test on 127.0.0.1 with short
durations (:meth:`~.config.EmulatorConfig.for_tests`: creating 0.2 s, pending 0.2 s, running
0.5 s, stopping 0.3 s, visible after delete 0.3 s) and a fixed fault seed; stopped after the test.
``modelarts_emulator_config``: the config it uses; override this fixture to change it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_modelarts.emulator.config import EmulatorConfig
    from airflow_provider_modelarts.emulator.server import EmulatorServer

FAULT_SEED = 1234


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    """The settings of ``modelarts_emulator``: short test durations; override to change them."""
    from airflow_provider_modelarts.emulator.config import EmulatorConfig

    return EmulatorConfig.for_tests()


@pytest.fixture
def modelarts_emulator(modelarts_emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """A fresh ModelArts emulator on a free port of 127.0.0.1 for one test, stopped afterwards.

    ``.url``, ``.seed()``, ``.advance()``, ``.faults``, ``.stats()``, and
    ``.airflow_connection()`` for a ``modelarts`` connection that points at it.
    """
    from airflow_provider_modelarts.emulator.server import EmulatorServer

    with EmulatorServer(modelarts_emulator_config, fault_seed=FAULT_SEED) as server:
        yield server
