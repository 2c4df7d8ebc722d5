"""target-mailchimp as Meltano runs it: installed from meltano.yml, configured by environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT, SAMPLES

SAMPLE = (SAMPLES / "members.singer").read_text()


def test_sample_members_land_in_the_emulated_audience(mailchimp_emulator, meltano) -> None:
    mailchimp_emulator.seed(json.loads((SAMPLES / "demo-seed.json").read_text()))
    result = meltano("invoke", "target-mailchimp", stdin=SAMPLE)
    ingrid = mailchimp_emulator.member("ingrid.svensson@nordvik-logistics.se")
    assert ingrid["status"] == "subscribed"
    assert ingrid["merge_fields"]["ADDRESS"]["city"] == "Goteborg"
    assert {tag["name"] for tag in ingrid["tags"]} == {"segment:Wholesale"}
    # The unsubscribed customer stays unsubscribed; the inactive one was never created.
    assert mailchimp_emulator.member("hannah.schmidt@alpenholz.at")["status"] == "unsubscribed"
    assert mailchimp_emulator.member("closed.account@brightwater-ltd.co.uk") is None
    # The newest of two records for one person won.
    noah = mailchimp_emulator.member("noah.williams@harborsupply.com")
    assert noah["merge_fields"]["FNAME"] == "Noah"
    # State is passed on after the writes, and the summary table is logged.
    assert json.loads(result.stdout.strip().splitlines()[-1])["bookmarks"]["customers"]
    assert "members" in result.stderr
    assert "summary:" in result.stderr
    assert mailchimp_emulator.calls.count("POST /3.0/lists/{list_id}") == 1
    assert mailchimp_emulator.contract_violations == []


def test_rerun_through_meltano_makes_no_write_calls(mailchimp_emulator, meltano) -> None:
    meltano("invoke", "target-mailchimp", stdin=SAMPLE)
    mailchimp_emulator.calls.reset()
    meltano("invoke", "target-mailchimp", stdin=SAMPLE)
    assert [call.route for call in mailchimp_emulator.calls if call.method != "GET"] == []


def test_secrets_stay_out_of_meltano_output(mailchimp_emulator, meltano) -> None:
    secret = mailchimp_emulator.api_key
    outputs = [
        meltano("invoke", "target-mailchimp", stdin=SAMPLE).output,
        meltano("config", "list", "target-mailchimp").output,
        meltano("--log-level=debug", "invoke", "target-mailchimp", stdin=SAMPLE).output,
    ]
    mailchimp_emulator.configure(api_keys=["rotated0000000000000000000000000-us21"])
    failed = meltano("invoke", "target-mailchimp", stdin=SAMPLE, check=False)
    assert failed.returncode != 0
    outputs.append(failed.output)
    assert "API Key Invalid" in failed.output
    for output in outputs:
        assert secret not in output


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("loaders", "target-mailchimp"),
        ("extractors", "tap-netsuite"),
        ("extractors", "tap-oracle-fusion"),
        ("extractors", "tap-acumatica"),
        ("extractors", "tap-jde"),
        ("extractors", "tap-exact"),
        ("mappers", "erp-mailchimp-mapper"),
    ],
)
def test_meltano_yml_describes_every_setting_of_each_plugin(meltano, kind, name) -> None:
    project = yaml.safe_load((PROJECT / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"][kind] if p["name"] == name)
    about = json.loads(
        subprocess.run(
            [str(Path(sys.executable).parent / plugin["executable"]), "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    properties = about["settings"]["properties"]
    declared = {setting["name"]: setting for setting in plugin["settings"]}
    assert set(properties) - SDK_BUILTINS == set(declared)
    for setting_name, setting in declared.items():
        assert setting.get("description"), f"{setting_name} has no description"
        secret = bool(properties[setting_name].get("secret"))
        assert bool(setting.get("sensitive")) == secret, setting_name
    assert "variant" not in plugin
    assert plugin["pip_url"].startswith("-e ./")


SDK_BUILTINS = {
    "add_record_metadata",
    "load_method",
    "validate_records",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "batch_config",
}
