"""Check one recorded HTTP request against its spec operation.

Every check returns a list of problems, one line each, naming the part of the request
(``path``, ``query page_size``, ``body.messages[0].content``, ``form expiry``, ...) and
the spec rule it breaks. An empty list means the request conforms.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, unquote

from .case import Case
from .spec import Operation, SchemaRef, Spec

__all__ = ["FormPart", "Sent", "check_request", "coerce", "parse_multipart"]

_INTEGER = re.compile(r"-?\d+")
_FILE = "<file>"
"""What a file part stands for when a form is validated (a binary string)."""


@dataclass(frozen=True)
class Sent:
    """The request under test, as the fake server recorded it (plus the raw query)."""

    method: str
    path: str
    """Raw, percent-encoded, no query."""
    raw_query: str
    """The query string as sent (repeated keys kept)."""
    headers: Mapping[str, str]
    """Case-insensitive."""
    body: bytes


@dataclass(frozen=True)
class FormPart:
    """One part of a ``multipart/form-data`` body."""

    name: str | None
    filename: str | None
    content_type: str
    value: bytes


def check_request(
    spec: Spec,
    op: Operation,
    case: Case,
    sent: Sent,
    path_values: Mapping[str, Any],
    api_key: str,
    admin_api_key: str | None = None,
) -> list[str]:
    """Everything that does not conform in ``sent``."""
    problems: list[str] = []
    if sent.method != op.method:
        problems.append(f"method: sent {sent.method}, the spec says {op.method}")
    problems += check_path(spec, op, sent.path, path_values)
    problems += check_query(spec, op, sent.raw_query)
    problems += check_headers(spec, op, sent.headers, api_key, admin_api_key)
    problems += check_body(spec, op, case, sent)
    return problems


# -- values from strings -----------------------------------------------------------------------


def _scalar(types: set[str], text: str) -> Any:
    if ("integer" in types or "number" in types) and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def coerce(spec: Spec, schema: SchemaRef, texts: Sequence[str]) -> list[Any]:
    """The typed values a parameter's strings may stand for, most likely first.

    Strings are converted by the schema's types: ``integer``/``number`` from digits,
    ``boolean`` from ``true``/``false`` only; an array parameter is its repeated keys.
    """
    types = spec.types(schema)
    candidates: list[Any] = []
    items = spec.array_items(schema) if "array" in types or "any" in types else None
    if items is not None:
        item_types = spec.types(items) if items.uri else {"any"}
        candidates.append([_scalar(item_types, text) for text in texts])
    if len(texts) == 1:
        candidates.append(_scalar(types, texts[0]))
    return candidates


def _check_value(spec: Spec, schema: SchemaRef, texts: Sequence[str], where: str) -> list[str]:
    candidates = coerce(spec, schema, texts)
    if not candidates:
        return [f"{where}: repeated {len(texts)} times, but the parameter is not an array"]
    first: list[str] = []
    for candidate in candidates:
        errors = spec.errors(schema, candidate, where)
        if not errors:
            return []
        first = first or errors
    return first


# -- path, query, headers ---------------------------------------------------------------------


def check_path(
    spec: Spec, op: Operation, raw_path: str, path_values: Mapping[str, Any]
) -> list[str]:
    """Each ``{param}`` of the template is one non-empty segment carrying the value passed."""
    template = op.path.split("/")
    segments = raw_path.split("/")
    if len(template) != len(segments):
        return [f"path: sent {raw_path!r}, which does not match the template {op.path!r}"]
    problems: list[str] = []
    declared = op.params("path")
    for expected, segment in zip(template, segments, strict=True):
        if not (expected.startswith("{") and expected.endswith("}")):
            if expected != segment:
                problems.append(f"path: sent {raw_path!r}, the template is {op.path!r}")
            continue
        name = expected[1:-1]
        value = unquote(segment)
        if not segment:
            problems.append(f"path {{{name}}}: empty segment in {raw_path!r}")
            continue
        if name not in path_values:
            problems.append(
                f"path {{{name}}}: cannot tell which argument carries it; name the SDK "
                f"parameter {name!r} or set Case.path_params"
            )
        elif value != str(path_values[name]):
            problems.append(
                f"path {{{name}}}: sent {value!r} (raw {segment!r}), "
                f"the call passed {path_values[name]!r}"
            )
        param = declared.get(name)
        if param is None:
            problems.append(f"path {{{name}}}: the spec declares no path parameter {name!r}")
        else:
            problems += _check_value(spec, param.schema, [value], f"path {{{name}}}")
    return problems


def _exploded_objects(spec: Spec, op: Operation) -> dict[str, tuple[str, bool]]:
    """Query keys that stand for a property of an object parameter sent in OpenAPI's
    default ``form`` style, exploded (``?fetch_user_data=false`` for ``query_filters``):
    key -> (parameter, whether the parameter takes any key)."""
    keys: dict[str, tuple[str, bool]] = {}
    for name, param in op.params("query").items():
        if param.json_encoded:
            continue
        for branch in spec.branches(param.schema):
            contents = branch.contents
            if not isinstance(contents, Mapping) or contents.get("type") != "object":
                continue
            properties, _ = spec.properties(branch)
            for key in properties:
                keys.setdefault(key, (name, False))
            if contents.get("additionalProperties", True) is not False and not properties:
                keys.setdefault("*", (name, True))
    return keys


def check_query(spec: Spec, op: Operation, raw_query: str) -> list[str]:
    """Every query parameter is declared and valid; the required ones are there.

    An object parameter may be sent exploded, one key per property (OpenAPI's default
    ``style: form, explode: true``); its keys are gathered and validated as the object.
    """
    problems: list[str] = []
    sent: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    declared = op.params("query")
    exploded = _exploded_objects(spec, op)
    objects: dict[str, dict[str, list[str]]] = {}
    for name, texts in sent.items():
        param = declared.get(name)
        if param is None:
            owner = exploded.get(name) or exploded.get("*")
            if owner is not None:
                objects.setdefault(owner[0], {})[name] = texts
                continue
            known = ", ".join(sorted(declared)) or "none"
            problems.append(f"query {name}: not a parameter of the operation (declared: {known})")
            continue
        if param.json_encoded:
            for text in texts:
                try:
                    value = json.loads(text)
                except ValueError:
                    problems.append(f"query {name}: declared as JSON, sent {text!r}")
                    continue
                problems += spec.errors(param.schema, value, f"query {name}")
            continue
        problems += _check_value(spec, param.schema, texts, f"query {name}")
    for name, fields in objects.items():
        param = declared[name]
        gathered: dict[str, Any] = {}
        for branch in spec.branches(param.schema):
            properties, _ = spec.properties(branch)
            for key, texts in fields.items():
                prop = properties.get(key)
                candidates = coerce(spec, prop, texts) if prop is not None else [texts[0]]
                gathered[key] = next(
                    (c for c in candidates if prop is None or not spec.errors(prop, c)),
                    candidates[0] if candidates else texts,
                )
            if properties:
                break
        problems += spec.errors(param.schema, gathered, f"query {name} (exploded)")
    for name, param in declared.items():
        if param.required and name not in sent and name not in objects:
            problems.append(f"query {name}: required by the spec, not sent")
    return problems


def check_headers(
    spec: Spec,
    op: Operation,
    headers: Mapping[str, str],
    api_key: str,
    admin_api_key: str | None = None,
) -> list[str]:
    """The credentials the operation's security schemes want, and its header parameters.

    ``ApiKey`` (or no security): ``Authorization: Bearer <api key>``; ``AdminApiKey``:
    ``Authorization: Bearer <admin key>``; ``DashboardUserContextAuth``: the API key in
    ``x-api-key``. One scheme the operation accepts must be satisfied, and no key goes in
    a header none of its schemes asks for.
    """
    problems: list[str] = []
    schemes = set(op.security) or {"ApiKey"}
    auth = headers.get("authorization")
    expected: dict[str, tuple[str, str]] = {}
    if "ApiKey" in schemes:
        expected["ApiKey"] = ("authorization", f"Bearer {api_key}")
    if "AdminApiKey" in schemes:
        expected["AdminApiKey"] = ("authorization", f"Bearer {admin_api_key or '<admin key>'}")
    if "DashboardUserContextAuth" in schemes:
        expected["DashboardUserContextAuth"] = ("x-api-key", api_key)
    unknown = schemes - {"ApiKey", "AdminApiKey", "DashboardUserContextAuth"}
    if unknown:
        problems.append(f"security: the checks do not know the scheme(s) {sorted(unknown)}")
    if expected and not any(headers.get(h) == v for h, v in expected.values()):
        wanted = " or ".join(
            f"{h.title() if h == 'authorization' else h}: {_masked(v, api_key, admin_api_key)}"
            for h, v in expected.values()
        )
        sent = f"Authorization {_masked(auth, api_key, admin_api_key)!r}"
        if "x-api-key" in headers:
            sent += f", x-api-key {_masked(headers['x-api-key'], api_key, admin_api_key)!r}"
        problems.append(f"header auth: sent {sent}, the spec's security wants {wanted}")
    if auth is not None and not any(h == "authorization" for h, _ in expected.values()):
        problems.append(
            f"header Authorization: sent {_masked(auth, api_key, admin_api_key)!r}, but the "
            f"operation's security ({', '.join(sorted(schemes))}) takes no bearer token"
        )
    if "x-api-key" in headers and "DashboardUserContextAuth" not in schemes:
        problems.append("header x-api-key: sent, but the operation's security does not use it")
    for name, param in op.params("header").items():
        value = headers.get(name)
        if value is None:
            if param.required:
                problems.append(f"header {name}: required by the spec, not sent")
            continue
        problems += _check_value(spec, param.schema, [value], f"header {name}")
    return problems


def _masked(value: str | None, api_key: str, admin_api_key: str | None) -> str | None:
    """A header value with the keys named, not shown."""
    if value is None:
        return None
    if admin_api_key:
        value = value.replace(admin_api_key, "<admin key>")
    return value.replace(api_key, "<api key>")


# -- body ------------------------------------------------------------------------------------


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.partition(";")[0].strip().lower()


def _accepts(headers: Mapping[str, str], media_type: str) -> bool:
    accept = headers.get("accept", "")
    offered = {_media_type(part) for part in accept.split(",")}
    return media_type in offered or "*/*" in offered


def check_body(spec: Spec, op: Operation, case: Case, sent: Sent) -> list[str]:
    """The body's type and contents, and the streaming rules."""
    problems: list[str] = []
    content_type = sent.headers.get("content-type")
    media_type = _media_type(content_type)
    fields: Mapping[str, Any] | None = None  # the body's top-level fields, when it has some
    if not sent.body:
        if op.body_required:
            declared = ", ".join(op.request_body)
            problems.append(f"body: the spec requires one ({declared}), none was sent")
    elif not op.request_body:
        problems.append(
            f"body: {len(sent.body)} bytes of {content_type!r} sent, "
            "but the operation takes no body"
        )
    elif media_type is None or media_type not in op.request_body:
        declared = ", ".join(op.request_body)
        problems.append(f"header Content-Type: sent {content_type!r}, the spec wants {declared}")
    else:
        schema = op.request_body[media_type].schema
        if media_type == "application/json" or media_type.endswith("+json"):
            try:
                payload = json.loads(sent.body)
            except ValueError as exc:
                problems.append(f"body: not valid JSON ({exc})")
            else:
                if schema is not None:
                    problems += spec.errors(schema, payload, "body")
                if isinstance(payload, dict):
                    fields = payload
        elif media_type == "multipart/form-data":
            parts, defects = parse_multipart(sent.body, content_type or "")
            problems += [f"form: {defect}" for defect in defects]
            if schema is not None:
                form_problems, fields = check_form(spec, schema, parts)
                problems += form_problems
        elif media_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(sent.body.decode("utf-8", "replace"), keep_blank_values=True)
            parts = [FormPart(n, None, "text/plain", v.encode()) for n, v in pairs]
            if schema is not None:
                form_problems, fields = check_form(spec, schema, parts)
                problems += form_problems
    problems += check_streaming(op, case, sent.headers, fields)
    return problems


def check_streaming(
    op: Operation, case: Case, headers: Mapping[str, str], fields: Mapping[str, Any] | None
) -> list[str]:
    """A stream asks for one (``"stream": true``, ``Accept: text/event-stream``); a plain
    call of an operation that can stream does not."""
    problems: list[str] = []
    flag = None if fields is None else fields.get("stream")
    if case.returns == "stream":
        if not op.streams:
            problems.append("stream: the case streams, the operation declares no event stream")
        if not _accepts(headers, "text/event-stream"):
            problems.append(
                f"header Accept: sent {headers.get('accept')!r} for a stream, "
                "it must accept text/event-stream"
            )
        if op.request_body and flag is not True:
            problems.append(f"body.stream: sent {flag!r}, a stream must send true")
    else:
        if op.stream_twin:
            problems.append("stream: a #stream operation needs a case with returns='stream'")
        if op.json_and_sse:
            if flag not in (None, False):
                problems.append(f"body.stream: sent {flag!r} for a non-streamed call")
            if not _accepts(headers, "application/json"):
                problems.append(
                    f"header Accept: sent {headers.get('accept')!r}, "
                    "it must accept application/json"
                )
    return problems


def parse_multipart(body: bytes, content_type: str) -> tuple[list[FormPart], list[str]]:
    """The parts of a ``multipart/form-data`` body, and what is malformed in it."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    defects = [type(d).__name__ for d in message.defects]
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return [], [*defects, "not a multipart body"]
    parts: list[FormPart] = []
    for part in message.iter_parts():
        defects += [type(d).__name__ for d in part.defects]
        disposition = part.get_content_disposition()
        if disposition != "form-data":
            defects.append(f"a part's Content-Disposition is {disposition!r}, not form-data")
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts.append(
            FormPart(
                name=name if isinstance(name, str) else None,
                filename=part.get_filename(),
                content_type=part.get_content_type(),
                value=payload if isinstance(payload, bytes) else b"",
            )
        )
    return parts, defects


def check_form(
    spec: Spec, schema: SchemaRef, parts: Sequence[FormPart]
) -> tuple[list[str], dict[str, Any]]:
    """Form fields are properties of the schema, files go where binaries go, text fields
    validate once typed; returns the problems and the typed fields."""
    problems: list[str] = []
    properties, _ = spec.properties(schema)
    texts: dict[str, list[str]] = {}
    files: dict[str, int] = {}
    for part in parts:
        name = part.name
        if name is None:
            problems.append("form: a part has no name")
            continue
        if name not in properties:
            known = ", ".join(sorted(properties))
            problems.append(f"form {name}: not a property of the body schema ({known})")
            continue
        if part.filename is not None:
            if not spec.is_binary(properties[name]):
                problems.append(f"form {name}: sent as a file, the schema wants no binary here")
            files[name] = files.get(name, 0) + 1
        else:
            texts.setdefault(name, []).append(part.value.decode("utf-8", "replace"))
    typed: dict[str, Any] = {}
    for name, count in files.items():
        prop = properties[name]
        is_array = spec.array_items(prop) is not None and "array" in spec.types(prop)
        typed[name] = [_FILE] * count if is_array else _FILE
        if count > 1 and not is_array:
            problems.append(f"form {name}: {count} files for a single-file field")
    for name, values in texts.items():
        if name in typed:
            problems.append(f"form {name}: sent both as a file and as text")
            continue
        candidates = coerce(spec, properties[name], values)
        if not candidates:
            problems.append(f"form {name}: repeated, but the field is not an array")
            continue
        typed[name] = next(
            (c for c in candidates if not spec.errors(properties[name], c)), candidates[0]
        )
    problems += spec.errors(schema, typed, "form")
    return problems, typed
