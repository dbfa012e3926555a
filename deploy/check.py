"""`make deploy-check`: lint the Helm chart, render it with the default and the eGov values, and validate
every manifest against the Kubernetes schemas, offline (Helm's own Go SDK through `helm-python-sdk`;
schemas shipped inside `kubernetes-validate`). Also parses the compose file. Exit 1 on any problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "helm" / "helpdesk"
KUBERNETES = "1.30.0"  # the oldest version the chart promises (Chart.yaml kubeVersion is >=1.25; schemas of 1.30)
CASES: dict[str, list[dict[str, Any]]] = {
    "default values": [],
    "eGov values": [yaml.safe_load((CHART / "values-egov.yaml").read_text())],
    "migration as a hook, one replica, no volume": [{
        "replicas": 1, "initContainers": {"dbMigration": {"mode": "hook"}}, "persistence": {"enabled": False},
    }],
}
EXPECTED_KINDS = {"Deployment", "Service", "ConfigMap"}


def merged(layers: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        out = _deep_merge(out, layer)
    return out


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def lint() -> list[str]:
    problems = []
    for layers in CASES.values():
        result = helm.lint(str(CHART), values=merged(layers), strict=True)
        problems += [f"lint: {message}" for message in _messages(result)]
    return problems


WARNING = 2  # Helm's lint severities: 1 info, 2 warning, 4 error


def _messages(result: Any) -> list[str]:
    """Lint findings of severity warning or error, as text ("path: what")."""
    found = result.get("messages", []) if isinstance(result, dict) else list(result or [])
    return [f"{m.get('path')}: {m.get('error')}" for m in found
            if isinstance(m, dict) and int(m.get("severity", WARNING)) >= WARNING]


def render(name: str, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(merged(layers), name="helpdesk", namespace="mukta")
    documents = []
    for path, text in sorted(files.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        documents += [doc for doc in yaml.safe_load_all(text) if doc]
    return documents


def validate(case: str, documents: list[dict[str, Any]]) -> list[str]:
    problems = []
    kinds = {doc.get("kind") for doc in documents}
    missing = EXPECTED_KINDS - kinds
    if missing:
        problems.append(f"{case}: no {', '.join(sorted(missing))} rendered")
    for doc in documents:
        where = f"{case}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as err:
            problems.append(f"{where}: {err.message}")
        except kubernetes_validate.SchemaNotFoundError as err:
            problems.append(f"{where}: no schema ({err})")
    return problems


def check_compose() -> list[str]:
    compose = yaml.safe_load((HERE / "compose.yaml").read_text())
    problems = []
    services = compose.get("services", {})
    for wanted in ("db", "helpdesk", "proxy"):
        if wanted not in services:
            problems.append(f"compose: no service {wanted!r}")
    for name, service in services.items():
        if "image" not in service and "build" not in service:
            problems.append(f"compose: service {name!r} has neither image nor build")
    return problems


def main() -> int:
    problems = lint() + check_compose()
    for case, layers in CASES.items():
        documents = render(case, layers)
        print(f"{case}: {len(documents)} manifests ({', '.join(sorted(d['kind'] for d in documents))})")
        problems += validate(case, documents)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("deploy-check: " + (f"{len(problems)} problem(s)" if problems else "chart and compose file are valid"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
