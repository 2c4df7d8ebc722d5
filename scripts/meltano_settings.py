"""Print a plugin's settings as `meltano.yml` entries, from its `--about --format=json`.

Usage: python scripts/meltano_settings.py target-mailchimp

Paste the output under the plugin's `settings:`; a test checks meltano.yml against the
plugin's own settings, so a new setting cannot be forgotten.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Settings every SDK plugin gains; meltano.yml lists only the plugin's own and stream maps.
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
KINDS = {"boolean": "boolean", "integer": "integer", "object": "object", "array": "array"}


def settings_yaml(executable: str) -> str:
    """The `settings:` entries for one plugin, indented for meltano.yml."""
    about = json.loads(
        subprocess.run(  # noqa: S603 - the plugin's own console script
            [executable, "--about", "--format=json"], check=True, capture_output=True, text=True
        ).stdout
    )
    lines = []
    for name, spec in about["settings"]["properties"].items():
        if name in SDK_BUILTINS:
            continue
        types = spec.get("type") or "string"
        main_type = next(t for t in ([types] if isinstance(types, str) else types) if t != "null")
        lines.append(f"    - name: {name}")
        if spec.get("title"):
            lines.append(f"      label: {spec['title']}")
        if spec.get("enum"):
            lines.append("      kind: options")
            lines.append("      options:")
            lines += [f"      - {{label: {value}, value: {value}}}" for value in spec["enum"]]
        elif main_type in KINDS:
            lines.append(f"      kind: {KINDS[main_type]}")
        description = json.dumps(spec.get("description", ""), ensure_ascii=False)
        lines.append(f"      description: {description}")
        if spec.get("secret"):
            lines.append("      sensitive: true")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_yaml(sys.argv[1]))
