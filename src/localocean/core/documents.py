"""The one reader of YAML (and so JSON) documents given by users: seeds, state, tokens files."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_document(path: Path, what: str = "") -> Any:
    """The parsed document; ValueError with a message for the user if it cannot be read."""
    import yaml  # only when a document is read: it costs start-up time otherwise

    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read {what + ' ' if what else ''}{path}: {exc}") from exc


def read_text(text: str) -> Any:
    """A YAML (or JSON) document given as text; ValueError if it does not parse."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from exc


def dump_yaml(document: Any) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False)
