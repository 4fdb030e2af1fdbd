"""A thousand waiting ``ModelArtsJobTrigger``s in one event loop, next to a bare httpx floor.

The emulator runs in its own process, with v2 jobs that keep running, so no wait ends while it is
measured. Triggers are used only through their public surface, the way the triggerer runs them:
built from their kwargs, one task per trigger doing ``async for event in trigger.run()``. What they
did is read from the emulator (requests per route), never from the provider's internals.

The floor of every timing target is the CPU of one bare signed httpx poll of the detail endpoint:
one ``httpx.AsyncClient`` (AK/SK signed by the provider's signer) asking the detail endpoint of one
waiting job every 0.1 s, CPU of this process per request, in runs spread over this same run (before
and after the 1,000 triggers' window, and alternating with phase 6); the floor is their median.
The pace matters: polls made back to back cost about half as much each (warm caches), so the floor
polls like a waiting job, from an idle loop; at 1,000 jobs and 2 s it comes close to what phase 5's
1,000 bare pollers spend per poll. Timing targets are ratios to it; counts (requests, tokens,
bytes) are checked as they are. Phases (each on freshly seeded jobs):

1. token auth: 1,000 triggers for two rounds; the emulator must have issued exactly one token;
2. memory: tracemalloc from before the triggers are built until their first round is answered;
3. start-up: CPU from building 1,000 triggers until their first round is answered (a long poll
   interval, so no second round starts meanwhile);
4. 1,000 triggers (AK/SK): process CPU, API requests over whole intervals with nothing else in the
   loop, then event-loop lag (a probe sleeping 1-5 ms records how late it wakes) over further
   intervals;
5. 1,000 bare pollers, measured the same way (reported, for comparison: their waits start at
   random points of the first interval);
6. one waiting job, trigger vs floor, alternating.
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

from benchmarks._common import EmulatorProcess, Floor, Report, delta, prepare_airflow_home, use_connection

NAME = "triggers"
MAX_PHASE_SECONDS = 120.0  # no phase waits longer than this, whatever happens
# The floor keeps at most this many requests in flight (httpx's own pool size): a thousand requests
# queued on httpx's pool at once cost it far more than the requests themselves.
FLOOR_CONNECTIONS = 100
SINGLE_INTERVAL = 0.1  # seconds between the polls of the single waiting job (and of the floor)
SINGLE_WARM_UP = 0.5  # seconds of a single wait before its polls are measured
STARTUP_INTERVAL = 30.0  # poll interval of the start-up and memory phases: one round only
QUIET_SAMPLE = 0.1  # a first round is over when the emulator's request count has not moved...
QUIET_SAMPLES = 5  # ...over this many samples in a row (0.5 s)

# Targets, as ratios to the floor (the CPU of one bare signed httpx poll, in the same run).
CPU_PER_JOB_LIMIT = 0.04  # trigger CPU per waiting job per interval / floor CPU per poll
SINGLE_JOB_LIMIT = 1.3  # one waiting job: trigger CPU per poll / floor CPU per poll
# These three were absolute (2 ms, 5 ms, 50 ms) on a day the floor was about 1.2 ms; the same
# limits in floors, rounded down.
STARTUP_LIMIT = 1.5  # start-up CPU per trigger (building it and its first round) / floor
LAG_P99_LIMIT = 4.0  # event-loop lag p99 / floor
LAG_MAX_LIMIT = 40.0  # event-loop lag max / floor


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
        deadline = time.monotonic() + MAX_PHASE_SECONDS
        while time.monotonic() < deadline:
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


async def _first_round(emu: EmulatorProcess, before: int, what: str) -> tuple[int, float]:
    """Wait until the emulator has answered requests since ``before`` (its total count then) and
    its count has not moved over ``QUIET_SAMPLES`` samples: the first round is over. Returns the
    requests of that round and the CPU this process spent asking the emulator (blocking calls),
    which callers measuring CPU subtract."""
    deadline = time.monotonic() + MAX_PHASE_SECONDS
    asking = 0.0
    last, quiet = -1, 0
    while quiet < QUIET_SAMPLES:
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(QUIET_SAMPLE)
        cpu = time.process_time()
        now = sum(emu.requests().values())
        asking += time.process_time() - cpu
        quiet = quiet + 1 if now == last and now > before else 0
        last = now
    return last - before, asking


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


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
    polls: int  # job-intervals in the measured window (triggers: jobs x intervals; floor: its polls)
    cpu_s: float
    wall_s: float
    requests: dict[str, int]
    lag_p99_ms: float
    lag_max_ms: float
    rss_delta: int = 0
    events: int = 0
    gc_max_ms: float = 0.0
    gc_total_ms: float = 0.0
    full_gcs: int = 0
    lag_max_outside_full_gc_ms: float = 0.0
    young_gcs_per_round: float = 0.0

    @property
    def cpu_per_job_round_us(self) -> float:
        """CPU per waiting job per interval."""
        return self.cpu_s / max(1, self.polls) * 1e6

    @property
    def requests_per_round(self) -> float:
        return sum(self.requests.values()) / max(1, self.polls) * self.jobs


async def _measure(
    emu: EmulatorProcess, interval: float, rounds: int, lag_rounds: int
) -> tuple[float, float, dict[str, int], LagProbe]:
    """CPU, wall time and requests over ``rounds`` whole intervals, starting half-way between two
    ticks (one round of waits already behind), with nothing else running in the loop; then the
    event-loop lag over ``lag_rounds`` intervals with the probe running."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(interval + interval / 2 - loop.time() % interval)
    requests_before = emu.requests()  # blocking, but outside the window
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(rounds * interval)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    requests = delta(emu.requests(), requests_before)
    probe = LagProbe()
    probe.recording = True
    probe.start()
    await asyncio.sleep(lag_rounds * interval)
    await probe.stop()
    return cpu, wall, requests, probe


def _start(job_ids: list[str], conn_id: str, interval: float, events: list[Any]) -> list[asyncio.Task[None]]:
    triggers = _make_triggers(job_ids, conn_id, interval)
    loop = asyncio.get_running_loop()
    return [loop.create_task(_consume(t, events)) for t in triggers]


async def token_phase(emu: EmulatorProcess, job_ids: list[str], conn_id: str, interval: float) -> int:
    """Waits on token auth for their first round and one more interval; the requests they made."""
    events: list[Any] = []
    before = sum(emu.requests().values())
    tasks = _start(job_ids, conn_id, interval, events)
    try:
        await _first_round(emu, before, "the first round (token auth)")
        await asyncio.sleep(interval)
    finally:
        await _cancel(tasks)
    if events:
        raise RuntimeError(f"a wait ended while its job was running: {events[0]}")
    return sum(emu.requests().values()) - before


async def startup_phase(emu: EmulatorProcess, job_ids: list[str], conn_id: str) -> tuple[float, int]:
    """CPU (seconds) from building the triggers until their first round is answered, and the
    requests of that round."""
    gc.collect()
    events: list[Any] = []
    before = sum(emu.requests().values())
    cpu = time.process_time()
    tasks = _start(job_ids, conn_id, STARTUP_INTERVAL, events)
    try:
        requests, asking = await _first_round(emu, before, "the first round")
        spent = time.process_time() - cpu - asking
    finally:
        await _cancel(tasks)
    if events:
        raise RuntimeError(f"a wait ended while its job was running: {events[0]}")
    return spent, requests


async def triggers_phase(
    emu: EmulatorProcess, job_ids: list[str], conn_id: str, interval: float, rounds: int, lag_rounds: int
) -> Measured:
    gc.collect()
    rss = _rss_bytes()
    events: list[Any] = []
    tasks = _start(job_ids, conn_id, interval, events)
    pauses = GcPauses()
    try:
        await _first_round(emu, sum(emu.requests().values()), "the first round")
        rss_delta = _rss_bytes() - rss
        with pauses:
            spent, wall, requests, probe = await _measure(emu, interval, rounds, lag_rounds)
    finally:
        await _cancel(tasks)
    if events:
        raise RuntimeError(f"a wait ended while its job was running: {events[0]}")
    if not requests:
        raise RuntimeError("the triggers made no request in the measured window")
    return Measured(
        len(job_ids), len(job_ids) * rounds, spent, wall, requests, probe.p99_ms(), probe.max_ms(),
        rss_delta, len(events), pauses.max_ms, pauses.total_ms, len(pauses.full),
        probe.max_ms_outside(pauses.full), pauses.young / (pauses.seconds / interval),
    )  # fmt: skip


async def memory_phase(emu: EmulatorProcess, job_ids: list[str], conn_id: str) -> float:
    """Bytes traced per waiting trigger once every trigger has been answered once."""
    gc.collect()
    events: list[Any] = []
    before_requests = sum(emu.requests().values())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = _start(job_ids, conn_id, STARTUP_INTERVAL, events)
        await _first_round(emu, before_requests, "the first round")  # every trigger back in its sleep
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
    """One bare wait: a signed GET of the job's detail, once per interval, until it ends."""
    await asyncio.sleep(offset)
    deadline = time.monotonic() + MAX_PHASE_SECONDS
    while time.monotonic() < deadline:
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
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(FLOOR_CONNECTIONS)
    rng = random.Random(11)  # independent waits start at independent times: spread them out
    tasks = [
        loop.create_task(_floor_waiter(client, project, j, interval, polls, limit, rng.uniform(0, interval)))
        for j in job_ids
    ]
    pauses = GcPauses()
    try:
        await _until(lambda: polls[0] >= len(job_ids), "the first floor round")
        rss_delta = _rss_bytes() - rss
        with pauses:
            spent, wall, requests, probe = await _measure(emu, interval, rounds, lag_rounds)
        done = sum(requests.values())  # one detail request per poll
    finally:
        await _cancel(tasks)
        await client.aclose()
    return Measured(
        len(job_ids), done, spent, wall, requests, probe.p99_ms(), probe.max_ms(), rss_delta,
        0, pauses.max_ms, pauses.total_ms, len(pauses.full), probe.max_ms_outside(pauses.full),
    )  # fmt: skip


async def _per_poll(emu: EmulatorProcess, seconds: float) -> float:
    """CPU per API request over a window of ``seconds`` (nothing else runs in the loop meanwhile)."""
    await asyncio.sleep(SINGLE_WARM_UP)
    before = sum(emu.requests().values())
    cpu = time.process_time()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu
    return cpu / max(1, sum(emu.requests().values()) - before)


async def single_trigger(
    emu: EmulatorProcess, job: str, conn_id: str, interval: float, seconds: float
) -> float:
    events: list[Any] = []
    tasks = _start([job], conn_id, interval, events)
    try:
        return await _per_poll(emu, seconds)
    finally:
        await _cancel(tasks)


async def bare_poll(emu: EmulatorProcess, job: str, seconds: float) -> float:
    """The floor: CPU of one bare signed httpx poll of the detail endpoint (one waiting job, one
    ``httpx.AsyncClient``, a GET every ``SINGLE_INTERVAL``)."""
    client, project = _floor_client(emu)
    counter = [0]
    waiter = _floor_waiter(client, project, job, SINGLE_INTERVAL, counter, asyncio.Semaphore(1))
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
    floors: list[float] = []  # CPU seconds per bare poll, every floor run of this run
    with EmulatorProcess("--run-seconds", "none") as emu:
        # 1. token auth: one token for all waits (this phase also warms imports up).
        use_connection("bench_token", emu.airflow_connection("token"))
        job_ids = _fresh_jobs(emu, jobs)
        token_requests = _run(token_phase(emu, job_ids, "bench_token", interval))
        tokens = emu.tokens_issued()
        if args.freeze_gc:  # everything loaded so far stays out of every later collection
            gc.collect()
            gc.freeze()

        use_connection("bench_aksk", emu.airflow_connection("aksk"))
        use_connection("bench_mem", emu.airflow_connection("aksk"))
        use_connection("bench_startup", emu.airflow_connection("aksk"))
        use_connection("bench_single", emu.airflow_connection("aksk"))

        # 2. memory per waiting trigger
        job_ids = _fresh_jobs(emu, jobs)
        memory = _run(memory_phase(emu, job_ids, "bench_mem"))

        # 3. start-up
        job_ids = _fresh_jobs(emu, jobs)
        startup_cpu, startup_requests = _run(startup_phase(emu, job_ids, "bench_startup"))

        # 4. the waiting triggers, with a floor run right before and right after
        job = _fresh_jobs(emu, 1)[0]
        floors.append(_run(bare_poll(emu, job, single_seconds)))
        job_ids = _fresh_jobs(emu, jobs)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler is not None:
            profiler.enable()
        provider = _run(triggers_phase(emu, job_ids, "bench_aksk", interval, rounds, lag_rounds))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        job = _fresh_jobs(emu, 1)[0]
        floors.append(_run(bare_poll(emu, job, single_seconds)))

        # 5. 1,000 bare pollers
        job_ids = _fresh_jobs(emu, jobs)
        floor = _run(floor_phase(emu, job_ids, interval, floor_rounds, lag_rounds))

        # 6. one job: trigger vs floor, alternating
        job = _fresh_jobs(emu, 1)[0]
        ours: list[float] = []
        for _ in range(3):
            ours.append(_run(single_trigger(emu, job, "bench_single", SINGLE_INTERVAL, single_seconds)))
            floors.append(_run(bare_poll(emu, job, single_seconds)))

    bare_s = statistics.median(floors)
    poll_us = Floor(
        "one bare signed httpx poll of the detail endpoint, CPU (median)", round(bare_s * 1e6, 1), "us"
    )
    poll_ms = Floor(poll_us.name, round(bare_s * 1e3, 3), "ms")
    per_40 = provider.requests_per_round / (provider.jobs / 40)
    report.at_most("memory per waiting trigger (tracemalloc)", round(memory / 1024, 1), "KB", 50)
    report.add("RSS growth per waiting trigger", round(provider.rss_delta / provider.jobs / 1024, 1), "KB")
    startup_ms = round(startup_cpu / jobs * 1000, 3)
    report.ratio("start-up CPU per trigger (incl. first round)", startup_ms, poll_ms, STARTUP_LIMIT)
    cpu_us = round(provider.cpu_per_job_round_us, 1)
    report.ratio("CPU per waiting job per interval", cpu_us, poll_us, CPU_PER_JOB_LIMIT)
    report.add("API requests per interval", round(provider.requests_per_round, 1), "requests")
    report.at_most("API requests per 40 waiting jobs per interval", round(per_40, 3), "requests", 1)
    report.ratio("event-loop lag p99", round(provider.lag_p99_ms, 2), poll_ms, LAG_P99_LIMIT)
    report.ratio("event-loop lag max", round(provider.lag_max_ms, 2), poll_ms, LAG_MAX_LIMIT)
    report.add(
        "event-loop lag max, samples without a full GC", round(provider.lag_max_outside_full_gc_ms, 2), "ms"
    )
    report.add("full (oldest-generation) GC runs while measured", provider.full_gcs, "runs")
    report.add(
        "young (youngest-generation) GC runs per interval", round(provider.young_gcs_per_round, 2), "runs"
    )
    report.add("GC pause max while measured", round(provider.gc_max_ms, 1), "ms")
    report.exactly("IAM token requests (token auth)", tokens, "requests", 1)
    report.add(
        f"{jobs:,} bare pollers: CPU per waiting job per interval",
        round(floor.cpu_per_job_round_us, 1),
        "us",
        floor=poll_us,
    )
    report.add(
        f"{jobs:,} bare pollers: API requests per interval", round(floor.requests_per_round, 1), "requests"
    )
    report.add(
        f"{jobs:,} bare pollers: RSS growth per waiting coroutine",
        round(floor.rss_delta / floor.jobs / 1024, 1),
        "KB",
    )
    report.add(f"{jobs:,} bare pollers: event-loop lag p99", round(floor.lag_p99_ms, 2), "ms")
    report.add(f"{jobs:,} bare pollers: event-loop lag max", round(floor.lag_max_ms, 2), "ms")
    report.add(f"{jobs:,} bare pollers: GC pause max while measured", round(floor.gc_max_ms, 1), "ms")
    single_us = round(statistics.median(ours) * 1e6, 1)
    report.ratio("single job: trigger CPU per poll", single_us, poll_us, SINGLE_JOB_LIMIT)
    report.details = {
        "jobs": jobs,
        "interval_s": interval,
        "cpu_window_intervals": rounds,
        "floor_cpu_window_intervals": floor_rounds,
        "lag_window_intervals": lag_rounds,
        "single_seconds": single_seconds,
        "limits_in_floors": {
            "cpu_per_job_per_interval": CPU_PER_JOB_LIMIT,
            "startup_cpu_per_trigger": STARTUP_LIMIT,
            "lag_p99": LAG_P99_LIMIT,
            "lag_max": LAG_MAX_LIMIT,
            "single_job_cpu_per_poll": SINGLE_JOB_LIMIT,
        },
        "floor_cpu_per_poll_s": floors,
        "startup": {"cpu_s": startup_cpu, "first_round_requests": startup_requests},
        "provider": {**vars(provider), "requests": provider.requests},
        "bare_pollers": vars(floor),
        "token_run_requests": token_requests,
        "single_job_trigger_cpu_per_poll_s": ours,
    }
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
