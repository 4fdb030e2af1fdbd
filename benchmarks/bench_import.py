"""What importing the provider's operators and sensors adds on top of ``import airflow.sdk``.

This is the DAG-parse cost of using the provider, so its floor is the import every DAG file pays
anyway. Each run is a fresh interpreter that times ``import airflow.sdk`` first (the floor) and
then, in the same process, ``import airflow_provider_modelarts.operators.modelarts`` and
``...sensors.modelarts`` on top of it. The target is on the ratio of the medians over several
runs, provider / airflow.sdk, on CPU time (``time.process_time``: on a shared machine, the time
the process spends descheduled would land on one of the two imports at random); the wall-clock
figures are printed alongside. Two variants: the package as it is used here (this checkout,
bytecode only if the environment writes it), and an installed-like copy with compiled bytecode.
One extra run with ``-X importtime`` lists the heaviest modules the provider pulls in.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import Floor, Report

NAME = "import"
PACKAGE = "airflow_provider_modelarts"
MODULES = (f"{PACKAGE}.operators.modelarts", f"{PACKAGE}.sensors.modelarts")
ROOT = Path(__file__).resolve().parent.parent
# At most this share of ``import airflow.sdk``, measured in the same process.
RATIO_LIMIT = 0.05
PROBE = f"""
import json, sys, time
if any(name.startswith(("airflow", "{PACKAGE}")) for name in sys.modules):
    raise SystemExit("airflow was imported before the probe started")
c0, w0 = time.process_time(), time.perf_counter()
import airflow.sdk
c1, w1 = time.process_time(), time.perf_counter()
{"; ".join(f"import {module}" for module in MODULES)}
c2, w2 = time.process_time(), time.perf_counter()
print(json.dumps({{"sdk_cpu": c1 - c0, "sdk_wall": w1 - w0, "cpu": c2 - c1, "wall": w2 - w1}}))
"""


def _env(airflow_home: str, pythonpath: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AIRFLOW_HOME=airflow_home, AIRFLOW__CORE__LOAD_EXAMPLES="False", PYTHONPATH=pythonpath)
    return env


def _probe(env: dict[str, str]) -> dict[str, float]:
    """One fresh interpreter: seconds of ``import airflow.sdk`` and of the provider's modules on top."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    sample: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return sample


def _heaviest(env: dict[str, str], top: int = 12) -> list[dict[str, Any]]:
    """The provider's own imports (after airflow.sdk) by cumulative time, from ``-X importtime``."""
    imports = "\n".join(f"import {module}" for module in MODULES)
    code = f"import airflow.sdk\nimport sys\nprint('--mark--', file=sys.stderr)\n{imports}"
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
        samples: dict[str, list[dict[str, float]]] = {label: [] for label in variants}
        envs = {label: _env(home, path) for label, path in variants.items()}
        for env in envs.values():
            _probe(env)  # a warm-up run: the OS file cache, and bytecode where it is written
        for _ in range(runs):  # the variants alternate, so a slow spell of the machine hits both
            for label, env in envs.items():
                samples[label].append(_probe(env))
        heaviest = _heaviest(envs["installed, with bytecode"])
    summary: dict[str, dict[str, float]] = {}
    for label, rows in samples.items():
        median = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        per_run = statistics.median(row["cpu"] / row["sdk_cpu"] for row in rows)
        summary[label] = {**median, "median_of_run_cpu_ratios": per_run}
        floor = Floor(f"import airflow.sdk, CPU ({label}), median", round(median["sdk_cpu"] * 1000, 1), "ms")
        name = f"operators + sensors import on top, CPU ({label}), median"
        report.ratio(name, round(median["cpu"] * 1000, 1), floor, RATIO_LIMIT)
        wall = Floor(f"import airflow.sdk, wall ({label}), median", round(median["sdk_wall"] * 1000, 1), "ms")
        name = f"operators + sensors import on top, wall ({label}), median"
        report.add(name, round(median["wall"] * 1000, 1), "ms", floor=wall)
    report.details = {
        "modules": list(MODULES),
        "runs": runs,
        "ratio_limit": RATIO_LIMIT,
        "samples_ms": {
            label: [{key: round(value * 1000, 2) for key, value in row.items()} for row in rows]
            for label, rows in samples.items()
        },
        "medians_ms": {
            label: {
                key: round(value * (1 if key.startswith("median_of") else 1000), 4)
                for key, value in row.items()
            }
            for label, row in summary.items()
        },
        "heaviest_provider_imports": heaviest,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
