"""Requests per second the emulator sustains: v2 detail GET and v2 search POST, AK/SK signed.

The emulator runs in its own process, as in the other benchmarks. Run in the client's process,
it shares one GIL with the client: every request is then a hand-off between two threads, and the
client (httpx and the signature, several times the server's CPU per request) sets the pace; that
is why the first version of this benchmark saw ~230 requests/s. Here the client gets its own
process, and the emulator's own CPU per request (from /proc) gives its capacity, i.e. how many
requests per second one core of it could serve.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import httpx

from airflow_provider_modelarts.auth.aksk import AkSkAuth
from benchmarks._common import EmulatorProcess, Report

NAME = "emulator"
# The trigger benchmark's floor asks for 1,000 job details per 2 s interval (500 requests/s); the
# emulator must serve several times that before it could be what limits any benchmark.
CAPACITY_TARGET = 2000.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(
    emu: EmulatorProcess, method: str, path: str, body: Any, seconds: float, concurrency: int
) -> dict[str, Any]:
    conn = emu.connection
    auth = AkSkAuth(conn["login"], conn["password"])
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counts = {"ok": 0, "errors": 0}
    assert emu.process is not None
    async with httpx.AsyncClient(base_url=emu.url, auth=auth, limits=limits, timeout=10) as client:
        stop_at = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < stop_at:
                response = await client.request(method, path, json=body)
                counts["ok" if response.status_code == 200 else "errors"] += 1

        server_cpu = _cpu_seconds(emu.process.pid)
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
        server_cpu = _cpu_seconds(emu.process.pid) - server_cpu
    done = counts["ok"] + counts["errors"]
    per_request = server_cpu / max(1, done)
    return {
        **counts,
        "seconds": round(elapsed, 3),
        "rps": round(counts["ok"] / elapsed, 1),
        "server_cpu_s": round(server_cpu, 3),
        "server_cpu_per_request_us": round(per_request * 1e6, 1),
        "server_capacity_rps": round(1 / per_request, 1) if per_request else float("inf"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario (bounded to 1-30)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=10_000, help="v2 jobs to seed")
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), 30.0)
    concurrency = min(max(args.concurrency, 1), 64)
    report = Report(NAME)
    with EmulatorProcess("--run-seconds", "none") as emu:
        started = time.perf_counter()
        ids = emu.seed("training", args.jobs, name="bench", emulator={"run_seconds": None})
        seed_seconds = time.perf_counter() - started
        p = emu.connection["extra"]["project_id"]
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
            results[name] = asyncio.run(_measure(emu, method, path, body, seconds, concurrency))
    report.add(f"seed {args.jobs} v2 jobs (control API)", round(seed_seconds * 1000), "ms")
    for name, row in results.items():
        report.add(f"{name}: sustained, one client process", row["rps"], "req/s")
        report.add(f"{name}: emulator CPU per request", row["server_cpu_per_request_us"], "us")
        report.exactly(f"{name}: errors", row["errors"], "requests", 0)
    detail = results["v2 detail GET"]["server_capacity_rps"]
    target = f">= {CAPACITY_TARGET:g}"
    name = "v2 detail GET: emulator capacity (1 / CPU per request)"
    report.add(name, detail, "req/s", target, lambda v: v >= CAPACITY_TARGET)
    search = results["v2 search POST (limit 50)"]["server_capacity_rps"]
    report.add("v2 search POST: emulator capacity (1 / CPU per request)", search, "req/s")
    report.details = {"jobs": args.jobs, "concurrency": concurrency, "seconds": seconds, "results": results}
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
