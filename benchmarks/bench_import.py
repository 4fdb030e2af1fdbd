"""What importing the provider's operators adds on top of ``import airflow.sdk`` (DAG-parse cost).

Each run is a fresh interpreter that imports ``airflow.sdk`` first and then times
``import airflow_provider_modelarts.operators.modelarts`` on its own (wall clock); the figure is
the median over several runs. Two variants: the package as it is used here (this checkout, bytecode
only if the environment writes it), and an installed-like copy with compiled bytecode. One extra
run with ``-X importtime`` lists the heaviest modules the provider pulls in.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import Report

NAME = "import"
PACKAGE = "airflow_provider_modelarts"
MODULE = f"{PACKAGE}.operators.modelarts"
ROOT = Path(__file__).resolve().parent.parent
PROBE = f"""
import time
import airflow.sdk
started = time.perf_counter()
import {MODULE}
print(time.perf_counter() - started)
"""


def _env(airflow_home: str, pythonpath: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AIRFLOW_HOME=airflow_home, AIRFLOW__CORE__LOAD_EXAMPLES="False", PYTHONPATH=pythonpath)
    return env


def _added_seconds(env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def _heaviest(env: dict[str, str], top: int = 12) -> list[dict[str, Any]]:
    """The provider's own imports (after airflow.sdk) by cumulative time, from ``-X importtime``."""
    code = f"import airflow.sdk\nimport sys\nprint('--mark--', file=sys.stderr)\nimport {MODULE}"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stderr.split("--mark--", 1)[-1].splitlines()
    rows: list[dict[str, Any]] = []
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if cumulative.isdigit():
            rows.append({"module": name.strip(), "cumulative_ms": int(cumulative) / 1000})
    return sorted(rows, key=lambda row: -row["cumulative_ms"])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_import", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per variant (3-20)")
    args = parser.parse_args(argv)
    runs = min(max(args.runs, 3), 20)
    report = Report(NAME)
    with tempfile.TemporaryDirectory(prefix="modelarts-bench-import-") as scratch:
        home = os.path.join(scratch, "airflow-home")
        os.mkdir(home)
        installed = os.path.join(scratch, "site")
        shutil.copytree(
            ROOT / PACKAGE, os.path.join(installed, PACKAGE), ignore=shutil.ignore_patterns("__pycache__")
        )
        compileall.compile_dir(os.path.join(installed, PACKAGE), quiet=1)
        variants = {"this checkout": str(ROOT), "installed, with bytecode": installed}
        medians: dict[str, float] = {}
        samples: dict[str, list[float]] = {}
        for label, path in variants.items():
            env = _env(home, path)
            _added_seconds(env)  # a warm-up run: the OS file cache, and bytecode where it is written
            samples[label] = [_added_seconds(env) * 1000 for _ in range(runs)]
            medians[label] = statistics.median(samples[label])
        heaviest = _heaviest(_env(home, installed))
    for label, median in medians.items():
        report.at_most(f"added by the operators import ({label}), median", round(median, 1), "ms", 100)
    report.details = {
        "module": MODULE,
        "runs": runs,
        "samples_ms": {label: [round(s, 1) for s in values] for label, values in samples.items()},
        "heaviest_provider_imports": heaviest,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
