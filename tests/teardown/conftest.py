from __future__ import annotations

from tests.airflow_support import emu, modelarts_emulator_config

__all__ = ["emu", "modelarts_emulator_config"]
