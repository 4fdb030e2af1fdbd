"""IAM: the version document (``GET /v3``, no authentication, as keystoneauth asks for it first),
password tokens (``POST /v3/auth/tokens``) and the project lookup (``GET /v3/projects``).

A token request must use the ``password`` method with one of the emulator's two IAM users (see
:mod:`.users`), its password and the domain (by name; the domain id is accepted too); the token
acts as that user. Scope: ``project.id`` equal to the emulator's project or
``project.name`` equal to its region gives a project token; a ``domain`` scope or no scope gives a
token without project (ModelArts refuses it with 401 ``ModelArts.0212``); another project is 401.
``?nocatalog`` drops the (always empty) catalog. Errors use the Keystone shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow_provider_modelarts.emulator.web import (
    BadJson,
    Context,
    Request,
    Response,
    RouteSpec,
    json_response,
    keystone_error,
)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def issue_token(ctx: Context, request: Request) -> Response:
    try:
        body = request.json_object()
    except BadJson as exc:
        return keystone_error(400, str(exc))
    identity = _get(body, "auth", "identity")
    methods = _get(identity, "methods")
    user = _get(identity, "password", "user")
    if not isinstance(methods, list) or not isinstance(user, dict):
        return keystone_error(400, "auth.identity.methods and auth.identity.password.user are required")
    if "password" not in methods:
        return keystone_error(400, "only the password method is supported")
    config = ctx.config
    domain = user.get("domain")
    domain_ok = isinstance(domain, dict) and (
        domain.get("name") == config.iam_domain or domain.get("id") == config.domain_id
    )
    who = ctx.users.password_user(user.get("name"), user.get("password"))
    if who is None or not domain_ok:
        return keystone_error(401, "The username or password is wrong.")
    scope = _get(body, "auth", "scope")
    project = _get(scope, "project")
    project_id: str | None = None
    if isinstance(project, dict):
        if project.get("id") == config.project_id or (
            "id" not in project and project.get("name") == config.region
        ):
            project_id = config.project_id
        else:
            return keystone_error(401, "The project in the scope does not exist or is not accessible.")
    elif scope is not None and not isinstance(_get(scope, "domain"), dict):
        return keystone_error(400, "auth.scope must name a project or a domain")
    value, issued_at, expires_at = ctx.issue_token(project_id, who)
    domain_view = {"id": config.domain_id, "name": config.iam_domain}
    token: dict[str, Any] = {
        "expires_at": iso(expires_at),
        "issued_at": iso(issued_at),
        "methods": ["password"],
        "user": {
            "id": who.id,
            "name": who.name,
            "domain": domain_view,
            "password_expires_at": "",
        },
        "roles": [{"id": "0", "name": "te_admin"}],
    }
    if project_id is not None:
        token["project"] = {"id": project_id, "name": config.region, "domain": domain_view}
    else:
        token["domain"] = domain_view
    if request.first("nocatalog") is None:
        token["catalog"] = []
    return json_response(201, {"token": token}, [("x-subject-token", value)])


def projects(ctx: Context, request: Request) -> Response:
    config = ctx.config
    name = request.first("name")
    project = {
        "id": config.project_id,
        "name": config.region,
        "domain_id": config.domain_id,
        "parent_id": config.domain_id,
        "description": "",
        "enabled": True,
        "is_domain": False,
    }
    shown = [project] if name in (None, config.region) else []
    return json_response(200, {"projects": shown, "links": {"self": "/v3/projects", "next": None}})


VERSION_UPDATED = "2016-04-04T00:00:00Z"  # the documented sample's values
VERSION_ID = "v3.6"


def version(ctx: Context, request: Request) -> Response:
    """The Keystone v3 version document; its ``self`` link is this emulator's ``/v3/``."""
    host = request.headers.get("host", "127.0.0.1")
    return json_response(
        200,
        {
            "version": {
                "id": VERSION_ID,
                "status": "stable",
                "updated": VERSION_UPDATED,
                "media-types": [
                    {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
                ],
                "links": [{"rel": "self", "href": f"http://{host}/v3/"}],
            }
        },
    )


PUBLIC_ROUTES = frozenset({"iam.version", "iam.tokens"})  # answered without authentication
ROUTES: list[RouteSpec] = [
    ("iam", r"/v3", {"GET": ("iam.version", version)}),
    ("iam", r"/v3/auth/tokens", {"POST": ("iam.tokens", issue_token)}),
    ("iam", r"/v3/projects", {"GET": ("iam.projects", projects)}),
]
