"""Discovery, endpoint versions, the site path and the served definitions."""

from __future__ import annotations

import requests
from acumatica_helpers import LATEST, VERSIONS, login

from erp_sandbox.acumatica import AcumaticaEmulator


def test_discovery_lists_every_default_version_under_the_site_path(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    assert emu.base_url.endswith("/AcumaticaERP")
    response = requests.get(emu.base_url + "/entity/", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"version", "endpoints"}
    assert body["version"]["acumaticaBuildVersion"]
    assert body["endpoints"] == [
        {"name": "Default", "version": v, "href": f"/AcumaticaERP/entity/Default/{v}/"}
        for v in VERSIONS
    ]


def test_a_version_the_instance_does_not_offer_is_a_bare_404(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    session = login(emu)
    for path in (
        "/entity/Default/25.200.001/Customer",
        "/entity/Default/21.200.001/Customer/C000001",
        "/entity/eCommerce/24.200.001/Customer",
        "/entity/Default/24.200.001/NoSuchEntity",
        "/entity/Default/24.200.001",
    ):
        response = session.get(emu.base_url + path, timeout=10)
        assert response.status_code == 404, path
        assert response.content == b"", path
    emu.configure(endpoint_versions=["22.200.001", "23.200.001"])
    assert session.get(emu.endpoint_url(LATEST) + "/Customer", timeout=10).status_code == 404
    assert session.get(emu.endpoint_url("23.200.001") + "/Customer", timeout=10).status_code == 200
    discovery = session.get(emu.base_url + "/entity/", timeout=10).json()
    versions = [endpoint["version"] for endpoint in discovery["endpoints"]]
    assert versions == ["22.200.001", "23.200.001"]


def test_paths_outside_the_site_path_are_not_the_instance(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    assert requests.get(emu.server_url + "/entity/", timeout=10).status_code == 404
    for base in (emu.server_url, emu.base_url):
        health = requests.get(base + "/_sandbox/health", timeout=10)
        assert health.json() == {"status": "ok", "emulator": "acumatica"}


def test_the_instance_can_sit_at_the_site_root(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    emu.configure(site_path="")
    assert emu.base_url == emu.server_url
    session = login(emu)
    assert session.get(emu.endpoint_url() + "/StockItem?$top=1", timeout=10).status_code == 200


def test_each_version_serves_its_own_definition(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    old = session.get(emu.endpoint_url("22.200.001") + "/swagger.json", timeout=10).json()
    new = session.get(emu.endpoint_url(LATEST) + "/swagger.json", timeout=10).json()
    assert old["swagger"] == "2.0"
    assert old["basePath"] == "/entity/Default/22.200.001"
    assert new["openapi"] == "3.0.1"
    assert requests.get(emu.endpoint_url() + "/swagger.json", timeout=10).status_code == 401
