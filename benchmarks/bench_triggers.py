"""A thousand waiting ``ModelArtsJobTrigger``s in one event loop, next to a bare httpx floor.

The emulator runs in its own process, with v2 jobs that keep running, so no wait ends while it is
measured. Triggers run the way the triggerer runs them: one task per trigger doing
``async for event in trigger.run()``. The floor is the least any poller can do: one shared
``httpx.AsyncClient`` (AK/SK signed) and one coroutine per job asking the detail endpoint once per
interval. Phases (each on freshly seeded jobs):

1. token auth: 1,000 triggers for a few rounds; the emulator must have issued exactly one token;
2. memory: tracemalloc from before the triggers are built until their first round is answered;
3. 1,000 triggers (AK/SK): start-up CPU (building them and their first round); then process CPU,
   API requests and polls over whole intervals with nothing else in the loop; then event-loop lag
   (a probe sleeping 1-5 ms records how late it wakes) over further intervals;
4. the floor, measured the same way (its waits start at random points of the first interval);
5. one waiting job, trigger vs floor: CPU per poll over a few seconds (median of alternating runs).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks._common import EmulatorProcess, Report, delta, prepare_airflow_home, use_connection

NAME = "triggers"
MAX_PHASE_SECONDS = 120.0  # no phase waits longer than this, whatever happens
# The floor keeps at most this many requests in flight (httpx's own pool size): a thousand requests
# queued on httpx's pool at once cost it far more than the requests themselves.
FLOOR_CONNECTIONS = 100
SINGLE_INTERVAL = 0.1  # seconds between the polls of the single waiting job
SINGLE_WARM_UP = 0.5  # seconds of a single wait before its polls are measured


@dataclass
class LagProbe:
    """Sleeps 1-5 ms over and over and records how late it wakes up."""

    samples: list[float] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)  # perf_counter start, end
    recording: bool = False
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        rng = random.Random(7)
        while True:
            wanted = rng.uniform(0.001, 0.005)
            started = time.perf_counter()
            await asyncio.sleep(wanted)
            if self.recording:
                ended = time.perf_counter()
                self.samples.append(ended - started - wanted)
                self.spans.append((started, ended))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def p99_ms(self) -> float:
        if len(self.samples) < 2:
            return float("nan")
        return statistics.quantiles(self.samples, n=100)[98] * 1000

    def max_ms(self) -> float:
        return max(self.samples, default=float("nan")) * 1000

    def max_ms_outside(self, pauses: list[tuple[float, float]]) -> float:
        """The largest overshoot among samples that no collector pause in ``pauses`` overlaps."""
        kept = [
            lag
            for lag, (start, end) in zip(self.samples, self.spans, strict=True)
            if not any(p_start < end and start < p_end for p_start, p_end in pauses)
        ]
        return max(kept, default=float("nan")) * 1000


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + MAX_PHASE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.005)


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _observations() -> int:
    from airflow_provider_modelarts.api.shared_watch import all_watches

    return sum(watch.stats.observations for watch in all_watches())


def _watch_stats() -> dict[str, int]:
    from airflow_provider_modelarts.api.shared_watch import all_watches

    totals: dict[str, int] = {}
    for watch in all_watches():
        for key, value in vars(watch.stats).items():
            totals[key] = totals.get(key, 0) + value
    return totals


class GcPauses:
    """Collector pauses while active (the event loop stands still during each one)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.full: list[tuple[float, float]] = []  # spans of oldest-generation collections
        self.young = 0  # youngest-generation collections (each one follows ~700 net allocations)
        self.seconds = 0.0  # how long this was active
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            ended = time.perf_counter()
            self.pauses.append(ended - self._started)
            self.young += info.get("generation") == 0
            if info.get("generation") == 2:
                self.full.append((self._started, ended))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        self.seconds = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)
        self.seconds = time.perf_counter() - self.seconds

    @property
    def max_ms(self) -> float:
        return max(self.pauses, default=0.0) * 1000

    @property
    def total_ms(self) -> float:
        return sum(self.pauses) * 1000


def _make_triggers(job_ids: list[str], conn_id: str, interval: float) -> list[Any]:
    from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger

    return [
        ModelArtsJobTrigger(
            job_family="training",
            job_id=job,
            goal="deleted" if i % 2 == 0 else "stopped",
            modelarts_conn_id=conn_id,
            poll_interval=interval,
        )
        for i, job in enumerate(job_ids)
    ]


async def _consume(trigger: Any, events: list[Any]) -> None:
    async for event in trigger.run():
        events.append(event)


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class Measured:
    jobs: int
    polls: int  # observations of single jobs in the measured window
    cpu_s: float
    wall_s: float
    requests: dict[str, int]
    lag_p99_ms: float
    lag_max_ms: float
    startup_cpu_s: float = 0.0
    rss_delta: int = 0
    events: int = 0
    watch: dict[str, int] = field(default_factory=dict)
    gc_max_ms: float = 0.0
    gc_total_ms: float = 0.0
    full_gcs: int = 0
    lag_max_outside_full_gc_ms: float = 0.0
    young_gcs_per_round: float = 0.0

    @property
    def cpu_per_job_round_us(self) -> float:
        """CPU per poll of one job, i.e. per waiting job per interval (each job polls once a round)."""
        return self.cpu_s / max(1, self.polls) * 1e6

    @property
    def requests_per_round(self) -> float:
        return sum(self.requests.values()) / max(1, self.polls) * self.jobs


async def _measure(
    emu: EmulatorProcess, count: Callable[[], int], interval: float, rounds: int, lag_rounds: int
) -> tuple[float, float, dict[str, int], int, LagProbe]:
    """CPU, wall time, requests and polls over ``rounds`` whole intervals, starting half-way between
    two ticks (one round of waits already behind), with nothing else running in the loop; then
    the event-loop lag over ``lag_rounds`` intervals with the probe running."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(interval + interval / 2 - loop.time() % interval)
    requests_before, polls_before = emu.requests(), count()  # blocking, but outside the window
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(rounds * interval)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    polls = count() - polls_before
    requests = delta(emu.requests(), requests_before)
    probe = LagProbe()
    probe.recording = True
    probe.start()
    await asyncio.sleep(lag_rounds * interval)
    await probe.stop()
    return cpu, wall, requests, polls, probe


async def triggers_phase(
    emu: EmulatorProcess, job_ids: list[str], conn_id: str, interval: float, rounds: int, lag_rounds: int
) -> Measured:
    gc.collect()
    rss = _rss_bytes()
    events: list[Any] = []
    cpu = time.process_time()
    triggers = _make_triggers(job_ids, conn_id, interval)
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(_consume(t, events)) for t in triggers]
    await _until(lambda: _observations() >= len(job_ids), "the first round")
    startup = time.process_time() - cpu
    rss_delta = _rss_bytes() - rss
    pauses = GcPauses()
    try:
        with pauses:
            spent, wall, requests, polls, probe = await _measure(
                emu, _observations, interval, rounds, lag_rounds
            )
        watch = _watch_stats()
    finally:
        await _cancel(tasks)
    return Measured(
        len(job_ids), polls, spent, wall, requests, probe.p99_ms(), probe.max_ms(), startup, rss_delta,
        len(events), watch, pauses.max_ms, pauses.total_ms, len(pauses.full),
        probe.max_ms_outside(pauses.full), pauses.young / (pauses.seconds / interval),
    )  # fmt: skip


async def memory_phase(job_ids: list[str], conn_id: str, interval: float) -> float:
    """Bytes traced per waiting trigger once every trigger has been answered once."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        events: list[Any] = []
        triggers = _make_triggers(job_ids, conn_id, interval)
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(_consume(t, events)) for t in triggers]
        await _until(lambda: _observations() >= len(job_ids), "the first round")
        await asyncio.sleep(0.1)  # every trigger is back in its sleep
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    await _cancel(tasks)
    return used / len(job_ids)


def _floor_client(emu: EmulatorProcess) -> tuple[httpx.AsyncClient, str]:
    from airflow_provider_modelarts.auth.aksk import AkSkAuth

    conn = emu.connection
    auth = AkSkAuth(conn["login"], conn["password"])
    limits = httpx.Limits(max_connections=FLOOR_CONNECTIONS, max_keepalive_connections=FLOOR_CONNECTIONS)
    timeout = httpx.Timeout(30, pool=None)
    client = httpx.AsyncClient(base_url=emu.url, auth=auth, timeout=timeout, limits=limits)
    return client, conn["extra"]["project_id"]


async def _floor_waiter(
    client: httpx.AsyncClient,
    project: str,
    job: str,
    interval: float,
    polls: list[int],
    limit: asyncio.Semaphore,
    offset: float = 0.0,
) -> None:
    await asyncio.sleep(offset)
    while True:
        async with limit:
            response = await client.get(f"/v2/{project}/training-jobs/{job}")
        if response.status_code == 404:
            return
        response.raise_for_status()
        if response.json()["status"]["phase"] in ("Completed", "Failed", "Terminated", "Abnormal"):
            return
        polls[0] += 1
        await asyncio.sleep(interval)


async def floor_phase(
    emu: EmulatorProcess, job_ids: list[str], interval: float, rounds: int, lag_rounds: int
) -> Measured:
    gc.collect()
    rss = _rss_bytes()
    polls = [0]
    client, project = _floor_client(emu)
    cpu = time.process_time()
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(FLOOR_CONNECTIONS)
    rng = random.Random(11)  # independent waits start at independent times: spread them out
    tasks = [
        loop.create_task(_floor_waiter(client, project, j, interval, polls, limit, rng.uniform(0, interval)))
        for j in job_ids
    ]
    await _until(lambda: polls[0] >= len(job_ids), "the first floor round")
    startup = time.process_time() - cpu
    rss_delta = _rss_bytes() - rss
    pauses = GcPauses()
    try:
        with pauses:
            spent, wall, requests, done, probe = await _measure(
                emu, lambda: polls[0], interval, rounds, lag_rounds
            )
    finally:
        await _cancel(tasks)
        await client.aclose()
    return Measured(
        len(job_ids), done, spent, wall, requests, probe.p99_ms(), probe.max_ms(), startup, rss_delta,
        0, {}, pauses.max_ms, pauses.total_ms, len(pauses.full), probe.max_ms_outside(pauses.full),
    )  # fmt: skip


async def _per_poll(emu: EmulatorProcess, seconds: float) -> float:
    """CPU per detail request over a window of ``seconds`` (nothing else runs in the loop meanwhile)."""
    await asyncio.sleep(SINGLE_WARM_UP)
    before = emu.requests().get("v2.detail", 0)
    cpu = time.process_time()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu
    return cpu / max(1, emu.requests().get("v2.detail", 0) - before)


async def single_trigger(
    emu: EmulatorProcess, job: str, conn_id: str, interval: float, seconds: float
) -> float:
    events: list[Any] = []
    (trigger,) = _make_triggers([job], conn_id, interval)
    task = asyncio.get_running_loop().create_task(_consume(trigger, events))
    try:
        return await _per_poll(emu, seconds)
    finally:
        await _cancel([task])


async def single_floor(emu: EmulatorProcess, job: str, interval: float, seconds: float) -> float:
    client, project = _floor_client(emu)
    counter = [0]
    waiter = _floor_waiter(client, project, job, interval, counter, asyncio.Semaphore(1))
    task = asyncio.get_running_loop().create_task(waiter)
    try:
        return await _per_poll(emu, seconds)
    finally:
        await _cancel([task])
        await client.aclose()


def _fresh_jobs(emu: EmulatorProcess, count: int) -> list[str]:
    emu.reset()
    return emu.seed("training", count, name="bench-wait", age_seconds=3600, emulator={"run_seconds": None})


def _run(coro: Awaitable[Any]) -> Any:
    async def wrapper() -> Any:
        return await coro

    return asyncio.run(wrapper())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_triggers", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=2.0, help="poll interval, seconds (0.5-5)")
    parser.add_argument("--rounds", type=int, default=5, help="intervals of the CPU window (2-10)")
    parser.add_argument("--lag-rounds", type=int, default=3, help="intervals of the lag window (1-10)")
    parser.add_argument(
        "--floor-rounds", type=int, default=3, help="intervals of the floor's CPU window (2-10)"
    )
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() once Airflow is loaded (the triggerer does not; writes triggers_gc_frozen.json)",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the 1,000-trigger phase into FILE")
    parser.add_argument("--single-seconds", type=float, default=3.0, help="per single-job run (1-10)")
    args = parser.parse_args(argv)
    jobs = min(max(args.jobs, 1), 2000)
    interval = min(max(args.interval, 0.5), 5.0)
    rounds = min(max(args.rounds, 2), 10)
    floor_rounds = min(max(args.floor_rounds, 2), 10)
    lag_rounds = min(max(args.lag_rounds, 1), 10)
    single_seconds = min(max(args.single_seconds, 1.0), 10.0)
    prepare_airflow_home()
    report = Report(NAME + ("_gc_frozen" if args.freeze_gc else ""))
    with EmulatorProcess("--run-seconds", "none") as emu:
        # 1. token auth: one token for all waits (this phase also warms imports up).
        use_connection("bench_token", emu.airflow_connection("token"))
        job_ids = emu.seed(
            "training", jobs, name="bench-wait", age_seconds=3600, emulator={"run_seconds": None}
        )
        token_run = _run(triggers_phase(emu, job_ids, "bench_token", interval, 1, 1))
        tokens = emu.tokens_issued()
        if args.freeze_gc:  # everything loaded so far stays out of every later collection
            gc.collect()
            gc.freeze()

        use_connection("bench_aksk", emu.airflow_connection("aksk"))
        use_connection("bench_mem", emu.airflow_connection("aksk"))
        use_connection("bench_single", emu.airflow_connection("aksk"))

        # 2. memory per waiting trigger
        job_ids = _fresh_jobs(emu, jobs)
        memory = _run(memory_phase(job_ids, "bench_mem", interval))

        # 3. the waiting triggers
        job_ids = _fresh_jobs(emu, jobs)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler is not None:
            profiler.enable()
        provider = _run(triggers_phase(emu, job_ids, "bench_aksk", interval, rounds, lag_rounds))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)

        # 4. the floor
        job_ids = _fresh_jobs(emu, jobs)
        floor = _run(floor_phase(emu, job_ids, interval, floor_rounds, lag_rounds))

        # 5. one job: trigger vs floor, alternating, medians
        job = _fresh_jobs(emu, 1)[0]
        ours, bare = [], []
        for _ in range(3):
            ours.append(_run(single_trigger(emu, job, "bench_single", SINGLE_INTERVAL, single_seconds)))
            bare.append(_run(single_floor(emu, job, SINGLE_INTERVAL, single_seconds)))
        ours_poll, bare_poll = statistics.median(ours), statistics.median(bare)

    per_40 = provider.requests_per_round / (provider.jobs / 40)
    report.at_most("memory per waiting trigger (tracemalloc)", round(memory / 1024, 1), "KB", 50)
    report.add("RSS growth per waiting trigger", round(provider.rss_delta / provider.jobs / 1024, 1), "KB")
    startup_ms = round(provider.startup_cpu_s / jobs * 1000, 3)
    report.at_most("start-up CPU per trigger (incl. first round)", startup_ms, "ms", 2)
    report.at_most("CPU per waiting job per interval", round(provider.cpu_per_job_round_us, 1), "us", 100)
    report.add("API requests per interval", round(provider.requests_per_round, 1), "requests")
    report.at_most("API requests per 40 waiting jobs per interval", round(per_40, 3), "requests", 1)
    report.below("event-loop lag p99", round(provider.lag_p99_ms, 2), "ms", 5)
    report.below("event-loop lag max", round(provider.lag_max_ms, 2), "ms", 50)
    report.add(
        "event-loop lag max, samples without a full GC", round(provider.lag_max_outside_full_gc_ms, 2), "ms"
    )
    report.add("full (oldest-generation) GC runs while measured", provider.full_gcs, "runs")
    report.add(
        "young (youngest-generation) GC runs per interval", round(provider.young_gcs_per_round, 2), "runs"
    )
    report.add("GC pause max while measured", round(provider.gc_max_ms, 1), "ms")
    report.exactly("IAM token requests (token auth)", tokens, "requests", 1)
    report.add("floor: CPU per waiting job per interval", round(floor.cpu_per_job_round_us, 1), "us")
    report.add("floor: API requests per interval", round(floor.requests_per_round, 1), "requests")
    report.add("floor: RSS growth per waiting coroutine", round(floor.rss_delta / floor.jobs / 1024, 1), "KB")
    report.add("floor: event-loop lag p99", round(floor.lag_p99_ms, 2), "ms")
    report.add("floor: event-loop lag max", round(floor.lag_max_ms, 2), "ms")
    report.add("floor: GC pause max while measured", round(floor.gc_max_ms, 1), "ms")
    report.add("single job: trigger CPU per poll", round(ours_poll * 1e6, 1), "us")
    report.add("single job: floor CPU per poll", round(bare_poll * 1e6, 1), "us")
    report.at_most("single job: trigger / floor", round(ours_poll / bare_poll, 2), "x", 1.3)
    report.details = {
        "jobs": jobs,
        "interval_s": interval,
        "cpu_window_intervals": rounds,
        "floor_cpu_window_intervals": floor_rounds,
        "lag_window_intervals": lag_rounds,
        "provider": {**vars(provider), "requests": provider.requests},
        "floor": vars(floor),
        "token_run_requests": token_run.requests,
        "single_job_cpu_per_poll_s": {"trigger": ours, "floor": bare},
    }
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
