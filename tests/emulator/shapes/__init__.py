"""Documented response shapes, and the check that an answer has one.

``sdk_models.json`` holds the v2 models of the official SDK (``huaweicloudsdkmodelarts``), recorded
by ``record_sdk_shapes.py``. :data:`DOCUMENTED` holds the field tables of the API reference for
the families the SDK does not cover (v1 training and visualization jobs, RES, IAM), in the same
notation: ``str``, ``int`` (Integer and Long), ``bool``, ``float``, ``object`` (any JSON object),
``list[T]``, ``dict(str, T)`` or a model name.

:func:`check` fails on a field that is not in the model (an undocumented field), on a value of
another type (arrays stay arrays), and on a ``required`` field that is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_SDK = json.loads((Path(__file__).parent / "sdk_models.json").read_text(encoding="utf-8"))
SDK_VERSION: str = _SDK["sdk_version"]
SDK_MODELS: dict[str, dict[str, str]] = _SDK["models"]

_V1_VERSION_COMMON = {
    "version_id": "int",
    "version_name": "str",
    "pre_version_id": "int",
    "engine_type": "int",
    "engine_name": "str",
    "engine_id": "int",
    "engine_version": "str",
    "status": "int",
    "app_url": "str",
    "boot_file_url": "str",
    "create_time": "int",
    "parameter": "list[V1Parameter]",
    "duration": "int",
    "spec_id": "int",
    "core": "str",
    "cpu": "str",
    "gpu_num": "int",
    "gpu_type": "str",
    "worker_server_num": "int",
    "data_url": "str",
    "train_url": "str",
    "log_url": "str",
    "dataset_version_id": "str",
    "dataset_id": "str",
    "data_source": "list[V1DataSource]",
    "model_id": "int",
    "model_metric_list": "str",
    "user_image_url": "str",
    "user_command": "str",
    "resource_id": "str",
    "dataset_name": "str",
    "start_time": "int",
    "volumes": "list[V1Volume]",
    "dataset_version_name": "str",
    "pool_name": "str",
    "pool_id": "str",
    "nas_mount_path": "str",
    "nas_share_addr": "str",
    "nas_type": "str",
}
_V1_CREATED = {
    "is_success": "bool",
    "job_id": "int",
    "job_name": "str",
    "status": "int",
    "create_time": "int",
    "version_id": "int",
    "version_name": "str",
}
_VIS_JOB = {
    "job_id": "int",
    "job_name": "str",
    "status": "int",
    "create_time": "int",
    "duration": "int",
    "job_desc": "str",
    "service_url": "str",
    "train_url": "str",
    "resource_id": "str",
}
_V1_PAGE = {"is_success": "bool", "job_total_count": "int", "job_count_limit": "int", "quotas": "int"}

DOCUMENTED: dict[str, dict[str, str]] = {
    # v1 training jobs: OTC API reference, historical APIs, training jobs
    "V1CreatedJob": {**_V1_CREATED, "resource_id": "str"},
    "V1CreatedVersion": _V1_CREATED,
    "V1JobList": {**_V1_PAGE, "jobs": "list[V1ListedJob]"},
    "V1ListedJob": {
        "job_id": "int",
        "job_name": "str",
        "version_id": "int",
        "status": "int",
        "create_time": "int",
        "duration": "int",
        "job_desc": "str",
        "version_count": "int",
    },
    "V1Versions": {
        "is_success": "bool",
        "job_id": "int",
        "job_name": "str",
        "job_desc": "str",
        "version_count": "int",
        "versions": "list[V1ListedVersion]",
    },
    "V1ListedVersion": {**_V1_VERSION_COMMON, "gpu": "bool", "system_metric_list": "str"},
    "V1VersionDetail": {
        **_V1_VERSION_COMMON,
        "is_success": "bool",
        "job_id": "int",
        "job_name": "str",
        "job_desc": "str",
        "spec_code": "str",
        "system_metric_list": "V1SystemMetrics",
    },
    "V1SystemMetrics": {"cpuUsage": "list[str]", "memUsage": "list[str]", "gpuUtil": "list[str]"},
    "V1Parameter": {"label": "str", "value": "str"},
    "V1DataSource": {"dataset_id": "str", "dataset_version": "str", "type": "str", "data_url": "str"},
    "V1Volume": {"nfs": "V1Nfs", "host_path": "V1HostPath"},
    "V1Nfs": {"id": "str", "src_path": "str", "dest_path": "str", "read_only": "bool"},
    "V1HostPath": {"src_path": "str", "dest_path": "str", "read_only": "bool"},
    "V1Ok": {"is_success": "bool"},
    "V1Error": {"is_success": "bool", "error_code": "str", "error_message": "str"},
    # v1 visualization jobs
    "VisCreated": {
        "is_success": "bool",
        "job_id": "int",
        "job_name": "str",
        "status": "int",
        "create_time": "int",
        "service_url": "str",
    },
    "VisList": {**_V1_PAGE, "jobs": "list[VisListedJob]"},
    "VisListedJob": _VIS_JOB,
    "VisDetail": _VIS_JOB,
    "VisDetailError": {"error_code": "str", "error_message": "str"},
    # RES: list, detail, del-job
    "ResList": {"is_success": "bool", "total_items": "int", "jobs": "list[ResJob]"},
    "ResDetail": {"is_success": "bool", "job": "ResJob"},
    "ResJob": {
        "job_id": "str",
        "job_name": "str",
        "job_description": "str",
        "project_id": "str",
        "user_id": "str",
        "operating_time": "int",
        "request_info": "str",
        "response_info": "str",
        "job_status": "str",
        "resource": "str",
        "is_use": "int",
        "type": "str",
    },
    "ResDeleted": {"is_success": "bool", "message": "str"},
    "ResError": {"is_success": "bool", "error_code": "str", "error_msg": "str"},
    # v2 errors
    "V2Error": {"error_code": "str", "error_msg": "str"},
    # IAM (Keystone v3): version document, token, projects
    "KeystoneVersion": {"version": "KeystoneVersionBody"},
    "KeystoneVersionBody": {
        "id": "str",
        "status": "str",
        "updated": "str",
        "media-types": "list[KeystoneMediaType]",
        "links": "list[KeystoneLink]",
    },
    "KeystoneMediaType": {"base": "str", "type": "str"},
    "KeystoneLink": {"rel": "str", "href": "str"},
    "KeystoneToken": {"token": "KeystoneTokenBody"},
    "KeystoneTokenBody": {
        "expires_at": "str",
        "issued_at": "str",
        "methods": "list[str]",
        "user": "KeystoneUser",
        "roles": "list[KeystoneRole]",
        "project": "KeystoneProject",
        "domain": "KeystoneDomain",
        "catalog": "list[object]",
    },
    "KeystoneUser": {"id": "str", "name": "str", "domain": "KeystoneDomain", "password_expires_at": "str"},
    "KeystoneRole": {"id": "str", "name": "str"},
    "KeystoneProject": {"id": "str", "name": "str", "domain": "KeystoneDomain"},
    "KeystoneDomain": {"id": "str", "name": "str"},
    "KeystoneProjects": {"projects": "list[KeystoneProjectItem]", "links": "KeystoneLinks"},
    "KeystoneProjectItem": {
        "id": "str",
        "name": "str",
        "domain_id": "str",
        "parent_id": "str",
        "description": "str",
        "enabled": "bool",
        "is_domain": "bool",
    },
    "KeystoneLinks": {"self": "str", "next": "null"},
}
MODELS = {**SDK_MODELS, **DOCUMENTED}
_INNER = re.compile(r"^(?:list\[(?P<item>.*)\]|dict\(str, (?P<value>.*)\))$")


def check(value: Any, kind: str, path: str = "$", required: Iterable[str] = ()) -> None:
    """Assert that ``value`` has the type ``kind``; ``required`` are dotted paths that must exist."""
    _check(value, kind, path)
    for dotted in required:
        node: Any = value
        for part in dotted.split("."):
            assert isinstance(node, Mapping) and part in node, f"{path}.{dotted} is missing"
            node = node[part]


def _check(value: Any, kind: str, path: str) -> None:
    match = _INNER.match(kind)
    if match is not None and match.group("item") is not None:
        assert isinstance(value, list), f"{path}: {type(value).__name__}, not an array ({kind})"
        for index, item in enumerate(value):
            _check(item, match.group("item"), f"{path}[{index}]")
    elif match is not None:
        assert isinstance(value, dict), f"{path}: {type(value).__name__}, not a map ({kind})"
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: key {key!r}"
            _check(item, match.group("value"), f"{path}.{key}")
    elif kind in MODELS:
        assert isinstance(value, dict), f"{path}: {type(value).__name__}, not an object ({kind})"
        fields = MODELS[kind]
        undocumented = sorted(set(value) - set(fields))
        assert not undocumented, f"{path}: fields {undocumented} are not in {kind}"
        for key, item in value.items():
            _check(item, fields[key], f"{path}.{key}")
    else:
        assert _PRIMITIVES[kind](value), f"{path}: {value!r} is not {kind}"


_PRIMITIVES = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
