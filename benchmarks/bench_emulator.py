"""Sustained requests/second of the emulator: v2 detail GET and v2 search POST, signed, concurrency 32."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.emulator import EmulatorServer

RESULTS = Path(__file__).parent / "results" / "emulator.json"


async def _measure(
    server: EmulatorServer, method: str, path: str, body: Any, seconds: float, concurrency: int
) -> dict[str, Any]:
    c = server.credentials
    auth = AkSkAuth(c.access_key, c.secret_key)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counts = {"ok": 0, "errors": 0}
    async with httpx.AsyncClient(base_url=server.url, auth=auth, limits=limits, timeout=10) as client:
        stop_at = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < stop_at:
                response = await client.request(method, path, json=body)
                counts["ok" if response.status_code == 200 else "errors"] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {**counts, "seconds": round(elapsed, 3), "rps": round(counts["ok"] / elapsed, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_emulator", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario (bounded to 1-30)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=10_000, help="v2 jobs to seed")
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), 30.0)
    with EmulatorServer() as server:
        started = time.perf_counter()
        ids = server.seed("training", args.jobs, name="bench", emulator={"run_seconds": None})
        seed_seconds = time.perf_counter() - started
        p = server.credentials.project_id
        scenarios = {
            "v2 detail GET": ("GET", f"/v2/{p}/training-jobs/{ids[len(ids) // 2]}", None),
            "v2 search POST (limit 50)": (
                "POST",
                f"/v2/{p}/training-job-searches",
                {"limit": 50, "offset": 3},
            ),
            "v2 search POST (name filter)": (
                "POST",
                f"/v2/{p}/training-job-searches",
                {"limit": 10, "filters": [{"key": "name", "operator": "like", "value": ["bench-0001"]}]},
            ),
        }
        results: dict[str, Any] = {}
        for name, (method, path, body) in scenarios.items():
            results[name] = asyncio.run(_measure(server, method, path, body, seconds, args.concurrency))
    print(f"seeded {args.jobs} v2 jobs in {seed_seconds * 1000:.0f} ms; concurrency {args.concurrency}")
    print(f"{'scenario':<32} {'req/s':>10} {'ok':>8} {'errors':>7}")
    for name, row in results.items():
        print(f"{name:<32} {row['rps']:>10.1f} {row['ok']:>8} {row['errors']:>7}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"jobs": args.jobs, "seed_ms": round(seed_seconds * 1000, 1), "concurrency": args.concurrency,
             "results": results},
            indent=2,
        )
        + "\n"
    )  # fmt: skip
    return 0 if all(row["errors"] == 0 for row in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
