"""The inline mapper: tap streams in, target-mailchimp's input streams out."""

from __future__ import annotations

import json
import os
import typing as t
from functools import cached_property
from importlib import resources
from pathlib import Path

from singer_sdk import singerlib as singer
from singer_sdk import typing as th
from singer_sdk.mapper_base import InlineMapper

from erp_mailchimp_mapper.mapping import Mapping

# The key of each output stream, as target-mailchimp keys it.
KEYS = {
    "members": ["email_address"],
    "customers": ["id"],
    "products": ["id"],
    "orders": ["id"],
    "member_tags": ["source_id"],
}


def contract_schema(stream: str) -> dict[str, t.Any]:
    """target-mailchimp's JSON Schema for one of its input streams."""
    text = resources.files("erp_mailchimp_mapper.contract").joinpath(f"{stream}.json").read_text()
    schema: dict[str, t.Any] = json.loads(text)
    return schema


class ErpMailchimpMapper(InlineMapper):
    """Maps ERP streams to target-mailchimp's members, customers, products and orders."""

    name = "erp-mailchimp-mapper"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "mapping_file",
            th.StringType,
            required=True,
            title="Mapping File",
            description="The ERP's mapping (e.g. `transforms/netsuite.yml`), relative to the "
            "Meltano project or the working directory.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._announced: set[str] = set()
        self._source_keys: dict[str, list[str]] = {}

    @cached_property
    def mapping(self) -> Mapping:
        """The mapping file, read once."""
        path = Path(self.config["mapping_file"])
        if not path.is_absolute():
            path = Path(os.environ.get("MELTANO_PROJECT_ROOT", ".")) / path
        return Mapping.load(path)

    def map_schema_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        """The contract's schema for every target stream this source feeds."""
        source = message_dict["stream"]
        rules = self.mapping.rules.get(source)
        if not rules:
            self.logger.info("Stream %s is not in the mapping: dropped", source)
            return
        self.mapping.check(source, message_dict["schema"])
        self._source_keys[source] = list(message_dict.get("key_properties") or [])
        for rule in rules:
            if rule.target not in self._announced:
                self._announced.add(rule.target)
                yield singer.SchemaMessage(
                    stream=rule.target,
                    schema=contract_schema(rule.target),
                    key_properties=KEYS[rule.target],
                )

    def map_record_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        """Each record becomes zero or more target records."""
        source, record = message_dict["stream"], message_dict["record"]
        label = ", ".join(f"{key}={record.get(key)}" for key in self._source_keys.get(source, []))
        for rule, built in self.mapping.apply(source, record, label):
            yield singer.RecordMessage(stream=rule.target, record=built)

    def map_state_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        """State passes through unchanged: the tap's bookmarks."""
        yield singer.StateMessage(value=message_dict["value"])

    def map_activate_version_message(self, message_dict: dict) -> t.Iterable[singer.Message]:
        """target-mailchimp keeps no table versions: dropped."""
        return []

    def process_endofpipe(self) -> None:
        """Log how many records each rule wrote, skipped (with the reason) and failed."""
        super().process_endofpipe()
        for rules in self.mapping.rules.values():
            for rule in rules:
                failed = f", {rule.failed} failed (see the warnings)" if rule.failed else ""
                self.logger.info(
                    "%s → %s: %d written, %d skipped (%s)%s",
                    rule.source,
                    rule.target,
                    rule.written,
                    rule.skipped,
                    rule.skip_reason,
                    failed,
                )
