"""Write the repository (or a selection of it) as an ArchiMate 3.x Model Exchange File.

The file follows the Open Group exchange schema (``archimate3_Model.xsd``):
``<model>`` with its name, then ``<elements>``, ``<relationships>``,
``<organizations>`` and ``<propertyDefinitions>`` in that order, so that Archi's
*Import Open Exchange XML Model* and other tools read it.

* Element and relationship types are written through the same mapping the
  importer reads (:file:`ea_repo/importers/archimate.yaml`), backwards: a type
  no ArchiMate type maps to is written as its parent's (a Server as a Node) or
  as the mapping's ``export_elements`` / ``export_relationships`` say, and its
  exact type travels in the property ``ea-repo:type`` so that a re-import
  gives it back.
* Attributes become properties (named as the attribute; defaults left out),
  ``description`` the documentation, ``names`` / ``descriptions`` the language
  variants, ``folder`` the organizations tree, ``properties`` the properties
  they hold.
* Identifiers must be XML names (``xs:ID``); an id that is not (``ci:42``,
  ``a|runs_on|b``) is written as a derived identifier with the original in the
  property ``ea-repo:id``.

Output is deterministic: items sorted by id, properties by name, no dates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..errors import SourceError
from ..importers.archimate import (
    ACCESS_MODES,
    META_ID,
    META_PREFIX,
    META_TYPE,
    NS,
    OWN_ATTRIBUTES,
    ArchimateMapping,
)
from ..metamodel import AttrType, Metamodel
from ..model import Element, Relation
from ..results import Table

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MODES = {mode: access for access, mode in ACCESS_MODES.items() if mode}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class ExportStats:
    """What an export wrote."""

    elements: int = 0
    relations: int = 0
    properties: int = 0
    left_out: list[str] = field(default_factory=list)  # relations whose ends are not exported


@dataclass(frozen=True)
class ExportOutcome:
    """An export written to a file, as ``ea export archimate -o FILE`` reports it: what it
    holds, and with ``--plateaus`` the gap between its two states."""

    file: str
    stats: ExportStats
    gap: Any = None  # a ScenarioGap, for a plateaus export

    def to_tables(self) -> list[Table]:
        s = self.stats
        tables = [
            Table(
                f"wrote {self.file}",
                ["elements", "relations", "properties", "relations left out"],
                [[s.elements, s.relations, s.properties, len(s.left_out)]],
            )
        ]
        return tables + (self.gap.to_tables() if self.gap is not None else [])

    def to_data(self) -> dict[str, Any]:
        s = self.stats
        data: dict[str, Any] = {
            "file": self.file,
            "elements": s.elements,
            "relations": s.relations,
            "properties": s.properties,
            "left_out": s.left_out,
        }
        if self.gap is not None:
            data["gap"] = self.gap.to_data()
        return data

    def notes(self) -> list[str]:
        """The relations left out, if any (the gap's notes are not repeated)."""
        left_out = self.stats.left_out
        if not left_out:
            return []
        return [f"note: {len(left_out)} relation(s) with an end outside the selection left out"]


def _text(value: str) -> str:
    # A carriage return written raw would come back as a line feed (XML normalises line ends).
    return escape(_CONTROL.sub("", value), {"\r": "&#13;"})


def _attr(value: str) -> str:
    return quoteattr(_CONTROL.sub("", value), {"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


class _Identifiers:
    """XML identifiers for repository ids: the id itself when it is an XML name."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.of: dict[str, str] = {}

    def get(self, item_id: str) -> tuple[str, bool]:
        """``(identifier, renamed)``."""
        if item_id in self.of:
            return self.of[item_id], self.of[item_id] != item_id
        ident = item_id
        if not _NCNAME.match(ident) or ident in self.taken:
            digest = hashlib.blake2b(item_id.encode(), digest_size=4).hexdigest()
            ident = f"id-{_NOT_NAME.sub('-', item_id).strip('-')[:60]}-{digest}"
        self.taken.add(ident)
        self.of[item_id] = ident
        return ident, ident != item_id


def _written(
    elements: Collection[str], relations: Iterable[Relation], left_out: list[str]
) -> list[Relation]:
    """The relations to write, sorted by id: those between the elements written, and those
    from an element to one of these (a plateau aggregating a relationship, ArchiMate 3);
    the others' ids go to ``left_out``."""
    between: list[Relation] = []
    rest: list[Relation] = []
    for r in relations:
        (between if r.src in elements and r.dst in elements else rest).append(r)
    ends = {*elements, *(r.id for r in between)}
    for r in rest:
        if r.src in ends and r.dst in ends:
            between.append(r)
        else:
            left_out.append(r.id)
    left_out.sort()
    return sorted(between, key=lambda r: r.id)


class ArchimateExporter:
    """Write elements and relations as an exchange file, through ``mapping`` read backwards."""

    def __init__(self, metamodel: Metamodel, mapping: ArchimateMapping) -> None:
        self.metamodel = metamodel
        self.mapping = mapping

    def _element_type(self, element: Element) -> str:
        found = self.mapping.archimate_element_type(element.type, self.metamodel)
        if found is None:
            raise SourceError(
                f"element type {element.type!r} has no ArchiMate type to be written as "
                f"(element {element.id!r})",
                hint="name one under `export_elements:` in a mapping file given with --mapping",
            )
        return found

    def write(
        self,
        elements: Iterable[Element],
        relations: Iterable[Relation],
        *,
        name: str = "ea-repo",
    ) -> tuple[str, ExportStats]:
        """The exchange file's text for these elements and the relations between them."""
        stats = ExportStats()
        ids = _Identifiers()
        els = sorted(elements, key=lambda e: e.id)
        if not els:
            raise SourceError(
                "nothing to export: the selection holds no element",
                hint="an exchange file needs at least one element; check --select",
            )
        exported = {e.id for e in els}
        for e in els:
            ids.get(e.id)
        rels = _written(exported, relations, stats.left_out)
        for r in rels:
            ids.get(r.id)
        propdefs: dict[str, str] = {}  # property name -> identifier, filled while writing

        def props_xml(props: Mapping[str, str], indent: str) -> list[str]:
            if not props:
                return []
            out = [f"{indent}<properties>"]
            for key in sorted(props):
                propdefs.setdefault(key, "")
                out.append(
                    f'{indent}  <property propertyDefinitionRef="\x00{key}\x00">'
                    f"<value>{_text(props[key])}</value></property>"
                )
                stats.properties += 1
            out.append(f"{indent}</properties>")
            return out

        body: list[str] = ["  <elements>"]
        folders: dict[str, list[str]] = {}
        for e in els:
            xtype = self._element_type(e)
            ident, renamed = ids.get(e.id)
            props = self._properties(e.type, e.attrs, is_element=True)
            if renamed:
                props[META_ID] = e.id
            if self.mapping.elements.get(xtype) != e.type:
                props[META_TYPE] = e.type
            body.append(f"    <element identifier={_attr(ident)} xsi:type={_attr(xtype)}>")
            body += self._texts(e.attrs, e.name or e.id, "name", "names", "      ")
            body += self._texts(
                e.attrs, e.attrs.get("description"), "documentation", "descriptions", "      "
            )
            body += props_xml(props, "      ")
            body.append("    </element>")
            folder = e.attrs.get("folder")
            if folder:
                folders.setdefault(str(folder), []).append(ident)
            stats.elements += 1
        body.append("  </elements>")
        if rels:
            body.append("  <relationships>")
            for r in rels:
                body += self._relationship(r, ids, props_xml, folders)
                stats.relations += 1
            body.append("  </relationships>")
        if folders:
            body += self._organizations(folders)
        if propdefs:
            numbered = {key: f"propid-{n}" for n, key in enumerate(sorted(propdefs), start=1)}
            body.append("  <propertyDefinitions>")
            for key, ident in numbered.items():
                body.append(
                    f'    <propertyDefinition identifier="{ident}" type="string">'
                    f"<name>{_text(key)}</name></propertyDefinition>"
                )
            body.append("  </propertyDefinitions>")
            text = "\n".join(body)
            text = re.sub("\x00(.*?)\x00", lambda m: numbered[m.group(1)], text, flags=re.S)
        else:
            text = "\n".join(body)
        digest = hashlib.blake2b("\n".join(sorted(exported)).encode(), digest_size=8).hexdigest()
        model_id = f"model-{digest}"
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<model xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            f' xsi:schemaLocation="{NS} http://www.opengroup.org/xsd/archimate/3.1/archimate3_Diagram.xsd"'
            f' identifier="{model_id}">',
            f"  <name>{_text(name)}</name>",
        ]
        return "\n".join([*head, text, "</model>", ""]), stats

    # ----------------------------------------------------------------- parts

    def _texts(
        self,
        attrs: Mapping[str, Any],
        main: Any,
        tag: str,
        variants_key: str,
        indent: str,
    ) -> list[str]:
        variants = attrs.get(variants_key)
        if isinstance(variants, Mapping) and variants:
            out = []
            if main and str(main) not in variants.values():
                out.append(f"{indent}<{tag}>{_text(str(main))}</{tag}>")
            for lang in sorted(variants):
                lang_attr = f" xml:lang={_attr(lang)}" if lang else ""
                out.append(f"{indent}<{tag}{lang_attr}>{_text(str(variants[lang]))}</{tag}>")
            return out
        if main is None or main == "":
            return []
        return [f"{indent}<{tag}>{_text(str(main))}</{tag}>"]

    def _properties(
        self, type_name: str, attrs: Mapping[str, Any], *, is_element: bool
    ) -> dict[str, str]:
        specs = (
            self.metamodel.element_types[type_name].attributes
            if is_element
            else self.metamodel.relation_types[type_name].attributes
        )
        props: dict[str, str] = {}
        for key, value in attrs.items():
            if key in OWN_ATTRIBUTES or value is None or value == "" or value == []:
                continue
            spec = specs.get(key)
            if spec is not None and spec.default is not None and value == spec.default:
                continue  # a re-import fills it again
            if spec is not None and spec.type is AttrType.MAP:
                continue
            props[key] = _value_text(value)
        extra = attrs.get("properties")
        if isinstance(extra, Mapping):
            for key, value in extra.items():
                props.setdefault(str(key), str(value))
        return props

    def _relationship(
        self,
        r: Relation,
        ids: _Identifiers,
        props_xml: Any,
        folders: dict[str, list[str]],
    ) -> list[str]:
        attrs = dict(r.attrs)
        src, dst = r.src, r.dst
        xtype_given = attrs.pop("archimate_type", None)
        meta_type = None
        if xtype_given and xtype_given in self.mapping.relationships:
            xtype = str(xtype_given)
        else:
            found = self.mapping.archimate_relationship_type(r.type)
            if found is None:
                raise SourceError(
                    f"relationship type {r.type!r} has no ArchiMate type to be written as "
                    f"(relation {r.id!r})",
                    hint="name one under `export_relationships:` in a mapping file given with --mapping",
                )
            xtype, reverse = found
            if reverse:
                src, dst = dst, src
            # A type the ArchiMate type is read back as needs no hint; the others do.
            if r.type not in self.mapping.relationships.get(xtype, ()):
                meta_type = r.type
        extra: dict[str, str] = {}
        if isinstance(attrs.get("properties"), Mapping):
            extra = {str(k): str(v) for k, v in attrs["properties"].items()}
        xml_attrs = ""
        mode = attrs.pop("mode", None) or extra.pop(f"{META_PREFIX}mode", None)
        modifier = attrs.pop("modifier", None) or extra.pop(f"{META_PREFIX}modifier", None)
        directed = attrs.pop("directed", None)
        if directed is None:
            directed = extra.pop(f"{META_PREFIX}directed", None) == "true"
        if xtype == "Access":
            xml_attrs += f' accessType="{_MODES.get(str(mode), "Access") if mode else "Access"}"'
        elif mode:
            extra[f"{META_PREFIX}mode"] = str(mode)
        if xtype == "Influence" and modifier:
            xml_attrs += f" modifier={_attr(str(modifier))}"
        elif modifier:
            extra[f"{META_PREFIX}modifier"] = str(modifier)
        if xtype == "Association" and directed:
            xml_attrs += ' isDirected="true"'
        elif directed:
            extra[f"{META_PREFIX}directed"] = "true"
        attrs["properties"] = extra
        props = self._properties(r.type, attrs, is_element=False)
        ident, renamed = ids.get(r.id)
        if renamed:
            props[META_ID] = r.id
        if meta_type:
            props[META_TYPE] = meta_type
        out = [
            f"    <relationship identifier={_attr(ident)} source={_attr(ids.get(src)[0])}"
            f" target={_attr(ids.get(dst)[0])} xsi:type={_attr(xtype)}{xml_attrs}>"
        ]
        out += self._texts(attrs, attrs.get("title"), "name", "names", "      ")
        out += self._texts(
            attrs, attrs.get("description"), "documentation", "descriptions", "      "
        )
        out += props_xml(props, "      ")
        out.append("    </relationship>")
        if len(out) == 2:
            out = [out[0][:-1] + " />"]
        folder = attrs.get("folder")
        if folder:
            folders.setdefault(str(folder), []).append(ident)
        return out

    def _organizations(self, folders: dict[str, list[str]]) -> list[str]:
        tree: dict[str, Any] = {}
        for path, refs in folders.items():
            node = tree
            for part in path.split("/"):
                node = node.setdefault(part, {})
            node.setdefault("\x00refs", []).extend(refs)
        out = ["  <organizations>"]

        def walk(node: dict[str, Any], indent: str) -> None:
            for label in sorted(k for k in node if k != "\x00refs"):
                out.append(f"{indent}<item>")
                out.append(f"{indent}  <label>{_text(label)}</label>")
                walk(node[label], indent + "  ")
                out.append(f"{indent}</item>")
            for ref in sorted(node.get("\x00refs", [])):
                out.append(f"{indent}<item identifierRef={_attr(ref)} />")

        walk(tree, "    ")
        out.append("  </organizations>")
        return out


def export_archimate(
    store: Any,
    metamodel: Metamodel,
    mapping: ArchimateMapping,
    *,
    element_ids: Iterable[str] | None = None,
    name: str = "ea-repo",
) -> tuple[str, ExportStats]:
    """The exchange file for the elements ``store`` shows (or those of ``element_ids``) and
    the relations between them; ``store`` may be the repository seen on a day or under a
    scenario (:meth:`ea_repo.repository.Repository.seen`)."""
    elements, relations = landscape(store, element_ids)
    return ArchimateExporter(metamodel, mapping).write(elements, relations, name=name)


def landscape(
    store: Any, element_ids: Iterable[str] | None = None
) -> tuple[list[Element], list[Relation]]:
    """The elements ``store`` shows (all, or those of ``element_ids``) and their relations,
    each once."""
    if element_ids is None:
        elements = list(store.iter_elements())
    else:
        wanted = set(element_ids)
        elements = list(store.get_elements(wanted).values()) if wanted else []
    ids = {e.id for e in elements}
    relations = (
        list(store.relations_of(ids)) if element_ids is not None else list(store.iter_relations())
    )
    return elements, list({r.id: r for r in relations}.values())


__all__ = ["ArchimateExporter", "ExportStats", "export_archimate", "landscape"]
