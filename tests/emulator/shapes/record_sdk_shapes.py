"""Record the field names and types of the official SDK's v2 training-job models as JSON.

Run where ``huaweicloudsdkmodelarts`` is installed (it is not a dependency of this project)::

    python tests/emulator/shapes/record_sdk_shapes.py > tests/emulator/shapes/sdk_models.json

The output maps each model reachable from :data:`ROOTS` to ``{json_field: sdk_type}``, with the
SDK's type notation (``str``, ``int``, ``bool``, ``float``, ``object``, ``list[T]``,
``dict(str, T)`` or another model's name). Only names and types are recorded.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from importlib import metadata
from typing import Any

ROOTS = (
    # requests (bodies)
    "Job",
    "JobSearches",
    "JobActionType",
    "JobUpdateRequestBody",
    # responses
    "CreateTrainingJobResponse",
    "ShowTrainingJobDetailsResponse",
    "ListTrainingJobsResponse",
    "StopTrainingJobResponse",
    "ListTrainingJobEventsResponse",
)
INNER = re.compile(r"^(?:list\[(?P<item>.*)\]|dict\(str, (?P<value>.*)\))$")


def record(models: Any) -> dict[str, dict[str, str]]:
    shapes: dict[str, dict[str, str]] = {}
    pending = list(ROOTS)
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        cls = getattr(models, name)
        shapes[name] = {cls.attribute_map[attr]: kind for attr, kind in cls.openapi_types.items()}
        for kind in shapes[name].values():
            inner = kind
            while (match := INNER.match(inner)) is not None:
                inner = match.group("item") or match.group("value")
            if hasattr(models, inner):
                pending.append(inner)
    return dict(sorted(shapes.items()))


def main() -> int:
    models = importlib.import_module("huaweicloudsdkmodelarts.v1.model")
    version = metadata.version("huaweicloudsdkmodelarts")
    json.dump({"sdk_version": version, "models": record(models)}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
