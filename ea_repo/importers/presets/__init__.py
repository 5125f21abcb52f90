"""Mappings shipped with ea-repo for the CMDBs architects meet most: ServiceNow and iTop.

Each preset is a mapping file (``<name>.yaml`` beside this module) whose
header comments state the exact columns it expects, so that exports can be
checked against it, or a workspace can copy it and adapt it.

>>> from ea_repo.metamodel import load_metamodel
>>> load_preset("servicenow", load_metamodel()).elements.key
('sys_id',)
"""

from __future__ import annotations

from importlib import resources

from ...errors import SourceError
from ...metamodel import Metamodel, load_metamodel
from ..mapping import CmdbMapping, mapping_from_text

PRESETS = ("servicenow", "itop")
"""The names of the shipped presets."""


def preset_text(name: str) -> str:
    """The YAML text of the preset called ``name`` (to copy and adapt)."""
    if name not in PRESETS:
        raise SourceError(f"unknown preset {name!r}", hint=f"presets: {', '.join(PRESETS)}")
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8")


def load_preset(name: str, metamodel: Metamodel | None = None) -> CmdbMapping:
    """The preset mapping called ``name``, checked against ``metamodel`` (default: built-in).

    Raises :class:`~ea_repo.errors.SourceError` for an unknown name, or when a
    custom metamodel lacks types the preset maps to (each problem located in
    the preset file).
    """
    return mapping_from_text(
        preset_text(name), f"<preset {name}.yaml>", metamodel or load_metamodel()
    )


__all__ = ["PRESETS", "load_preset", "preset_text"]
