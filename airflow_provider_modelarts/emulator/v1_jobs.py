"""The v1 training job version: what a create request's ``config`` sets, kept as the version's
state, and the documented flat version object (versions list and version detail) built from it.

Config fields read (documented; a wrong type is refused with ``ModelArts.0104``):
``worker_server_num``, ``app_url``, ``boot_file_url``, ``parameter`` (``label``/``value``),
``data_url``, ``dataset_id``, ``dataset_version_id``, ``data_source``, ``spec_id``, ``pool_id``,
``engine_id``, ``model_id``, ``train_url``, ``log_url``, ``user_image_url``, ``user_command`` and
``volumes``. The documentation marks some as mandatory; the emulator fills in defaults instead
(one worker, engine 1, flavor 1) so that short test bodies work.

The emulator knows one engine and one flavor: every ``engine_id`` is TensorFlow
(``engine_type`` 1) and every ``spec_id`` a 2-core CPU flavor. The two documented tables differ in
two places, and each answer follows its own table: a versions-list item has ``gpu`` (boolean) and
``system_metric_list`` as a JSON string; the version detail has ``spec_code`` and
``system_metric_list`` as an object. ``pre_version_id`` is left out of a job's first version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENGINE = {"engine_type": 1, "engine_name": "TensorFlow", "engine_version": "TF-1.8.0-python3.6"}
FLAVOR = {"core": "2", "cpu": "8", "gpu_num": 0, "gpu_type": ""}
SPEC_CODE = "modelarts.vm.cpu.2u"
SYSTEM_METRICS: dict[str, list[str]] = {"cpuUsage": [], "memUsage": [], "gpuUtil": []}
MODEL_METRICS = json.dumps({"metric": [], "total_metric": {}}, separators=(",", ":"))
TEXT_KEYS = (
    "app_url",
    "boot_file_url",
    "data_url",
    "dataset_id",
    "dataset_version_id",
    "pool_id",
    "train_url",
    "log_url",
    "user_image_url",
    "user_command",
)
NUMBER_KEYS = {"worker_server_num": 1, "spec_id": 1, "engine_id": 1, "model_id": 0}
DATA_SOURCE_KEYS = ("dataset_id", "dataset_version", "type", "data_url")
VOLUME_KEYS = {"nfs": ("id", "src_path", "dest_path"), "host_path": ("src_path", "dest_path")}


class BadConfig(ValueError):
    """A documented config field has the wrong type."""


def _objects(config: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = config.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise BadConfig(f"config.{key}: an array of objects")
    return value


def _texts(data: Mapping[str, Any], keys: tuple[str, ...], where: str) -> dict[str, str]:
    for key in keys:
        if key in data and not isinstance(data[key], str):
            raise BadConfig(f"{where}{key}: must be a string")
    return {key: data.get(key, "") for key in keys}


def _volume(item: Mapping[str, Any], index: int) -> dict[str, Any]:
    for kind, keys in VOLUME_KEYS.items():
        if isinstance(item.get(kind), Mapping):
            where = f"config.volumes[{index}].{kind}."
            read_only = item[kind].get("read_only", False)
            if not isinstance(read_only, bool):
                raise BadConfig(f"{where}read_only: true or false")
            return {kind: {**_texts(item[kind], keys, where), "read_only": read_only}}
    raise BadConfig(f"config.volumes[{index}]: an nfs or host_path object")


@dataclass(frozen=True, slots=True)
class V1Config:
    """The documented ``config`` of a v1 training job version."""

    texts: dict[str, str] = field(default_factory=lambda: dict.fromkeys(TEXT_KEYS, ""))
    numbers: dict[str, int] = field(default_factory=lambda: dict(NUMBER_KEYS))
    parameter: list[dict[str, str]] = field(default_factory=list)
    data_source: list[dict[str, str]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, config: object) -> V1Config:
        """The state a create body's ``config`` sets; raises :class:`BadConfig` on a wrong type."""
        if config is None:
            return cls()
        if not isinstance(config, Mapping):
            raise BadConfig("config: must be an object")
        numbers = dict(NUMBER_KEYS)
        for key in NUMBER_KEYS:
            value = config.get(key, numbers[key])
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise BadConfig(f"config.{key}: a non-negative integer")
            numbers[key] = value
        parameter = []
        for index, item in enumerate(_objects(config, "parameter")):
            value = item.get("value", "")
            if not isinstance(item.get("label"), str) or isinstance(value, bool | dict | list):
                raise BadConfig(f"config.parameter[{index}]: a label and a value")
            parameter.append({"label": item["label"], "value": str(value)})
        return cls(
            _texts(config, TEXT_KEYS, "config."),
            numbers,
            parameter,
            [_texts(i, DATA_SOURCE_KEYS, "config.data_source.") for i in _objects(config, "data_source")],
            [_volume(item, index) for index, item in enumerate(_objects(config, "volumes"))],
        )


def version_view(
    config: V1Config,
    identity: Mapping[str, Any],
    *,
    status: int,
    create_time: int,
    duration: int,
    start_time: int,
    resource_id: str,
    detail: bool,
) -> dict[str, Any]:
    """The flat version object; ``identity`` holds ``version_id``, ``version_name`` and, when the
    version has one, ``pre_version_id``. ``detail`` picks the version-detail table over the list's."""
    shown: dict[str, Any] = {
        **identity,
        **ENGINE,
        "engine_id": config.numbers["engine_id"],
        "status": status,
        "create_time": create_time,
        "duration": duration,
        "start_time": start_time,
        "parameter": [dict(p) for p in config.parameter],
        "spec_id": config.numbers["spec_id"],
        **FLAVOR,
        "worker_server_num": config.numbers["worker_server_num"],
        **config.texts,
        "data_source": [dict(d) for d in config.data_source],
        "volumes": [dict(v) for v in config.volumes],
        "resource_id": resource_id,
        "pool_name": config.texts["pool_id"],
        "model_metric_list": MODEL_METRICS,
    }
    if config.numbers["model_id"]:
        shown["model_id"] = config.numbers["model_id"]
    if detail:
        shown["spec_code"] = SPEC_CODE
        shown["system_metric_list"] = {key: list(values) for key, values in SYSTEM_METRICS.items()}
    else:
        shown["gpu"] = False
        shown["system_metric_list"] = json.dumps(SYSTEM_METRICS, separators=(",", ":"))
    return shown


DEFAULT_CONFIG = V1Config()  # the config of a version created without one (shared, never changed)
