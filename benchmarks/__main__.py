"""Run every benchmark, or the ones named by file stem: ``python -m benchmarks [NAME ...] [--option ...]``.

Each benchmark module has ``main(argv) -> int``, prints its figures with their targets and writes
``benchmarks/results/<name>.json``. Options after the names go to a single chosen benchmark. The
exit code is non-zero when any target is missed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).parent


def available() -> list[str]:
    return sorted(path.stem for path in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    names = available()
    split = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    chosen, options = args[:split] or names, args[split:]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; one of {', '.join(names)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        code = module.main(options if len(chosen) == 1 else [])
        if code:
            failed.append(name)
    if failed:
        print(f"\ntargets missed in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
