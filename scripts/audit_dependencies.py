"""Known vulnerabilities in what the plugins run with: pip-audit over every Meltano plugin venv.

Usage: python scripts/audit_dependencies.py   (`make audit`; after `meltano install`)

The pinned set of every `.meltano/<kind>/<plugin>/venv` (our own packages, installed from
this repository, left out) goes to pip-audit at once, without resolution. The audit fails:

- on a known vulnerability that a released version fixes (bump the range in the plugin's
  `pyproject.toml`), unless `IGNORED` names it with a reason;
- on any dependency it could not audit, and when the vulnerability service cannot be
  reached: an audit that checked nothing must not pass.

Vulnerabilities without a fixed release are listed and do not fail.

pip-audit asks PyPI's per-release JSON API (`/pypi/<name>/<version>/json`). Some networks
let only the project API (`/pypi/<name>/json`) through; its `vulnerabilities` are those of
the latest release, so a dependency installed at its latest release is audited from there
instead. Any other is reported as not audited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import Distribution, distributions
from pathlib import Path

import requests
from packaging.utils import canonicalize_name

PROJECT = Path(__file__).resolve().parents[1]
PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 15

#: Vulnerability id → why it does not apply to us. Every entry needs a written reason.
IGNORED: dict[str, str] = {}


@dataclass
class Finding:
    """One package release and what the audit learnt about it."""

    name: str
    version: str
    environments: list[str] = field(default_factory=list)
    #: (vulnerability id, fixed versions)
    vulnerabilities: list[tuple[str, list[str]]] = field(default_factory=list)
    not_audited: str | None = None


def plugin_environments() -> dict[str, Path]:
    """The site-packages of each plugin venv Meltano created, by plugin name."""
    found = {}
    for venv in sorted((PROJECT / ".meltano").glob("*/*/venv")):
        for site in venv.glob("lib/python*/site-packages"):
            found[venv.parent.name] = site
    return found


def is_local(dist: Distribution) -> bool:
    """Installed from a directory (this repository's packages), not from an index."""
    direct_url = dist.read_text("direct_url.json")
    return bool(direct_url) and "dir_info" in json.loads(direct_url)


def pinned_releases(environments: dict[str, Path]) -> dict[tuple[str, str], Finding]:
    """Every third-party release installed, with the environments that hold it."""
    releases: dict[tuple[str, str], Finding] = {}
    for environment, site in environments.items():
        for dist in distributions(path=[str(site)]):
            if is_local(dist):
                continue
            name = canonicalize_name(dist.metadata["Name"])
            finding = releases.setdefault((name, dist.version), Finding(name, dist.version))
            finding.environments.append(environment)
    return releases


def run_pip_audit(pins: dict[str, str]) -> dict[str, t.Any]:
    """pip-audit's JSON report of `name==version` pins; exits when it produced none."""
    with tempfile.TemporaryDirectory() as folder:
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
        report = Path(folder) / "report.json"
        command = [
            sys.executable, "-m", "pip_audit",
            "--requirement", str(requirements),
            "--no-deps", "--disable-pip",  # the venvs are resolved already
            "--format", "json", "--output", str(report),
            "--progress-spinner", "off", "--timeout", str(TIMEOUT),
            *(f"--ignore-vuln={vulnerability}" for vulnerability in IGNORED),
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if not report.exists():
            said = completed.stderr.strip().splitlines() or ["nothing"]
            sys.exit(
                "FAIL: pip-audit produced no report: the vulnerability service (PyPI's JSON "
                f"API) is unreachable or failed. Its last word: {said[-1]}"
            )
        return json.loads(report.read_text())


def pin_sets(releases: t.Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The releases as few sets of pins as can be: pip-audit refuses two versions of one
    package in one run."""
    sets: list[dict[str, str]] = []
    for name, version in sorted(releases):
        pins = next((pins for pins in sets if name not in pins), None)
        if pins is None:
            pins = {}
            sets.append(pins)
        pins[name] = version
    return sets


def latest_release_vulnerabilities(
    session: requests.Session, finding: Finding
) -> list[tuple[str, list[str]]] | str:
    """The release's vulnerabilities from PyPI's project API, if it is the latest release;
    else why it cannot be audited so."""
    try:
        response = session.get(PYPI_PROJECT.format(name=finding.name), timeout=TIMEOUT)
    except requests.RequestException as error:
        return f"PyPI unreachable ({type(error).__name__})"
    if response.status_code == 404:
        return "not on PyPI"
    if not response.ok:
        return f"PyPI answered {response.status_code}"
    project = response.json()
    latest = project["info"]["version"]
    if latest != finding.version:
        return (
            f"PyPI's per-release API gave no answer, and {finding.version} is not the latest "
            f"release ({latest}) that the project API describes"
        )
    return [
        (vulnerability["id"], list(vulnerability.get("fixed_in") or []))
        for vulnerability in project.get("vulnerabilities") or []
        if not vulnerability.get("withdrawn") and vulnerability["id"] not in IGNORED
    ]


def audit(releases: dict[tuple[str, str], Finding]) -> None:
    """Fill in each finding from pip-audit, and from the project API where it skipped."""
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(run_pip_audit, pin_sets(releases)))
    skipped = []
    for dependency in (d for report in reports for d in report["dependencies"]):
        name = canonicalize_name(dependency["name"])
        if "skip_reason" in dependency:  # the report names no version then
            skipped.extend(f for (n, _), f in releases.items() if n == name and f not in skipped)
            continue
        finding = releases[(name, dependency["version"])]
        finding.vulnerabilities = [
            (vulnerability["id"], vulnerability["fix_versions"])
            for vulnerability in dependency["vulns"]
        ]
    with requests.Session() as session, ThreadPoolExecutor(8) as pool:
        answers = pool.map(lambda f: latest_release_vulnerabilities(session, f), skipped)
        for finding, answer in zip(skipped, answers, strict=True):
            if isinstance(answer, str):
                finding.not_audited = answer
            else:
                finding.vulnerabilities = answer


def main() -> int:
    started = time.monotonic()
    environments = plugin_environments()
    if not environments:
        print("FAIL: no plugin venv under .meltano/: run `make install` first.")
        return 1
    releases = pinned_releases(environments)
    audit(releases)

    fixable: list[str] = []
    unfixed: list[str] = []
    not_audited: list[str] = []
    by_environment: dict[str, int] = defaultdict(int)
    for finding in sorted(releases.values(), key=lambda f: (f.name, f.version)):
        for environment in finding.environments:
            by_environment[environment] += 1
        where = ", ".join(finding.environments)
        if finding.not_audited:
            not_audited.append(f"{finding.name} {finding.version} ({where}): {finding.not_audited}")
        for vulnerability, fixed in finding.vulnerabilities:
            line = f"{finding.name} {finding.version} ({where}): {vulnerability}"
            if fixed:
                fixable.append(f"{line}, fixed in {', '.join(fixed)}")
            else:
                unfixed.append(f"{line}, no fixed release yet")

    print(
        f"Looked up {len(releases)} third-party releases in {len(environments)} plugin venvs "
        f"({', '.join(f'{name}: {count}' for name, count in sorted(by_environment.items()))}) "
        f"in {time.monotonic() - started:.1f} s."
    )
    for reason_id, reason in IGNORED.items():
        print(f"ignored {reason_id}: {reason}")
    for line in unfixed:
        print(f"known, not failing: {line}")
    for line in fixable:
        print(f"FAIL, vulnerable (bump the range in the plugin's pyproject.toml): {line}")
    # A release that is not the latest cannot be looked up from this network: when that
    # happens to a few (a newer release came out that our ranges exclude), CI should not
    # turn red for it; AUDIT_STRICT=1 makes it fail, and nothing audited at all always does.
    strict = os.environ.get("AUDIT_STRICT") == "1" or len(not_audited) == len(releases)
    for line in not_audited:
        print(f"{'FAIL' if strict else 'WARNING'}, not audited: {line}")
    if fixable or (not_audited and strict):
        return 1
    audited = len(releases) - len(not_audited)
    print(f"No known vulnerability with a fixed release ({audited} of {len(releases)} audited).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
