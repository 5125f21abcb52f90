"""Mappings shipped with ea-repo for the CMDBs architects meet most: ServiceNow and iTop;
and for incident exports: ServiceNow's incident list and a generic CSV/JSON.

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
"""The names of the shipped presets of CMDB exports."""

IMPORTER_PRESETS = {"cmdb": PRESETS, "incidents": ("servicenow", "generic")}
"""The shipped presets of each importer that reads through a mapping."""


def _file(name: str, importer: str) -> str:
    return f"{name}.yaml" if importer == "cmdb" else f"{importer}_{name}.yaml"


def preset_text(name: str, importer: str = "cmdb") -> str:
    """The YAML text of ``importer``'s preset called ``name`` (to copy and adapt)."""
    names = IMPORTER_PRESETS[importer]
    if name not in names:
        raise SourceError(f"unknown preset {name!r}", hint=f"presets: {', '.join(names)}")
    return resources.files(__name__).joinpath(_file(name, importer)).read_text("utf-8")


def load_preset(
    name: str, metamodel: Metamodel | None = None, importer: str = "cmdb"
) -> CmdbMapping:
    """``importer``'s preset mapping called ``name``, checked against ``metamodel``
    (default: built-in).

    Raises :class:`~ea_repo.errors.SourceError` for an unknown name, or when a
    custom metamodel lacks types the preset maps to (each problem located in
    the preset file).
    """
    return mapping_from_text(
        preset_text(name, importer),
        f"<preset {_file(name, importer)}>",
        metamodel or load_metamodel(),
    )


__all__ = ["IMPORTER_PRESETS", "PRESETS", "load_preset", "preset_text"]
