"""A small runner for the Postman collection docs/ holds (posapp/docgen.py writes it).

It sends the collection's requests in order, as Postman's runner would, and evaluates their
test scripts. The generator writes scripts from a fixed vocabulary; this runner implements all
of it and refuses any other line, so a new kind of script cannot pass unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

VARIABLE = re.compile(r"\{\{([^{}]+)\}\}")
COMMENT = re.compile(r"^// .*$")
HAS_STATUS = re.compile(
    r'^pm\.test\("([^"]+)", function \(\) \{ pm\.response\.to\.have\.status\((\d{3})\); \}\);$'
)
STATUS_AMONG = re.compile(
    r'^pm\.test\("([^"]+)", function \(\) \{ '
    r"pm\.expect\(pm\.response\.code\)\.to\.be\.oneOf\(\[(\d{3}(?:, \d{3})*)\]\); \}\);$"
)
SET_FROM_JSON = re.compile(
    r'^pm\.collectionVariables\.set\("(\w+)", pm\.response\.json\(\)\.(\w+)\);$'
)


class ScriptError(AssertionError):
    """A script line outside the vocabulary, or a variable nobody set."""


@dataclass
class Outcome:
    """One request sent: its name, method and URL, status, and the tests that failed."""

    name: str
    method: str
    url: str
    status: int
    failures: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)


def items(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The collection's requests in order, folders flattened."""
    for item in collection["item"]:
        if "item" in item:
            yield from items(item)
        else:
            yield item


class Runner:
    """Runs a collection against a base URL with its collection variables."""

    def __init__(self, collection: dict[str, Any], variables: dict[str, str]) -> None:
        self.collection = collection
        self.variables = {v["key"]: str(v["value"]) for v in collection.get("variable", [])}
        self.variables.update(variables)
        self.http = requests.Session()

    def resolve(self, text: str) -> str:
        """Fill in {{variables}}; an unknown one (a Postman dynamic like $guid) is refused."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.variables:
                raise ScriptError(f"no value for {{{{{name}}}}}")
            return self.variables[name]

        return VARIABLE.sub(value, text)

    def _url(self, url: dict[str, Any]) -> str:
        path_values = {v["key"]: v["value"] for v in url.get("variable", [])}
        segments = [
            str(path_values[s[1:]]) if s.startswith(":") else s for s in url.get("path", [])
        ]
        base = self.resolve("".join(url["host"]))
        query = [
            (q["key"], self.resolve(q["value"]))
            for q in url.get("query", [])
            if not q.get("disabled")
        ]
        target = base.rstrip("/") + "/" + "/".join(self.resolve(s) for s in segments)
        if query:
            target += "?" + requests.compat.urlencode(query)
        return target

    def _headers(self, request: dict[str, Any]) -> dict[str, str]:
        headers = {
            h["key"]: self.resolve(h["value"])
            for h in request.get("header", [])
            if not h.get("disabled")
        }
        auth = request.get("auth", self.collection.get("auth"))
        if auth is not None and auth["type"] == "bearer":
            token = next(e["value"] for e in auth["bearer"] if e["key"] == "token")
            headers["Authorization"] = f"Bearer {self.resolve(token)}"
        elif auth is not None and auth["type"] != "noauth":
            raise ScriptError(f"auth type {auth['type']!r} is not implemented")
        return headers

    def _script(self, lines: list[str], response: requests.Response, outcome: Outcome) -> None:
        checks: list[tuple[str, Callable[[], bool]]] = []
        for line in lines:
            if COMMENT.match(line):
                continue
            if found := HAS_STATUS.match(line):
                wanted = int(found.group(2))
                checks.append((found.group(1), lambda w=wanted: response.status_code == w))
            elif found := STATUS_AMONG.match(line):
                allowed = {int(code) for code in found.group(2).split(", ")}
                checks.append((found.group(1), lambda a=allowed: response.status_code in a))
            elif found := SET_FROM_JSON.match(line):
                name, key = found.groups()
                try:
                    self.variables[name] = str(response.json()[key])
                except (ValueError, KeyError):
                    outcome.failures.append(f"set {name}: the answer has no JSON {key}")
            else:
                raise ScriptError(f"script line outside the vocabulary: {line!r}")
        for name, check in checks:
            (outcome.passed if check() else outcome.failures).append(name)

    def run(self) -> list[Outcome]:
        """Send every request in order; return what each answered and which tests failed."""
        outcomes = []
        for item in items(self.collection):
            request = item["request"]
            url = self._url(request["url"])
            body = request.get("body")
            data = None
            if body is not None:
                if body.get("mode") != "raw":
                    raise ScriptError(f"body mode {body.get('mode')!r} is not implemented")
                data = self.resolve(body["raw"]).encode()
                json.loads(data)  # the collection's bodies are JSON
            response = self.http.request(
                request["method"], url, data=data, headers=self._headers(request), timeout=60
            )
            outcome = Outcome(item["name"], request["method"], url, response.status_code)
            for event in item.get("event", []):
                if event["listen"] != "test":
                    raise ScriptError(f"{event['listen']!r} scripts are not implemented")
                self._script(event["script"]["exec"], response, outcome)
            outcomes.append(outcome)
        return outcomes
