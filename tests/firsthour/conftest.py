from tests.airflow_support import emu

__all__ = ["emu"]
