"""``/api/openapi.json``: the API described in OpenAPI 3, made from the marshmallow schemas.

The requests are the schemas the views load (:mod:`schemas.sync`), the answers those of
:mod:`schemas.api`, and each operation lists the refusals it can answer with the codes of
docs/PROTOCOL.md, so a client generator gets the same contract a person reads there
(``tests/api/test_openapi.py`` holds the two together; ``tests/api/test_fuzz.py`` checks
the server against this description). Public, like PROTOCOL.md: no token is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, request
from marshmallow import Schema

from schemas import api as answers
from schemas import fields as f
from schemas.evidence import MAX_CHUNK
from schemas.sync import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    DeviceSignInSchema,
    PullRequestSchema,
    PushRequestSchema,
    ResolveConflictSchema,
)

bp = Blueprint("openapi", __name__)
PATH = "/api/openapi.json"
PREFIX = "/api/v1"

#: Every API request (§1): the protocol version, and a database outage.
_ALWAYS = {426: ["upgrade_required"], 503: ["database_unavailable"]}
#: With a device token.
_TOKEN = {401: ["invalid_token", "device_revoked"]}
#: With a JSON body.
_BODY = {
    400: ["bad_json", "bad_gzip"],
    413: ["body_too_large"],
    415: ["unsupported_encoding"],
    422: ["invalid_request"],
}


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    ok: tuple[int, type[Schema]]
    body: type[Schema] | None = None
    token: bool = True
    refusals: dict[int, list[str]] = field(default_factory=dict)
    query: list[dict[str, Any]] = field(default_factory=list)
    #: Request headers beyond the protocol's (an upload's ``Upload-Offset``).
    headers: list[dict[str, Any]] = field(default_factory=list)
    #: A body that is not JSON: its content by media type (an upload chunk).
    raw_body: dict[str, Any] | None = None
    #: A success that is not JSON: its content by media type (an image).
    ok_content: dict[str, Any] | None = None

    def codes(self) -> dict[int, list[str]]:
        """Status → the codes it may carry: this operation's, and those every request
        of its kind may get."""
        out: dict[int, list[str]] = {}
        for part in (_ALWAYS, _TOKEN if self.token else {}, _BODY if self.body else {}):
            for status, codes in part.items():
                out.setdefault(status, []).extend(codes)
        for status, codes in self.refusals.items():
            out.setdefault(status, []).extend(c for c in codes if c not in out[status])
        return dict(sorted(out.items()))


def evidence_operations() -> list[Operation]:
    """The upload and file routes of evidence photos (§9)."""
    image = {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
    }
    chunk = {
        "application/offset+octet-stream": {
            "schema": {"type": "string", "format": "binary", "maxLength": MAX_CHUNK}
        }
    }
    offset = {
        "name": "Upload-Offset",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
        "description": "The server's offset, where this chunk starts (§9)",
    }
    return [
        Operation(
            "get",
            "/evidence/{evidence_id}/upload",
            "Where a photo's upload stands (§9)",
            (200, answers.UploadState),
            refusals={404: ["not_found"]},
        ),
        Operation(
            "patch",
            "/evidence/{evidence_id}/upload",
            "The next chunk of a photo's bytes (§9)",
            (200, answers.UploadState),
            headers=[offset],
            raw_body=chunk,
            refusals={
                400: ["bad_offset", "bad_request"],
                404: ["not_found"],
                409: ["offset_mismatch", "quota_exceeded"],
                413: ["body_too_large"],
                415: ["unsupported_media_type", "unsupported_encoding"],
                422: ["hash_mismatch", "not_an_image", "image_too_large", "upload_too_large"],
            },
        ),
        Operation(
            "get",
            "/evidence/{evidence_id}/file",
            "The server's re-encoded photo (§9)",
            (200, answers.UploadState),
            refusals={404: ["not_found"]},
            ok_content=image,
        ),
        Operation(
            "get",
            "/evidence/{evidence_id}/thumb",
            "The photo's thumbnail, 320 px on its longest side (§9)",
            (200, answers.UploadState),
            refusals={404: ["not_found"]},
            ok_content=image,
        ),
    ]


#: Every route of the API (PROTOCOL §2–§7, §9), in the order PROTOCOL.md tells them.
OPERATIONS = [
    Operation(
        "post",
        "/devices",
        "Sign a device in, with a password or an enrolment code (§2)",
        (201, answers.SignedIn),
        body=DeviceSignInSchema,
        token=False,
        refusals={
            401: ["bad_credentials", "enrolment_code_invalid"],
            403: ["device_taken"],
            429: ["too_many_requests"],
            503: ["service_unavailable"],
        },
    ),
    Operation(
        "post",
        "/sync/push",
        "Push the outbox, applied exactly once (§3)",
        (200, answers.PushAnswer),
        body=PushRequestSchema,
        refusals={
            400: ["bad_batch"],
            403: ["device_mismatch"],
            409: ["mutation_gap", "mutation_mismatch"],
            413: ["batch_too_large"],
        },
    ),
    Operation(
        "get",
        "/conflicts",
        "Open conflicts of the records the user may see (§4)",
        (200, answers.Conflicts),
        refusals={400: ["invalid_request"]},
        query=[
            {
                "name": "record_id",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "format": "uuid"},
            }
        ],
    ),
    Operation(
        "post",
        "/conflicts/{conflict_id}/resolve",
        "Resolve a conflict (§4)",
        (200, answers.Resolved),
        body=ResolveConflictSchema,
        refusals={
            403: ["forbidden"],
            404: ["not_found"],
            409: [
                "conflict_resolved",
                "record_verified",
                "status_not_allowed",
                "unit_closed",
                "date_in_future",
            ],
            422: ["validation_failed"],
        },
    ),
    Operation(
        "post",
        "/sync/pull",
        "Pull the changes after a cursor (§5)",
        (200, answers.PullAnswer),
        body=PullRequestSchema,
        refusals={403: ["device_mismatch"], 409: ["resync_required"]},
    ),
    Operation("get", "/devices", "The user's own devices (§7)", (200, answers.Devices)),
    Operation(
        "post",
        "/devices/{device_id}/revoke",
        "Revoke a device (§7)",
        (200, answers.Device),
        refusals={404: ["not_found"]},
    ),
    Operation(
        "get",
        "/users/{user_id}/devices",
        "The devices of someone the user manages (§7)",
        (200, answers.Devices),
        refusals={404: ["not_found"]},
    ),
    Operation(
        "post",
        "/users/{user_id}/enrolment-codes",
        "A one-time enrolment code for someone the user manages (§7)",
        (201, answers.EnrolmentCode),
        refusals={404: ["not_found"], 409: ["user_inactive"]},
    ),
    Operation(
        "post",
        "/users/{user_id}/deactivate",
        "Deactivate someone the user manages (§7)",
        (200, answers.Deactivated),
        refusals={404: ["not_found"]},
    ),
    *evidence_operations(),
]

_PATH_PARAMETERS = {
    "conflict_id": {"type": "string", "format": "uuid"},
    "device_id": {"type": "string", "format": "uuid"},
    "user_id": {"type": "integer", "minimum": 1, "maximum": f.MAX_INT},
    "evidence_id": {"type": "string", "format": "uuid"},
}


def _bounds(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """The limits our own fields keep as attributes, not as marshmallow validators."""
    out: dict[str, Any] = {}
    if isinstance(field, f.OneOf):
        out["enum"] = list(field.choices)
    elif isinstance(field, f.String):
        out["maxLength"] = field.max_length
        if not field.allow_blank:
            out["minLength"] = 1
    if isinstance(field, f.Integer | f.Decimal):
        if field.min_value is not None:
            out["minimum"] = field.min_value
        if field.max_value is not None:
            out["maximum"] = field.max_value
    return out


def _name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def _operation(op: Operation) -> dict[str, Any]:
    status, ok = op.ok
    parameters: list[dict[str, Any]] = [
        {
            "name": "Sodoan-Protocol",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": ["1"]},
            "description": "The protocol version (§1); anything else answers 426",
        },
        *op.query,
        *op.headers,
    ]
    for name, schema in _PATH_PARAMETERS.items():
        if "{" + name + "}" in op.path:
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    responses: dict[str, Any] = {
        str(status): {
            "description": "Done",
            "content": op.ok_content or {"application/json": {"schema": _name(ok)}},
        }
    }
    if op.ok_content is not None:
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    for code_status, codes in op.codes().items():
        responses[str(code_status)] = {
            "description": ", ".join(codes),
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Error"},
                            {"properties": {"code": {"enum": codes}}},
                        ]
                    }
                }
            },
        }
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.method + op.path.replace("/", "_").replace("{", "").replace("}", ""),
        "parameters": parameters,
        "responses": responses,
        "security": [{"device": []}] if op.token else [],
    }
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _name(op.body)}},
        }
    if op.raw_body is not None:
        out["requestBody"] = {"required": True, "content": op.raw_body}
    return out


def build() -> dict[str, Any]:
    """The description, as a dict (made once per process: see :func:`openapi_json`)."""
    plugin = MarshmallowPlugin(schema_name_resolver=_name)
    spec = APISpec(
        title="Sổ Đoàn sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": (
                "The contract is docs/PROTOCOL.md; this is the same in OpenAPI. Every answer "
                "that is not a success has the shape of Error (§1). A request body is at "
                f"most {MAX_BODY_BYTES} bytes as sent and nests at most {MAX_JSON_DEPTH} "
                "levels deep."
            )
        },
        servers=[{"url": PREFIX}],
    )
    plugin.converter.add_attribute_function(_bounds)
    spec.components.security_scheme(
        "device", {"type": "http", "scheme": "bearer", "description": "A device token (§2)"}
    )
    spec.components.schema("Error", schema=answers.Error)
    for op in OPERATIONS:
        for schema in (op.body, op.ok[1]):
            if schema is not None and _name(schema) not in spec.components.schemas:
                spec.components.schema(_name(schema), schema=schema)
    for op in OPERATIONS:
        spec.path(path=op.path, operations={op.method: _operation(op)})
    return spec.to_dict()


def openapi_json(app: Flask) -> bytes:
    """The description as bytes, made on first use and kept for the app's life."""
    cached = app.extensions.get("sodoan_openapi")
    if cached is None:
        cached = json.dumps(build(), ensure_ascii=False, sort_keys=True).encode()
        app.extensions["sodoan_openapi"] = cached
    return cached


@bp.get(PATH)
def description() -> Response:
    response = Response(openapi_json(current_app), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.add_etag()
    return response.make_conditional(request)
