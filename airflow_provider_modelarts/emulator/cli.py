"""``modelarts-emulator``: serve the emulator until Ctrl-C or SIGTERM.

It prints its URL, a line per job of the seed file (``--seed FILE``: its family, name, id and, for
v1 jobs, version ids) and an ``export AIRFLOW_CONN_MODELARTS_DEFAULT='...'`` line to paste into the
shell that runs Airflow. A port in use ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from airflow_provider_modelarts.emulator import defaults
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.server import EmulatorServer
from airflow_provider_modelarts.emulator.store import SeededJob

SEED_FORMAT = """\
seed file (--seed FILE) and POST /_emulator/seed:
  a JSON list of entries, or {"jobs": [entry, ...]} (POST /_emulator/seed also takes one entry).
  An entry (only "family" is required):
    {"family": "training" | "training_v1" | "visualization" | "res",
     "count": 1,                  1-100000; names get -00001... when above 1
     "name": "training-job",
     "description": "",
     "status": "Running",         initial status kept until the job is stopped: a v2 phase,
                                  a v1 code or name ("RUNNING", 8), a RES status
     "age_seconds": 0,            how long ago the job was created
     "workspace_id": "0",
     "owner": "emulator-user",    any IAM user name
     "emulator": {"outcome": "completed" | "failed" | "abnormal",
                  "run_seconds": null, "delete_fails": false},
     "versions": 1,               training_v1 only: 1-100 versions
     "type": "etl", "job_id": "..."}   res only (job_id with count 1)
  The same "emulator" object is accepted in the bodies of the public create endpoints.
"""


def _optional_seconds(text: str) -> float | None:
    if text.lower() in ("none", "null", "forever"):
        return None
    return _seconds(text)


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="modelarts-emulator",
        description="A local ModelArts / RES / IAM emulator; serves until Ctrl-C or SIGTERM.",
        epilog=SEED_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default=defaults.HOST)
    p.add_argument("--port", type=int, default=defaults.PORT, help="0 picks a free port")
    p.add_argument("--access-key", default=defaults.ACCESS_KEY)
    p.add_argument("--secret-key", default=defaults.SECRET_KEY)
    p.add_argument("--project-id", default=defaults.PROJECT_ID)
    p.add_argument("--region", default=defaults.REGION)
    p.add_argument("--iam-user", default=defaults.IAM_USER)
    p.add_argument("--iam-password", default=defaults.IAM_PASSWORD)
    p.add_argument("--iam-domain", default=defaults.IAM_DOMAIN)
    p.add_argument("--seed", type=Path, metavar="FILE", help="JSON seed file (format below)")
    p.add_argument("--create-seconds", type=_seconds, default=defaults.CREATE_SECONDS)
    p.add_argument("--pending-seconds", type=_seconds, default=defaults.PENDING_SECONDS)
    p.add_argument("--run-seconds", type=_optional_seconds, default=defaults.RUN_SECONDS, help="or 'none'")
    p.add_argument("--visualization-run-seconds", type=_optional_seconds, default=None, help="default none")
    p.add_argument("--stop-seconds", type=_seconds, default=defaults.STOP_SECONDS)
    p.add_argument("--delete-visible-seconds", type=_seconds, default=defaults.DELETE_VISIBLE_SECONDS)
    p.add_argument("--token-ttl-seconds", type=_seconds, default=defaults.TOKEN_TTL_SECONDS)
    p.add_argument("--clock-skew-seconds", type=float, default=0.0)
    p.add_argument("--v1-failure-status", type=int, default=defaults.V1_FAILURE_STATUS, choices=(200, 400))
    p.add_argument("--lockout", action="store_true", help="lock an AK after repeated signature failures")
    p.add_argument(
        "--v2-search-default-workspace",
        default=defaults.DEFAULT_WORKSPACE,
        metavar="ID",
        help="workspace of a v2 search without workspace_id: an id (default 0) or 'all'",
    )
    p.add_argument(
        "--v1-lists-by-user", action="store_true", help="v1 and RES lists show only the caller's jobs"
    )
    p.add_argument(
        "--workspace", action="append", default=[], metavar="ID", help="declare a workspace (repeatable)"
    )
    p.add_argument("--auth-type", default="aksk", choices=("aksk", "token", "temporary"),
                   help="auth type of the printed Airflow connection")  # fmt: skip
    p.add_argument("--log-level", default="warning")
    return p


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        access_key=args.access_key,
        secret_key=args.secret_key,
        project_id=args.project_id,
        region=args.region,
        iam_user=args.iam_user,
        iam_password=args.iam_password,
        iam_domain=args.iam_domain,
        create_seconds=args.create_seconds,
        pending_seconds=args.pending_seconds,
        run_seconds=args.run_seconds,
        visualization_run_seconds=args.visualization_run_seconds,
        stop_seconds=args.stop_seconds,
        delete_visible_seconds=args.delete_visible_seconds,
        token_ttl_seconds=args.token_ttl_seconds,
        clock_skew_seconds=args.clock_skew_seconds,
        v1_failure_status=args.v1_failure_status,
        lockout_enabled=args.lockout,
        v2_search_default_workspace=(
            None if args.v2_search_default_workspace == "all" else args.v2_search_default_workspace
        ),
        v1_lists_by_user=args.v1_lists_by_user,
        workspaces=tuple(args.workspace),
    )


def read_seed(path: Path) -> list[Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of seed entries or {{'jobs': [...]}}")
    return entries


SEED_LINES = 1000  # jobs printed one by one at start-up; the rest are counted


def print_seeded(created: list[SeededJob], limit: int = SEED_LINES) -> None:
    """A line per seeded job (family, name, id, v1 version ids), then the counts by family."""
    for job in created[:limit]:
        print(f"seeded {job.describe()}")
    if len(created) > limit:
        print(f"... and {len(created) - limit} more job(s)")
    counts: dict[str, int] = {}
    for job in created:
        counts[job.family] = counts.get(job.family, 0) + 1
    for family, count in counts.items():
        print(f"seeded {count} {family} job(s)")


def export_line(connection: dict[str, Any], conn_id: str = "modelarts_default") -> str:
    """A shell line that sets the connection's ``AIRFLOW_CONN_*`` variable (single-quoted JSON)."""
    text = json.dumps(connection, separators=(",", ":")).replace("'", "'\\''")
    return f"export AIRFLOW_CONN_{conn_id.upper()}='{text}'"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    server = EmulatorServer(config_from(args), host=args.host, port=args.port, log_level=args.log_level)
    if args.seed is not None:
        try:
            created = server.app.seed(read_seed(args.seed))
        except (OSError, ValueError) as exc:
            print(f"modelarts-emulator: bad seed file: {exc}", file=sys.stderr)
            return 2
    else:
        created = []
    done = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server.start()
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            print(f"modelarts-emulator: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
            return 2
        print(f"ModelArts emulator listening on {server.url}")
        print_seeded(created)
        print(export_line(server.airflow_connection(args.auth_type)), flush=True)
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("ModelArts emulator stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
