"""The chart check catches what a cluster would refuse (it runs in CI as `make deploy-check`)."""

from __future__ import annotations

import pytest

pytest.importorskip("helm_python", reason="the deploy extra (make deploy-check installs it)")

from deploy import check


def test_the_shipped_chart_renders_valid_manifests_with_default_and_egov_values() -> None:
    for case, layers in check.CASES.items():
        documents = check.render(case, layers)
        assert check.validate(case, documents) == [], case


def test_the_egov_values_take_the_database_from_egov_config_and_the_db_secret() -> None:
    documents = check.render("eGov", check.CASES["eGov values"])
    [deployment] = [d for d in documents if d["kind"] == "Deployment"]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DB_HOST"]["valueFrom"]["configMapKeyRef"] == {"name": "egov-config", "key": "db-host"}
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "db", "key": "password"}
    assert env["HELPDESK_DATABASE_URL"]["value"].startswith("postgresql://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST)")
    [init] = deployment["spec"]["template"]["spec"]["initContainers"]
    assert init["args"] == ["db", "upgrade"]


def test_a_manifest_a_cluster_would_refuse_is_reported() -> None:
    documents = check.render("broken", [{"replicas": "two"}])
    problems = check.validate("broken", documents)
    assert any("Deployment/helpdesk" in p and "two" in p for p in problems), problems
