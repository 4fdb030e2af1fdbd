"""``python -m airflow_provider_modelarts.emulator``: the ``modelarts-emulator`` command."""

from __future__ import annotations

import sys

from airflow_provider_modelarts.emulator.cli import main

sys.exit(main())
