"""pytest fixtures of the emulator; a test suite opts in to them.

Nothing registers this plugin on its own: add
``pytest_plugins = ["airflow_provider_modelarts.emulator.pytest_plugin"]`` to the top-level
``conftest.py`` (or run ``pytest -p airflow_provider_modelarts.emulator.pytest_plugin``). The
server needs the ``emulator`` extra (``pip install "airflow-provider-modelarts[emulator]"``).

Importing this module imports nothing but pytest: the emulator (uvicorn) loads only when a test
asks for one of its fixtures.

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
