"""A fake JIRA (Server/Data Center REST API v2) on 127.0.0.1, for the real `jira` client to talk to.

It keeps projects, issue types, priorities, issues with their comments and attachments, and answers in
JIRA's shapes: `{"errorMessages": [...], "errors": {field: message}}` for a refusal, 401 without the
token, and scripted failures (`fail`) for JIRA being down. `issue_updated` and `comment_created` build the
webhook bodies JIRA would post when its state changes.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.clock import FixedClock

USER = "helpdesk-bot@example.org"
TOKEN = "jira-api-token"  # noqa: S105 (the fake's own credential)
PROJECT = {"id": "10000", "key": "MUKTA", "name": "MUKTASoft"}
ISSUE_TYPES = [
    {"id": "10001", "name": "Bug", "subtask": False, "description": "A problem which impairs product function."},
    {"id": "10002", "name": "Improvement", "subtask": False, "description": "An improvement to a feature."},
    {"id": "10003", "name": "Task", "subtask": False, "description": "A task that needs to be done."},
]
PRIORITIES = [{"id": str(n), "name": name} for n, name in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), 1)]
STATUSES = {"open": {"id": "1", "name": "Open"}, "progress": {"id": "3", "name": "In Progress"},
            "done": {"id": "10001", "name": "Done"}}
TRANSITIONS = [{"id": "21", "name": "Start Progress", "to": STATUSES["progress"]},
               {"id": "31", "name": "Resolve", "to": STATUSES["done"]}]


class JiraError(Exception):
    def __init__(self, status: int, messages: list[str], errors: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.messages, self.errors = status, messages, errors or {}


@dataclass
class Failure:
    method: str
    path: str  # a regular expression matched against the path after /rest/api/2/
    status: int
    times: int
    after: bool  # True: do the work, then fail (JIRA did it, but its answer was lost)


@dataclass
class State:
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeJira:
    """The server and the test's handle on it; state is guarded by one lock (the server runs in a thread)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or FixedClock()  # the time JIRA stamps on issues, comments and events
        self._lock = threading.Lock()
        self._state = State()
        self._ids = itertools.count(10100)
        self.url = ""

    def _now(self) -> str:
        return _stamp(self._clock())

    # -- the test's side --------------------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int = 500, times: int = 1, *, after: bool = False) -> None:
        with self._lock:
            self._state.failures.append(Failure(method, path, status, times, after))

    def issues(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(i) for i in self._state.issues.values()]

    def calls(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._state.calls)

    def issue_updated(self, key: str, changed: dict[str, tuple[str | None, str | None]]) -> dict[str, Any]:
        """The body JIRA posts for `jira:issue_updated` after the fields in `changed` (from, to) changed."""
        with self._lock:
            issue = self._state.issues[key]
            items = [{"field": name, "fieldtype": "jira", "fromString": old, "toString": new}
                     for name, (old, new) in changed.items()]
            return {"timestamp": int(self._clock().timestamp() * 1000), "webhookEvent": "jira:issue_updated",
                    "issue_event_type_name": "issue_generic", "user": {"name": "dev1", "displayName": "Dev One"},
                    "issue": self._issue_json(issue), "changelog": {"id": str(next(self._ids)), "items": items}}

    def comment_created(self, key: str, body: str, *, internal: bool = False) -> dict[str, Any]:
        """A developer's comment added on the issue, and the `comment_created` body JIRA posts for it."""
        with self._lock:
            issue = self._state.issues[key]
            comment = self._new_comment(issue, body, {"name": "dev1", "displayName": "Dev One"})
            if internal:
                comment["visibility"] = {"type": "role", "value": "Developers"}
            return {"timestamp": int(self._clock().timestamp() * 1000), "webhookEvent": "comment_created",
                    "comment": comment, "issue": self._issue_json(issue)}

    def set_fix_version(self, key: str, version: str) -> None:
        with self._lock:
            self._state.issues[key]["fields"]["fixVersions"] = [{"id": str(next(self._ids)), "name": version}]

    # -- server -------------------------------------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[FakeJira]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        app = Starlette(routes=[Route("/rest/api/2/{path:path}", self._endpoint, methods=["GET", "POST", "PUT"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    async def _endpoint(self, request: Request) -> Response:
        path, method = request.path_params["path"], request.method
        body = await request.body()
        with self._lock:
            self._state.calls.append((method, path))
            try:
                anonymous_ok = method == "GET" and path == "serverInfo"  # as in JIRA
                if not anonymous_ok and not self._authorised(request.headers.get("authorization", "")):
                    raise JiraError(401, ["You are not authenticated. Authentication required to perform this "
                                          "operation."])
                failure = self._failure(method, path)
                if failure is not None and not failure.after:
                    raise JiraError(failure.status, ["Internal server error"])
                result, status = self._route(method, path, request, body)
                if failure is not None:
                    raise JiraError(failure.status, ["Internal server error"])
            except JiraError as err:
                return JSONResponse({"errorMessages": err.messages, "errors": err.errors}, status_code=err.status)
        return Response(status_code=204) if status == 204 else JSONResponse(result, status_code=status)

    def _authorised(self, header: str) -> bool:
        basic = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        return header in (basic, f"Bearer {TOKEN}")

    def _failure(self, method: str, path: str) -> Failure | None:
        for failure in self._state.failures:
            if failure.method == method and re.fullmatch(failure.path, path) and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    def _route(self, method: str, path: str, request: Request, body: bytes) -> tuple[Any, int]:
        q = request.query_params
        parts = path.strip("/").split("/")
        match method, parts:
            case "GET", ["serverInfo"]:
                return {"baseUrl": self.url, "version": "9.12.2", "versionNumbers": [9, 12, 2],
                        "deploymentType": "Server", "buildNumber": 9120002, "serverTitle": "Fake JIRA"}, 200
            case "GET", ["myself"]:
                return {"name": "helpdesk-bot", "emailAddress": USER, "displayName": "Helpdesk bot",
                        "active": True}, 200
            case "GET", ["project", key]:
                return self._project(key), 200
            case "GET", ["issuetype"]:
                return [self._issue_type(t) for t in ISSUE_TYPES], 200
            case "GET", ["priority"]:
                return [{**p, "self": f"{self.url}/rest/api/2/priority/{p['id']}"} for p in PRIORITIES], 200
            case "GET", ["status"]:
                return [{**s, "self": f"{self.url}/rest/api/2/status/{s['id']}"} for s in STATUSES.values()], 200
            case "GET", ["field"]:
                return [{"id": f, "name": f.title(), "custom": False, "clauseNames": [f]}
                        for f in ("summary", "description", "labels", "priority", "comment", "attachment")], 200
            case ("GET" | "POST"), ["search"]:
                return self._search(q.get("jql", ""), int(q.get("maxResults", "50"))), 200
            case "POST", ["issue"]:
                return self._create(request_json(body)), 201
            case "GET", ["issue", key]:
                return self._issue_json(self._issue(key)), 200
            case "POST", ["issue", key, "comment"]:
                author = {"name": "helpdesk-bot", "displayName": "Helpdesk bot", "emailAddress": USER}
                return self._new_comment(self._issue(key), str(request_json(body).get("body", "")), author), 201
            case "GET", ["issue", key, "comment"]:
                comments = self._issue(key)["fields"]["comment"]["comments"]
                return {"startAt": 0, "maxResults": len(comments), "total": len(comments), "comments": comments}, 200
            case "POST", ["issue", key, "attachments"]:
                return self._attach(self._issue(key), request, body), 200
            case "GET", ["issue", key, "transitions"]:
                return {"expand": "transitions", "transitions": TRANSITIONS}, 200
            case "POST", ["issue", key, "transitions"]:
                self._transition(self._issue(key), request_json(body))
                return None, 204
        raise JiraError(404, [f"{method} /rest/api/2/{path} is not implemented by this fake"])

    def _project(self, key: str) -> dict[str, Any]:
        if key not in (PROJECT["key"], PROJECT["id"]):
            raise JiraError(404, [f"No project could be found with key '{key}'."])
        return {**PROJECT, "self": f"{self.url}/rest/api/2/project/{PROJECT['id']}",
                "issueTypes": [self._issue_type(t) for t in ISSUE_TYPES]}

    def _issue_type(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {**raw, "self": f"{self.url}/rest/api/2/issuetype/{raw['id']}"}

    def _issue(self, key: str) -> dict[str, Any]:
        issue = self._state.issues.get(key.upper())
        if issue is None:
            raise JiraError(404, ["Issue Does Not Exist"])
        return issue

    def _issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/2/issue/{issue['id']}",
                "fields": issue["fields"]}

    def _search(self, jql: str, limit: int) -> dict[str, Any]:
        m = re.fullmatch(r'\s*labels\s*=\s*"?([^"\s]+)"?\s*', jql)
        if m is None:
            raise JiraError(400, [f"The fake understands only `labels = X`, not: {jql}"])
        found = [self._issue_json(i) for i in self._state.issues.values() if m.group(1) in i["fields"]["labels"]]
        return {"expand": "schema,names", "startAt": 0, "maxResults": limit, "total": len(found),
                "issues": found[:limit]}

    def _create(self, data: dict[str, Any]) -> dict[str, Any]:
        fields = data.get("fields") or {}
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key") or (fields.get("project") or {}).get("id")
        if project not in (PROJECT["key"], PROJECT["id"]):
            errors["project"] = "valid project is required"
        type_name = (fields.get("issuetype") or {}).get("name")
        issue_type = next((t for t in ISSUE_TYPES if type_name in (t["name"], t.get("id"))), None)
        if issue_type is None:
            errors["issuetype"] = "valid issue type is required"
        if not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif "\n" in fields["summary"] or len(fields["summary"]) > 255:
            errors["summary"] = "The summary must be one line of less than 255 characters."
        priority = fields.get("priority")
        if priority is not None and not any(p["name"] == priority.get("name") for p in PRIORITIES):
            errors["priority"] = f"The priority selected is invalid: {priority}"
        labels = fields.get("labels") or []
        if any(" " in label for label in labels):
            errors["labels"] = "The label must not contain spaces."
        if errors:
            raise JiraError(400, [], errors)
        number = 1 + len(self._state.issues)
        issue_id = str(next(self._ids))
        key = f"{PROJECT['key']}-{number}"
        self._state.issues[key] = {
            "id": issue_id, "key": key,
            "fields": {
                "project": PROJECT, "issuetype": issue_type, "summary": fields["summary"],
                "description": fields.get("description"), "labels": list(labels),
                "priority": next((p for p in PRIORITIES if priority and p["name"] == priority["name"]), None),
                "status": STATUSES["open"], "resolution": None, "fixVersions": [], "created": self._now(),
                "updated": self._now(), "comment": {"comments": [], "maxResults": 0, "total": 0, "startAt": 0},
                "attachment": [],
            },
            "attachment_bytes": {},
        }
        return {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/2/issue/{issue_id}"}

    def _new_comment(self, issue: dict[str, Any], body: str, author: dict[str, Any]) -> dict[str, Any]:
        comment_id = str(next(self._ids))
        comment = {"id": comment_id, "self": f"{self.url}/rest/api/2/issue/{issue['id']}/comment/{comment_id}",
                   "author": author, "body": body, "created": self._now(), "updated": self._now()}
        thread = issue["fields"]["comment"]
        thread["comments"].append(comment)
        thread["total"] = thread["maxResults"] = len(thread["comments"])
        return comment

    def _attach(self, issue: dict[str, Any], request: Request, body: bytes) -> list[dict[str, Any]]:
        if request.headers.get("x-atlassian-token") != "no-check":
            raise JiraError(403, ["XSRF check failed"])
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        saved = []
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") != "file":
                continue
            data = part.get_payload(decode=True) or b""
            name = part.get_filename() or "unnamed"
            attachment_id = str(next(self._ids))
            meta = {"id": attachment_id, "self": f"{self.url}/rest/api/2/attachment/{attachment_id}",
                    "filename": name, "size": len(data), "mimeType": part.get_content_type(), "created": self._now(),
                    "content": f"{self.url}/secure/attachment/{attachment_id}/{name}"}
            issue["fields"]["attachment"].append(meta)
            issue["attachment_bytes"][name] = data
            saved.append(meta)
        if not saved:
            raise JiraError(400, ["No file was attached (expected a multipart part named 'file')."])
        return saved

    def _transition(self, issue: dict[str, Any], data: dict[str, Any]) -> None:
        wanted = str((data.get("transition") or {}).get("id"))
        transition = next((t for t in TRANSITIONS if t["id"] == wanted), None)
        if transition is None:
            raise JiraError(400, [f"Transition id '{wanted}' is not valid for this issue."])
        issue["fields"]["status"] = transition["to"]
        if transition["to"] is STATUSES["done"]:
            issue["fields"]["resolution"] = {"id": "10000", "name": "Fixed"}
        issue["fields"]["updated"] = self._now()


def request_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as err:
        raise JiraError(400, [f"Unexpected character in the request body: {err}"]) from err
    if not isinstance(data, dict):
        raise JiraError(400, ["The request body must be a JSON object."])
    return data
