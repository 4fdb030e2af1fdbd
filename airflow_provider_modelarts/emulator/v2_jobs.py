"""The v2 training job body: what a create request sets, kept as the job's state, and the one
documented response shape (create, detail, search items, terminate) built from that state.

Request fields read (others are ignored, as the service ignores unknown ones): ``kind``,
``metadata`` (``name``, ``description``, ``workspace_id``, ``annotations``,
``training_experiment_reference``), ``algorithm`` (``id``, ``name``, ``code_dir``, ``boot_file``,
``command``, ``local_code_dir``, ``working_dir``, ``engine``, ``parameters``, ``inputs`` and
``outputs`` with their OBS ``remote``, ``environments``), ``tasks`` (``role``, ``algorithm``,
``task_resource``), ``spec`` (``resource.flavor_id``/``node_count``/``pool_id``,
``log_export_path``), ``endpoints.ssh`` and ``train_type``. A documented field of the wrong type
is refused (400 ``ModelArts.2788``).

Where request and response types differ the response follows the SDK's response models:
``algorithm.environments`` is a map in the request and an array of maps (one per variable) in the
answer; a task's ``task_resource`` becomes a flavor object. Optional parts the state lacks are left
out, as in the documented sample (``tasks`` without heterogeneous tasks, ``endpoints`` without SSH
key pairs, empty algorithm arrays). Status fields follow the job's time line (see :mod:`.store`):
``tasks`` names ``worker-0`` ... one per node; ``task_ips``, ``running_records`` and
``node_count_metrics`` (``[time, nodes]`` at the start, and ``[time, 0]`` at the end) appear once
the job has started; ``task_statuses`` once it has ended. Addresses are from the documentation
range 192.0.2.0/24.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_modelarts.emulator.clock import ms
from airflow_provider_modelarts.emulator.documented import V2Phase

SECONDARY = {
    V2Phase.CREATING: "Creating",
    V2Phase.PENDING: "Queuing",
    V2Phase.RUNNING: "Running",
    V2Phase.TERMINATING: "Terminating",
    V2Phase.TERMINATED: "Terminated",
    V2Phase.COMPLETED: "Completed",
    V2Phase.FAILED: "Failed",
    V2Phase.ABNORMAL: "CreateFailed",
}
_EXIT_CODES = {V2Phase.COMPLETED: 0, V2Phase.FAILED: 1, V2Phase.ABNORMAL: 1, V2Phase.TERMINATED: 137}
_END_REASONS = {
    V2Phase.COMPLETED: "job completed",
    V2Phase.FAILED: "exit with 1",
    V2Phase.ABNORMAL: "job abnormal",
    V2Phase.TERMINATED: "job terminated",
}
ENGINE_KEYS = ("engine_id", "engine_name", "engine_version", "image_url")
TEXT_KEYS = ("id", "name", "code_dir", "boot_file", "command", "local_code_dir", "working_dir")
TASK_TEXT_KEYS = ("code_dir", "boot_file", "local_code_dir", "working_dir")


class BadField(ValueError):
    """A documented request field has the wrong type."""


# ---- reading the request ------------------------------------------------------------------


def _object(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadField(f"{where}{key}: must be an object")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadField(f"{where}{key}: must be an array")
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadField(f"{where}{key}: must be a string")
    return value


def _texts(data: Mapping[str, Any], keys: tuple[str, ...], where: str) -> dict[str, str]:
    return {key: text for key in keys if (text := _text(data, key, where))}


def _string_map(data: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    value = _object(data, key, where)
    if not all(isinstance(v, str) for v in value.values()):
        raise BadField(f"{where}{key}: a map of strings")
    return dict(value)


def _count(data: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadField(f"{where}{key}: a positive integer")
    return value


@dataclass(frozen=True, slots=True)
class Channel:
    """An algorithm input or output: a name, a container directory and an OBS path."""

    name: str
    description: str = ""
    local_dir: str = ""
    obs_url: str = ""

    @classmethod
    def parse(cls, item: object, where: str) -> Channel:
        if not isinstance(item, Mapping):
            raise BadField(f"{where}: must be an object")
        obs = _object(_object(item, "remote", where), "obs", f"{where}.remote.")
        return cls(
            _text(item, "name", where),
            _text(item, "description", where),
            _text(item, "local_dir", where),
            _text(obs, "obs_url", f"{where}.remote.obs."),
        )

    def view(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"name": self.name}
        if self.description:
            shown["description"] = self.description
        if self.local_dir:
            shown["local_dir"] = self.local_dir
        shown["remote"] = {"obs": {"obs_url": self.obs_url}}
        return shown


@dataclass(frozen=True, slots=True)
class Algorithm:
    """The algorithm of a job (or of one task of a heterogeneous job)."""

    texts: dict[str, str] = field(default_factory=dict)  # TEXT_KEYS that were set
    engine: dict[str, str] = field(default_factory=dict)  # ENGINE_KEYS that were set
    parameters: list[dict[str, str]] = field(default_factory=list)
    inputs: list[Channel] = field(default_factory=list)
    outputs: list[Channel] = field(default_factory=list)
    environments: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, keys: tuple[str, ...] = TEXT_KEYS) -> Algorithm:
        parameters = []
        for index, item in enumerate(_list(data, "parameters", where)):
            if not isinstance(item, Mapping):
                raise BadField(f"{where}parameters[{index}]: must be an object")
            parameters.append(_texts(item, ("name", "value", "description"), f"{where}parameters[{index}]."))
        return cls(
            _texts(data, keys, where),
            _texts(_object(data, "engine", where), ENGINE_KEYS, f"{where}engine."),
            parameters,
            [Channel.parse(i, f"{where}inputs[{n}]") for n, i in enumerate(_list(data, "inputs", where))],
            [Channel.parse(o, f"{where}outputs[{n}]") for n, o in enumerate(_list(data, "outputs", where))],
            _string_map(data, "environments", where),
        )

    def view(self) -> dict[str, Any]:
        """The ``JobAlgorithmResponse`` object."""
        shown: dict[str, Any] = dict(self.texts)
        if self.parameters:
            shown["parameters"] = [dict(p) for p in self.parameters]
        if self.inputs:
            shown["inputs"] = [channel.view() for channel in self.inputs]
        if self.outputs:
            shown["outputs"] = [channel.view() for channel in self.outputs]
        if self.engine:
            shown["engine"] = dict(self.engine)
        if self.environments:
            shown["environments"] = [{key: value} for key, value in self.environments.items()]
        return shown

    def task_view(self) -> dict[str, Any]:
        """The ``TaskResponseAlgorithm`` object (environments stay a map there)."""
        shown: dict[str, Any] = dict(self.texts)
        if self.engine:
            shown["engine"] = dict(self.engine)
        if self.environments:
            shown["environments"] = dict(self.environments)
        return shown


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One task of a heterogeneous job."""

    role: str
    algorithm: Algorithm
    flavor_id: str
    pool_id: str

    @classmethod
    def parse(cls, item: object, where: str) -> TaskSpec:
        if not isinstance(item, Mapping):
            raise BadField(f"{where}: must be an object")
        resource = _object(item, "task_resource", f"{where}.")
        return cls(
            _text(item, "role", f"{where}."),
            Algorithm.parse(_object(item, "algorithm", f"{where}."), f"{where}.algorithm.", TASK_TEXT_KEYS),
            _text(resource, "flavor_id", f"{where}.task_resource."),
            _text(resource, "pool_id", f"{where}.task_resource."),
        )

    def view(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"flavor_id": self.flavor_id, "flavor_name": self.flavor_id, "max_num": 1}
        if self.pool_id:
            resource["pool_id"] = self.pool_id
        return {"role": self.role, "algorithm": self.algorithm.task_view(), "task_resource": resource}


@dataclass(frozen=True, slots=True)
class V2Body:
    """What a create request set: everything of the job's answer that is not time or identity."""

    kind: str = "job"
    train_type: str = "job"
    annotations: dict[str, str] = field(default_factory=dict)
    experiment: dict[str, str] = field(default_factory=dict)  # training_experiment_reference
    algorithm: Algorithm = field(default_factory=Algorithm)
    tasks: list[TaskSpec] = field(default_factory=list)
    flavor_id: str = ""
    pool_id: str = ""
    node_count: int = 1
    log_obs_url: str = ""
    key_pair_names: list[str] = field(default_factory=list)
    # The parts of the answer that only this state decides, built once. Answers share them, and
    # they are only ever serialized: never change them.
    static: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        workers = _workers(self.node_count)
        ips = [
            {
                "task": w,
                "ip": f"192.0.2.{10 + n % 40}",
                "host_ip": f"192.0.2.{200 + n % 40}",
                "schedule_count": 1,
            }
            for n, w in enumerate(workers)
        ]
        static = {
            "workers": workers,
            "task_ips": ips,
            "algorithm": self.algorithm.view(),
            "tasks": [task.view() for task in self.tasks],
            "spec": self.spec_view(),
            "annotations": dict(self.annotations),
        }
        object.__setattr__(self, "static", static)

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> V2Body:
        """The state a create body sets; raises :class:`BadField` for a documented field of a wrong type."""
        metadata = _object(body, "metadata", "")
        spec = _object(body, "spec", "")
        resource = _object(spec, "resource", "spec.")
        ssh = _object(_object(body, "endpoints", ""), "ssh", "endpoints.")
        keys = _list(ssh, "key_pair_names", "endpoints.ssh.")
        if not all(isinstance(key, str) for key in keys):
            raise BadField("endpoints.ssh.key_pair_names: an array of strings")
        experiment = _object(metadata, "training_experiment_reference", "metadata.")
        return cls(
            kind=_text(body, "kind", "") or "job",
            train_type=_text(body, "train_type", "") or "job",
            annotations=_string_map(metadata, "annotations", "metadata."),
            experiment=_texts(experiment, ("id", "name"), "metadata.training_experiment_reference."),
            algorithm=Algorithm.parse(_object(body, "algorithm", ""), "algorithm."),
            tasks=[TaskSpec.parse(t, f"tasks[{n}]") for n, t in enumerate(_list(body, "tasks", ""))],
            flavor_id=_text(resource, "flavor_id", "spec.resource."),
            pool_id=_text(resource, "pool_id", "spec.resource."),
            node_count=_count(resource, "node_count", "spec.resource.", 1),
            log_obs_url=_text(_object(spec, "log_export_path", "spec."), "obs_url", "spec.log_export_path."),
            key_pair_names=list(keys),
        )

    @property
    def workers(self) -> list[str]:
        return self.static["workers"]  # type: ignore[no-any-return]

    def spec_view(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"policy": "regular", "node_count": self.node_count}
        if self.flavor_id:
            resource["flavor_id"] = self.flavor_id
            resource["flavor_name"] = self.flavor_id
        if self.pool_id:
            resource["pool_id"] = self.pool_id
        spec: dict[str, Any] = {"resource": resource}
        if self.log_obs_url:
            spec["log_export_path"] = {"obs_url": self.log_obs_url}
        return spec

    def endpoints_view(self, job_id: str, started: bool) -> dict[str, Any]:
        if not self.key_pair_names:
            return {}
        urls = [{"task": w, "url": f"ssh://{w}-{job_id[:8]}.emulator.invalid:22"} for w in self.workers]
        return {"ssh": {"key_pair_names": list(self.key_pair_names), "task_urls": urls if started else []}}


def _workers(count: int) -> list[str]:
    return [f"worker-{index}" for index in range(count)]


DEFAULT_BODY = V2Body()  # the state of a job created without any of the fields above (shared)


# ---- the answer -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """Where a job stands on its time line, in epoch seconds."""

    phase: V2Phase
    created_at: float
    start: float | None  # None: never started
    end: float  # end of the running time so far (now while running)
    ended: bool  # the job has finished (completed, failed, abnormal or terminated)


def job_view(
    job_id: str,
    name: str,
    description: str,
    workspace_id: str,
    user_name: str,
    body: V2Body,
    moment: Moment,
) -> dict[str, Any]:
    """The documented job object (``JobResponse``) of a job at one moment."""
    metadata: dict[str, Any] = {
        "id": job_id,
        "name": name,
        "workspace_id": workspace_id,
        "description": description,
        "create_time": ms(moment.created_at),
        "user_name": user_name,
        "annotations": body.static["annotations"],
    }
    if body.experiment:
        metadata["training_experiment_reference"] = {**body.experiment, "serial_number": "1"}
    static = body.static
    shown = {
        "kind": body.kind,
        "metadata": metadata,
        "status": _status_view(body, moment),
        "algorithm": static["algorithm"],
        "spec": static["spec"],
    }
    if static["tasks"]:
        shown["tasks"] = static["tasks"]
    if body.key_pair_names:
        shown["endpoints"] = body.endpoints_view(job_id, moment.start is not None and not moment.ended)
    return shown


def _status_view(body: V2Body, moment: Moment) -> dict[str, Any]:
    start, phase = moment.start, moment.phase
    status: dict[str, Any] = {
        "phase": phase.value,
        "secondary_phase": SECONDARY[phase],
        "duration": ms(moment.end - start) if start is not None else 0,
        "start_time": ms(start) if start is not None else 0,
        "tasks": body.workers,
    }
    if start is None:
        return status
    metrics = [[ms(start), body.node_count]]
    record: dict[str, Any] = {"start_at": int(start), "start_type": "init_or_rescheduled"}
    if moment.ended:
        metrics.append([ms(moment.end), 0])
        record.update(end_at=int(moment.end), end_reason=_END_REASONS.get(phase, phase.value))
        code = _EXIT_CODES.get(phase, 0)
        status["task_statuses"] = [{"task": w, "exit_code": code, "message": ""} for w in body.workers]
    status["node_count_metrics"] = metrics
    status["running_records"] = [record]
    status["task_ips"] = body.static["task_ips"]
    return status
