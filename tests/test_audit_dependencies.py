"""`make audit` (scripts/audit_dependencies.py): what fails the dependency audit and what
does not, on plugin venvs made up in a temporary directory."""

from __future__ import annotations

import importlib.util
import sys
import typing as t

import pytest

from tests.conftest import PROJECT

if t.TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    import requests_mock as requests_mock_module


@pytest.fixture
def audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script, looking for plugin venvs under `tmp_path/.meltano`."""
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", PROJECT / "scripts" / "audit_dependencies.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "PROJECT", tmp_path)
    return module


def install(root: Path, plugin: str, name: str, version: str, *, local: bool = False) -> None:
    """Put a distribution's metadata into a plugin venv the way pip and uv leave it."""
    site = root / ".meltano" / "extractors" / plugin / "venv" / "lib" / "python3.11"
    info = site / "site-packages" / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if local:
        (info / "direct_url.json").write_text(
            '{"url": "file:///work/tap-x", "dir_info": {"editable": true}}'
        )


def report(*dependencies: dict[str, t.Any]) -> t.Callable[[dict[str, str]], dict[str, t.Any]]:
    """A stand-in for pip-audit that answers with these dependencies."""

    def run(pins: dict[str, str]) -> dict[str, t.Any]:
        return {"dependencies": [d for d in dependencies if d["name"] in pins], "fixes": []}

    return run


def test_a_vulnerability_with_a_fixed_release_fails_and_names_the_plugin(
    audit, tmp_path, monkeypatch, capsys
) -> None:
    install(tmp_path, "tap-x", "requests", "2.31.0")
    install(tmp_path, "tap-x", "tap-x", "0.1.0", local=True)  # ours: not asked about
    vulnerable = {"id": "GHSA-9wx4-h78v-vm56", "fix_versions": ["2.32.0"]}
    monkeypatch.setattr(
        audit,
        "run_pip_audit",
        report({"name": "requests", "version": "2.31.0", "vulns": [vulnerable]}),
    )

    assert audit.main() == 1
    output = capsys.readouterr().out
    assert "requests 2.31.0 (tap-x): GHSA-9wx4-h78v-vm56, fixed in 2.32.0" in output
    assert "tap-x 0.1.0" not in output


def test_a_vulnerability_without_a_fixed_release_is_listed_and_passes(
    audit, tmp_path, monkeypatch, capsys
) -> None:
    install(tmp_path, "tap-x", "ecdsa", "0.19.2")
    unfixed = {"id": "GHSA-wj6h-64fc-37mp", "fix_versions": []}
    monkeypatch.setattr(
        audit, "run_pip_audit", report({"name": "ecdsa", "version": "0.19.2", "vulns": [unfixed]})
    )

    assert audit.main() == 0
    assert "known, not failing: ecdsa 0.19.2 (tap-x)" in capsys.readouterr().out


def test_a_skipped_release_is_audited_from_the_project_api_only_when_it_is_the_latest(
    audit, tmp_path, monkeypatch, capsys, requests_mock: requests_mock_module.Mocker
) -> None:
    install(tmp_path, "tap-x", "urllib3", "2.8.0")
    install(tmp_path, "tap-x", "python-backoff", "2.4.0")
    skipped = "Dependency not found on PyPI and could not be audited"
    monkeypatch.setattr(
        audit,
        "run_pip_audit",
        report(
            {"name": "urllib3", "skip_reason": skipped},
            {"name": "python-backoff", "skip_reason": skipped},
        ),
    )
    requests_mock.get(
        "https://pypi.org/pypi/urllib3/json",
        json={"info": {"version": "2.8.0"}, "vulnerabilities": []},
    )
    requests_mock.get(
        "https://pypi.org/pypi/python-backoff/json",
        json={"info": {"version": "3.0.0"}, "vulnerabilities": []},
    )

    assert audit.main() == 0  # a warning: one newer release out of reach must not break CI
    output = capsys.readouterr().out
    assert "WARNING, not audited: python-backoff 2.4.0 (tap-x)" in output
    assert "urllib3" not in output.split("WARNING", 1)[1]
    assert "(1 of 2 audited)" in output

    monkeypatch.setenv("AUDIT_STRICT", "1")
    assert audit.main() == 1
    assert "FAIL, not audited: python-backoff 2.4.0 (tap-x)" in capsys.readouterr().out


def test_nothing_audited_always_fails(
    audit, tmp_path, monkeypatch, capsys, requests_mock: requests_mock_module.Mocker
) -> None:
    install(tmp_path, "tap-x", "python-backoff", "2.4.0")
    skipped = "Dependency not found on PyPI and could not be audited"
    monkeypatch.setattr(
        audit, "run_pip_audit", report({"name": "python-backoff", "skip_reason": skipped})
    )
    requests_mock.get(
        "https://pypi.org/pypi/python-backoff/json",
        json={"info": {"version": "3.0.0"}, "vulnerabilities": []},
    )
    assert audit.main() == 1
    assert "FAIL, not audited" in capsys.readouterr().out


def test_an_unreachable_vulnerability_service_fails_and_says_so(
    audit, tmp_path, monkeypatch
) -> None:
    install(tmp_path, "tap-x", "requests", "2.34.2")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")

    with pytest.raises(SystemExit, match=r"vulnerability service .* is unreachable"):
        audit.main()


def test_no_plugin_venv_fails(audit, capsys) -> None:
    assert audit.main() == 1
    assert "run `make install` first" in capsys.readouterr().out
