"""Several customers in one project: one Meltano environment per ERP instance and audience.

The environments are files of `environments/`, as environments/README.md describes; here
two of them, `sandbox-acme` and `sandbox-globex`, are the sandbox environment pointed at
two audiences and stores of the Mailchimp emulator.
"""

from __future__ import annotations

import copy
import typing as t

import yaml

from tests.conftest import PROJECT
from tests.workers import meltano_on, state_ids, worker_project

if t.TYPE_CHECKING:
    from pathlib import Path

JOB = "netsuite-to-mailchimp"
TENANTS = {"sandbox-acme": "acmelist", "sandbox-globex": "globexlist"}


def tenant_environments(project: Path) -> None:
    """`environments/sandbox-tenants.meltano.yml`: the sandbox, once per customer."""
    sandbox = next(
        environment
        for environment in yaml.safe_load((PROJECT / "meltano.yml").read_text())["environments"]
        if environment["name"] == "sandbox"
    )
    environments = []
    for name, list_id in TENANTS.items():
        environment = copy.deepcopy(sandbox)
        environment["name"] = name
        [target] = environment["config"]["plugins"]["loaders"]
        target["config"].update(list_id=list_id, store_id=f"{list_id}-store", store_name=name)
        environments.append(environment)
    folder = project / "environments"
    folder.mkdir()
    (folder / "sandbox-tenants.meltano.yml").write_text(
        yaml.safe_dump({"environments": environments})
    )


def audience(mailchimp: t.Any, list_id: str) -> set[str]:
    with mailchimp.store.lock:
        return {m.email_address.lower() for m in mailchimp.store.lists[list_id].members.values()}


def orders(mailchimp: t.Any, list_id: str) -> set[str]:
    with mailchimp.store.lock:
        store = mailchimp.store.ecommerce.get(f"{list_id}-store")
        assert store is None or store.list_id == list_id
        return set(store.orders) if store else set()


def test_two_customer_environments_keep_their_audiences_and_bookmarks_apart(
    sandbox_env, mailchimp_emulator, netsuite_emulator, tmp_path: Path
) -> None:
    for name, list_id in TENANTS.items():
        mailchimp_emulator.store.create_list(list_id, name)
    project = worker_project(tmp_path, "project", own=("environments",))
    tenant_environments(project)

    meltano_on(project, sandbox_env, "run", JOB, environment="sandbox-acme")
    acme = audience(mailchimp_emulator, "acmelist")
    assert len(acme) > 100
    assert audience(mailchimp_emulator, "globexlist") == set()
    assert orders(mailchimp_emulator, "acmelist")

    # Globex's first run is a first load of its own, not incremental from Acme's bookmarks.
    meltano_on(project, sandbox_env, "run", JOB, environment="sandbox-globex")
    assert audience(mailchimp_emulator, "globexlist") == acme
    assert orders(mailchimp_emulator, "globexlist") == orders(mailchimp_emulator, "acmelist")
    assert audience(mailchimp_emulator, mailchimp_emulator.default_list_id) == set()

    netsuite_emulator.calls.reset()
    mailchimp_emulator.calls.reset()
    meltano_on(project, sandbox_env, "run", JOB, environment="sandbox-acme")
    # Acme's second run starts from Acme's bookmarks: nothing changed, nothing written.
    assert [call for call in mailchimp_emulator.calls if call.method != "GET"] == []

    expected = {f"{name}:tap-netsuite-to-target-mailchimp" for name in TENANTS}
    for name in TENANTS:
        assert set(state_ids(project, sandbox_env, environment=name)) >= expected
