"""The archimate importer: Open Group ArchiMate Model Exchange files (ArchiMate 3.x) into records.

An exchange file (namespace ``http://www.opengroup.org/xsd/archimate/3.0/``,
what Archi's *Export Model to Open Exchange File* writes) holds elements,
relationships, property definitions, organizations (the model tree's folders)
and views. This importer reads the first four; views are diagrams and stay in
the modelling tool.

* **Elements** become elements of the type the mapping gives
  (:file:`archimate.yaml` beside this module, overridable entry by entry), keyed
  by their identifier. Names and documentation may come in several languages
  (``xml:lang``): one is chosen for display (the mapping's ``language``, else
  the first given) and every variant is kept in ``names`` / ``descriptions``.
* **Properties** are named through ``propertyDefinitions``. A property whose
  name is an attribute of the element's type (compared ignoring case, spaces
  and punctuation, or renamed by the mapping's ``properties``) fills that
  attribute when its value fits; the others are kept in the ``properties``
  map, so nothing is lost and an export writes them back.
* **Relationships** become relations keyed by their identifier, of the first
  type the mapping lists for their ArchiMate type whose ends allow the pair
  (``Assignment: [allocated_to, assigned_to]``). Access types, influence
  modifiers and directed associations become attributes. A pair none of them
  allows (the built-in metamodel allows every pair of the ArchiMate 3.2
  tables; a workspace's own may not) is kept as the mapping's ``fallback``
  type, with its ArchiMate type in ``archimate_type``, and counted in the
  notes by ArchiMate type.
* **Junctions** are not elements: each chain source → junction(s) → target
  becomes one direct relation of the type the junction joins.
* A relationship whose source or target is **another relationship** (an
  association annotating a flow) cannot be held: relations link elements.
  It is left out and counted in the run's warnings.
* **Organizations** give each element and relationship its ``folder``
  (``Business/Actors``).

Safety: the XML is parsed with :mod:`defusedxml`: a file declaring entities
(entity expansion, "billion laughs") or referring to external entities is
refused. Every problem names the file and line; a file with problems writes
nothing (the sync engine's rule).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ExternalReferenceForbidden as _ExternalForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from ..errors import Problem, SourceError
from ..metamodel import Metamodel
from ..model import Origin, Record, Ref
from ..yamlio import Collector, LineDict, load_yaml, parse_yaml, suggest
from .base import ImportBatch

NS = "http://www.opengroup.org/xsd/archimate/3.0/"
NS_21 = "http://www.opengroup.org/xsd/archimate"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

JUNCTION = "junction"
"""The mapping value of junction types: they are resolved, not imported."""
META_PREFIX = "ea-repo:"
"""Properties an export writes for a re-import: ``ea-repo:id`` and ``ea-repo:type``."""
META_ID = META_PREFIX + "id"
META_TYPE = META_PREFIX + "type"
_BUILTIN = "<builtin archimate.yaml>"

# Attributes the importer fills itself: a property of the same name stays a property.
OWN_ATTRIBUTES = frozenset(
    {"description", "properties", "names", "descriptions", "folder", "title", "archimate_type"}
)
# Relationship attributes written as XML attributes, not properties.
ACCESS_MODES = {"Access": None, "Read": "read", "Write": "write", "ReadWrite": "readwrite"}

_FOLD = re.compile(r"[^0-9a-z]+")


def fold(name: str) -> str:
    """``End of Support`` → ``endofsupport``: how property and attribute names compare."""
    return _FOLD.sub("", name.casefold())


# ------------------------------------------------------------------------ XML


@dataclass(slots=True)
class XmlNode:
    """One XML element: local name, namespace, attributes, line, children and text."""

    tag: str
    ns: str
    attrs: dict[str, str]
    line: int
    children: list[XmlNode] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> Iterator[XmlNode]:
        """The children called ``tag`` in the exchange namespace."""
        return (c for c in self.children if c.tag == tag and c.ns == NS)

    def first(self, tag: str) -> XmlNode | None:
        """The first child called ``tag`` in the exchange namespace, or None."""
        return next(self.all(tag), None)


class _TreeBuilder:
    """Parser target building :class:`XmlNode` trees with the line of each start tag."""

    def __init__(self) -> None:
        self.stack: list[XmlNode] = []
        self.root: XmlNode | None = None
        self.parser: Any = None  # the expat parser, for line numbers
        self._text: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        node = XmlNode(local, ns, attrs, self.parser.CurrentLineNumber)
        if self.stack:
            self._flush()
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def data(self, text: str) -> None:
        self._text.append(text)

    def _flush(self) -> None:
        if self._text and self.stack:
            self.stack[-1].text += "".join(self._text)
        self._text.clear()

    def end(self, tag: str) -> None:
        self._flush()
        self.stack.pop()

    def close(self) -> XmlNode | None:
        return self.root


def read_xml(path: str | Path) -> XmlNode:
    """Parse an XML file safely into an :class:`XmlNode` tree.

    Raises :class:`~ea_repo.errors.SourceError` naming the file and line for
    malformed XML, entity declarations (entity expansion) and external
    entity references.
    """
    name = str(path)
    builder = _TreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False)
    builder.parser = parser.parser
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                parser.feed(chunk)
        root = parser.close()
    except OSError as exc:
        raise SourceError(f"{name}: cannot read: {exc.strerror}") from exc
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise SourceError(
            f"{name}:{line}: malformed XML: {reason} (column {column + 1})",
            hint="the file is not well-formed XML; was it truncated or edited by hand?",
        ) from None
    except (EntitiesForbidden, _ExternalForbidden, DTDForbidden) as exc:
        line = parser.parser.CurrentLineNumber
        if isinstance(exc, _ExternalForbidden):
            what = f"refers to an external entity ({exc.sysid or exc.pubid})"
        elif isinstance(exc, EntitiesForbidden) and (exc.sysid or exc.pubid):
            what = f"declares the external entity {exc.name!r} ({exc.sysid or exc.pubid})"
        elif isinstance(exc, EntitiesForbidden):
            what = f"declares the entity {exc.name!r}"
        else:
            what = "declares a document type"
        raise SourceError(
            f"{name}:{line}: refused: the file {what}; entity expansion and external "
            "entities are not allowed (they can exhaust memory or read local files)",
            hint="ArchiMate exchange files need no DTD or entities; export the model again",
        ) from None
    except DefusedXmlException as exc:
        raise SourceError(f"{name}: refused: {exc}") from None
    if root is None:
        raise SourceError(f"{name}: empty XML document")
    return root


# -------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class ArchimateMapping:
    """Which metamodel type each ArchiMate type becomes, and back; see ``archimate.yaml``.

    ``relationships`` gives each ArchiMate relationship type the metamodel
    types it may become, tried in order: the first whose ends allow the pair.
    """

    elements: Mapping[str, str]
    relationships: Mapping[str, tuple[str, ...]]
    fallback: str | None = None
    language: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    export_elements: Mapping[str, str] = field(default_factory=dict)
    export_relationships: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    source: str = _BUILTIN

    @cached_property
    def _element_back(self) -> dict[str, str]:
        # The first ArchiMate type mapped to each metamodel type, as the file lists them.
        back: dict[str, str] = {}
        for archimate, target in self.elements.items():
            back.setdefault(target, archimate)
        return {**back, **self.export_elements}

    @cached_property
    def _relationship_back(self) -> dict[str, tuple[str, bool]]:
        back: dict[str, tuple[str, bool]] = {}
        for archimate, targets in self.relationships.items():
            for target in targets:
                back.setdefault(target, (archimate, False))
        return {**back, **self.export_relationships}

    def archimate_element_type(self, type_name: str, metamodel: Metamodel) -> str | None:
        """The ArchiMate type an element of ``type_name`` is written as, or None."""
        back = self._element_back
        current: str | None = type_name
        while current is not None:
            if current in back:
                return back[current]
            et = metamodel.element_types.get(current)
            current = et.extends if et else None
        return None

    def archimate_relationship_type(self, type_name: str) -> tuple[str, bool] | None:
        """``(ArchiMate type, reversed)`` a relation of ``type_name`` is written as, or None."""
        return self._relationship_back.get(type_name)


def _builtin_text() -> str:
    return resources.files(__package__).joinpath("archimate.yaml").read_text("utf-8")


def load_archimate_mapping(path: str | Path | None, metamodel: Metamodel) -> ArchimateMapping:
    """The shipped mapping, overridden entry by entry by the file at ``path`` if given.

    Raises :class:`~ea_repo.errors.SourceError` listing every problem (a type
    the metamodel lacks, an unknown key) as ``file:line``.
    """
    problems: list[Problem] = []
    layers = [
        (_BUILTIN, _read_mapping_data(parse_yaml(_builtin_text(), _BUILTIN, SourceError), _BUILTIN))
    ]
    if path is not None:
        data = load_yaml(Path(path), SourceError)
        layers.append((str(path), _read_mapping_data(data, str(path))))
    merged: dict[str, Any] = {
        "elements": {},
        "relationships": {},
        "properties": {},
        "export_elements": {},
        "export_relationships": {},
    }
    where: dict[tuple[str, str], tuple[str, int | None]] = {}
    keys = {*merged, "fallback", "language"}
    for file, data in layers:
        found = Collector(file)
        found.unknown_keys(data, keys, None)
        problems += found.problems
        for key, value in data.items():
            if key not in keys:
                continue
            line = data.line_of(key)
            if key in ("fallback", "language"):
                merged[key] = value
                where[(key, "")] = (file, line)
                continue
            if value is None:
                continue
            if not isinstance(value, LineDict):
                problems.append(Problem(f"{key} must be a mapping", file, line))
                continue
            for name, target in value.items():
                merged[key][str(name)] = target
                where[(key, str(name))] = (file, value.line_of(name))
    mapping = _build_mapping(merged, where, metamodel, problems, str(path or layers[0][0]))
    if problems:
        raise SourceError(
            f"{path or 'the shipped ArchiMate mapping'}: {len(problems)} problem(s) in the mapping",
            problems=problems,
            hint="each entry maps an ArchiMate type to a type of the workspace's metamodel",
        )
    return mapping


def _read_mapping_data(data: Any, filename: str) -> LineDict:
    if not isinstance(data, LineDict):
        raise SourceError(f"{filename}: an ArchiMate mapping must be a YAML mapping")
    return data


def _build_mapping(
    merged: dict[str, Any],
    where: dict[tuple[str, str], tuple[str, int | None]],
    mm: Metamodel,
    problems: list[Problem],
    source: str,
) -> ArchimateMapping:
    def bad(section: str, name: str, message: str, hint: str | None = None) -> None:
        file, line = where.get((section, name), (source, None))
        problems.append(Problem(message, file, line, hint))

    elements: dict[str, str] = {}
    for name, target in merged["elements"].items():
        if target is None:
            continue  # explicitly unmapped: an error if the file uses it
        target = str(target)
        if target != JUNCTION and target not in mm.element_types:
            bad(
                "elements",
                name,
                f"ArchiMate {name} maps to {target!r}, which is no element type of the metamodel",
                suggest(target, mm.element_types) or f"or `{JUNCTION}` for junction types",
            )
            continue
        elements[name] = target
    relationships: dict[str, tuple[str, ...]] = {}
    for name, target in merged["relationships"].items():
        if target is None:
            continue
        targets = tuple(str(t) for t in target) if isinstance(target, list) else (str(target),)
        if len(targets) > 1 and where.get(("relationships", name), (_BUILTIN,))[0] == _BUILTIN:
            # A workspace metamodel made before a type of the shipped list existed keeps the others.
            targets = tuple(t for t in targets if t in mm.relation_types) or targets
        unknown = [t for t in targets if t not in mm.relation_types]
        for t in unknown:
            bad(
                "relationships",
                name,
                f"ArchiMate {name} maps to {t!r}, which is no relationship type of the metamodel",
                suggest(t, mm.relation_types),
            )
        if not targets:
            bad("relationships", name, f"ArchiMate {name} maps to an empty list")
        if unknown or not targets:
            continue
        relationships[name] = targets
    fallback = merged.get("fallback")
    if fallback is not None and str(fallback) not in mm.relation_types:
        bad("fallback", "", f"fallback {fallback!r} is no relationship type of the metamodel")
        fallback = None

    def unmapped(section: str, export_section: str, name: str, target: Any) -> bool:
        # A shipped export entry written as a type the user's file unmapped goes with it.
        return (
            isinstance(target, str)
            and target in merged[section]
            and merged[section][target] is None
            and where.get((export_section, name), (_BUILTIN,))[0] == _BUILTIN
        )

    export_elements: dict[str, str] = {}
    for name, target in merged["export_elements"].items():
        if name not in mm.element_types:
            continue  # a type of another metamodel: irrelevant here
        if unmapped("elements", "export_elements", name, target):
            continue
        if not isinstance(target, str) or target not in elements:
            bad(
                "export_elements",
                name,
                f"{name} is exported as {target!r}, which is not a mapped ArchiMate element type",
                suggest(target, elements) if isinstance(target, str) else "give one type name",
            )
            continue
        export_elements[name] = target
    export_relationships: dict[str, tuple[str, bool]] = {}
    for name, spec in merged["export_relationships"].items():
        if name not in mm.relation_types:
            continue
        if isinstance(spec, str):
            spec = {"type": spec}
        target = spec.get("type") if isinstance(spec, Mapping) else None
        if unmapped("relationships", "export_relationships", name, target):
            continue
        reverse = spec.get("reverse", False) if isinstance(spec, Mapping) else False
        if not isinstance(target, str) or not isinstance(reverse, bool):
            bad(
                "export_relationships",
                name,
                f"{name} is exported as {spec!r}: give `{{type: ArchiMateType, reverse: false}}`",
            )
            continue
        if target not in relationships:
            bad(
                "export_relationships",
                name,
                f"{name} is exported as {target!r}, which is not a mapped ArchiMate relationship type",
                suggest(target, relationships),
            )
            continue
        export_relationships[name] = (target, reverse)
    properties = {str(k): str(v) for k, v in merged["properties"].items() if v}
    language = merged.get("language")
    return ArchimateMapping(
        elements=elements,
        relationships=relationships,
        fallback=str(fallback) if fallback else None,
        language=str(language) if language else None,
        properties=properties,
        export_elements=export_elements,
        export_relationships=export_relationships,
        source=source,
    )


# ------------------------------------------------------------------ importer


@dataclass
class ArchimateBatch(ImportBatch):
    """The records of one exchange file; ``skipped`` counts what could not be held."""


@dataclass
class _Relationship:
    id: str
    archimate_type: str
    types: tuple[str, ...]  # the metamodel types it may become, in the mapping's order
    source: str
    target: str
    attrs: dict[str, Any]
    meta_type: str | None
    origin: Origin


@dataclass
class _Document:
    """One exchange file being read: its batch, and what the passes over it learn."""

    file: str
    batch: ArchimateBatch
    definitions: dict[str, str] = field(default_factory=dict)  # property definition -> name
    folders: dict[str, str] = field(default_factory=dict)  # identifier -> folder path
    types: dict[str, str] = field(default_factory=dict)  # element identifier -> metamodel type
    junctions: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # identifier -> key by ea-repo:id
    first_skipped: str | None = None  # the first relationship to a relationship, for messages

    def origin(self, node: XmlNode) -> Origin:
        """Where ``node`` is, for a problem."""
        return Origin(self.file, node.line)


def _texts(node: XmlNode, tag: str) -> list[tuple[str | None, str]]:
    return [(c.attrs.get(XML_LANG), c.text.strip()) for c in node.all(tag) if c.text.strip()]


class ArchimateImporter:
    """Turn ArchiMate exchange files into element and relation records.

    ``mapping`` defaults to the shipped one checked against ``metamodel``.
    """

    def __init__(self, metamodel: Metamodel, mapping: ArchimateMapping | None = None) -> None:
        self.metamodel = metamodel
        self.mapping = mapping or load_archimate_mapping(None, metamodel)
        self._attr_names: dict[str, dict[str, str]] = {}

    def read(self, path: str | Path) -> ArchimateBatch:
        """Read one exchange file into a batch; raises SourceError for unreadable or hostile XML."""
        root = read_xml(path)
        return self.transform(root, str(path))

    # ---------------------------------------------------------------- model

    def transform(self, root: XmlNode, file: str) -> ArchimateBatch:
        """The batch of records for a parsed exchange file (pure: no file, no store)."""
        batch = ArchimateBatch(source_files=[file])
        doc = _Document(file, batch)
        if root.tag != "model" or root.ns != NS:
            if root.ns == NS_21:
                raise SourceError(
                    f"{file}:{root.line}: an ArchiMate 2.1 exchange file",
                    hint="only ArchiMate 3.x exchange files are read; export the model again from a 3.x tool",
                )
            raise SourceError(
                f"{file}:{root.line}: not an ArchiMate exchange file: the root is "
                f"<{root.tag}> in namespace {root.ns or 'none'!r}",
                hint=f"expected <model xmlns={NS!r}>",
            )
        doc.definitions = self._property_definitions(root, doc)
        element_nodes = [n for c in root.all("elements") for n in c.all("element")]
        relation_nodes = [n for c in root.all("relationships") for n in c.all("relationship")]
        view_ids = {
            v.attrs.get("identifier", "")
            for views in root.all("views")
            for diagrams in views.all("diagrams")
            for v in diagrams.all("view")
        }
        concept_lines: dict[str, int] = {}
        for node in (*element_nodes, *relation_nodes):
            ident = node.attrs.get("identifier", "")
            if ident in concept_lines:
                batch.problem(
                    doc.origin(node),
                    f"identifier {ident!r} is used twice (first at line {concept_lines[ident]})",
                    "identifiers are unique in an exchange file",
                )
            concept_lines.setdefault(ident, node.line)
        concepts = set(concept_lines)
        doc.folders = self._folders(root, doc, concepts | view_ids)
        for node in element_nodes:
            self._element(node, doc)
        relation_ids = {n.attrs.get("identifier", "") for n in relation_nodes}
        parsed: list[_Relationship] = []
        for node in relation_nodes:
            rel = self._relationship(node, doc, concepts, relation_ids)
            if rel is not None:
                parsed.append(rel)
        junctions = doc.junctions
        direct = [r for r in parsed if r.source not in junctions and r.target not in junctions]
        direct += self._through_junctions(parsed, doc)
        for rel in direct:
            self._emit_relation(rel, doc)
        batch.summarize()
        return batch

    def _pick(self, variants: list[tuple[str | None, str]]) -> str:
        """The variant in the preferred language, else the first; ``""`` when there is none."""
        if not variants:
            return ""
        if self.mapping.language:
            wanted = self.mapping.language.casefold()
            for lang, text in variants:
                if lang and (lang.casefold() == wanted or lang.casefold().split("-")[0] == wanted):
                    return text
        return variants[0][1]

    def _texts_attrs(self, node: XmlNode, name_key: str) -> tuple[str | None, dict[str, Any]]:
        """The display name and the name/documentation attributes of a concept."""
        attrs: dict[str, Any] = {}
        names = _texts(node, "name")
        docs = _texts(node, "documentation")
        name = self._pick(names) or None
        if name is not None and name_key:
            attrs[name_key] = name
        if len(names) > 1:
            attrs["names"] = {lang or "": text for lang, text in reversed(names)}
        if docs:
            attrs["description"] = self._pick(docs)
        if len(docs) > 1:
            attrs["descriptions"] = {lang or "": text for lang, text in reversed(docs)}
        return name, attrs

    # ----------------------------------------------------------- properties

    def _property_definitions(self, root: XmlNode, doc: _Document) -> dict[str, str]:
        definitions: dict[str, str] = {}
        for container in root.all("propertyDefinitions"):
            for node in container.all("propertyDefinition"):
                ident = node.attrs.get("identifier")
                if not ident:
                    doc.batch.problem(doc.origin(node), "a property definition without identifier")
                    continue
                # Archi writes properties with an empty name as such: keep them.
                names = _texts(node, "name")
                definitions[ident] = self._pick(names)
        return definitions

    def _properties(self, node: XmlNode, doc: _Document) -> dict[str, str]:
        """The properties of a concept by name (values in the preferred language)."""
        found: dict[str, str] = {}
        for container in node.all("properties"):
            for prop in container.all("property"):
                ref = prop.attrs.get("propertyDefinitionRef", "")
                name = doc.definitions.get(ref)
                if name is None:
                    doc.batch.problem(
                        doc.origin(prop),
                        f"property refers to an undefined property definition {ref!r}",
                        "declare it under <propertyDefinitions>",
                    )
                    continue
                values = _texts(prop, "value")
                value = self._pick(values)
                if name in found:
                    doc.batch.note(doc.file, f"repeat property {name!r}: the first value is kept")
                    continue
                found[name] = value
        return found

    def _apply_properties(
        self,
        owner: str,
        specs: Mapping[str, Any],
        props: dict[str, str],
        attrs: dict[str, Any],
        doc: _Document,
    ) -> None:
        """Properties naming an attribute of ``owner`` fill it; the rest go to ``properties``."""
        by_fold = self._attr_names.get(owner)
        if by_fold is None:
            by_fold = {fold(a): a for a in specs if a not in OWN_ATTRIBUTES}
            for prop, renamed in self.mapping.properties.items():
                if renamed in specs:
                    by_fold[fold(prop)] = renamed
            self._attr_names[owner] = by_fold
        free: dict[str, str] = {}
        for name, value in props.items():
            attr = by_fold.get(fold(name))
            if attr is not None and attr not in attrs:
                try:
                    coerced = specs[attr].coerce(value) if value != "" else None
                except ValueError:
                    doc.batch.note(
                        doc.file,
                        f"kept as properties: value not valid for the attribute of the same name ({owner}.{attr})",
                    )
                else:
                    if coerced is not None:
                        attrs[attr] = coerced
                    continue
            free[name] = value
        if free:
            attrs["properties"] = free

    # --------------------------------------------------------- organizations

    def _folders(self, root: XmlNode, doc: _Document, known: set[str]) -> dict[str, str]:
        """The folder path of each element, from the organizations' nested items.

        Walked with a stack of its own in document order (an element in two
        folders keeps the first): folders nested thousands deep are read, not a
        recursion error.
        """
        folders: dict[str, str] = {}
        top: tuple[str, ...] = ()
        stack = [
            (item, top) for container in root.all("organizations") for item in container.all("item")
        ][::-1]
        while stack:
            item, path = stack.pop()
            ref = item.attrs.get("identifierRef")
            children = list(item.all("item"))
            if ref and not children:
                if ref not in known:
                    doc.batch.note(
                        doc.file, f"in organizations refer to unknown identifiers ({ref!r}...)"
                    )
                elif path:
                    folders.setdefault(ref, "/".join(path))
                continue
            label = self._pick(_texts(item, "label"))
            inner = (*path, label.replace("/", "-")) if label else path
            stack.extend((child, inner) for child in reversed(children))
        return folders

    # ------------------------------------------------------------- elements

    def _element(self, node: XmlNode, doc: _Document) -> None:
        batch, origin = doc.batch, doc.origin(node)
        ident = node.attrs.get("identifier", "")
        archimate_type = node.attrs.get(XSI_TYPE, "")
        if not ident or not archimate_type:
            batch.problem(origin, "an element without identifier or xsi:type")
            return
        target = self.mapping.elements.get(archimate_type)
        if target is None:
            batch.problem(
                origin,
                f"ArchiMate element type {archimate_type!r} (element {ident!r}) has no mapping",
                f"map it under `elements:` in a mapping file given with --mapping "
                f"(e.g. `{archimate_type}: SomeElementType`)",
            )
            return
        if target == JUNCTION:
            doc.junctions[ident] = (archimate_type, origin)
            return
        props = self._properties(node, doc)
        key = props.pop(META_ID, None) or ident
        meta_type = props.pop(META_TYPE, None)
        if meta_type is not None and meta_type in self.metamodel.element_types:
            target = meta_type
        et = self.metamodel.element_types[target]
        name, attrs = self._texts_attrs(node, "")
        if ident in doc.folders:
            attrs["folder"] = doc.folders[ident]
        self._apply_properties(target, et.attributes, props, attrs, doc)
        doc.types[ident] = target
        batch.records.append(Record.element(target, key, name, attrs, origin=origin))
        if key != ident:
            doc.renamed[ident] = key

    # -------------------------------------------------------- relationships

    def _relationship(
        self,
        node: XmlNode,
        doc: _Document,
        concepts: set[str],
        relation_ids: set[str],
    ) -> _Relationship | None:
        """``concepts``: the identifiers of the file's elements and relationships (an end
        whose element was rejected is no dangling reference: its own problem is reported)."""
        batch, origin = doc.batch, doc.origin(node)
        ident = node.attrs.get("identifier", "")
        archimate_type = node.attrs.get(XSI_TYPE, "")
        source, target = node.attrs.get("source", ""), node.attrs.get("target", "")
        if not ident or not archimate_type or not source or not target:
            batch.problem(origin, "a relationship without identifier, xsi:type, source or target")
            return None
        rel_types = self.mapping.relationships.get(archimate_type)
        if rel_types is None:
            batch.problem(
                origin,
                f"ArchiMate relationship type {archimate_type!r} (relationship {ident!r}) has no mapping",
                f"map it under `relationships:` in a mapping file given with --mapping "
                f"(e.g. `{archimate_type}: associated_with`)",
            )
            return None
        for end, ref in (("source", source), ("target", target)):
            if ref not in concepts:
                batch.problem(
                    origin,
                    f"relationship {ident!r}: its {end} {ref!r} is no element or relationship of the file",
                    "a dangling reference: the file is incomplete or was edited by hand",
                )
                return None
        if source in relation_ids or target in relation_ids:
            if doc.first_skipped is None:
                doc.first_skipped = ident
            batch.skip(
                doc.file,
                f"{archimate_type} relationships from or to another relationship "
                "(relations link elements; e.g. the first: "
                f"{doc.first_skipped!r})",
            )
            return None
        props = self._properties(node, doc)
        key = props.pop(META_ID, None) or ident
        meta_type = props.pop(META_TYPE, None)
        _, attrs = self._texts_attrs(node, "title")
        if ident in doc.folders:
            attrs["folder"] = doc.folders[ident]
        if archimate_type == "Access":
            mode = ACCESS_MODES.get(node.attrs.get("accessType", "Access"))
            if mode is not None:
                attrs["mode"] = mode
        elif archimate_type == "Influence" and node.attrs.get("modifier"):
            attrs["modifier"] = node.attrs["modifier"]
        elif archimate_type == "Association" and node.attrs.get("isDirected") == "true":
            attrs["directed"] = True
        attrs["_props"] = props
        return _Relationship(
            key, archimate_type, rel_types, source, target, attrs, meta_type, origin
        )

    def _through_junctions(self, rels: list[_Relationship], doc: _Document) -> list[_Relationship]:
        """One direct relationship per chain element → junction(s) → element."""
        junctions, batch, file = doc.junctions, doc.batch, doc.file
        if not junctions:
            return []
        outgoing: dict[str, list[_Relationship]] = defaultdict(list)
        for rel in rels:
            if rel.source in junctions:
                outgoing[rel.source].append(rel)
        derived: list[_Relationship] = []

        def chains(first: _Relationship) -> Iterator[list[_Relationship]]:
            """Every chain from ``first`` through junctions to an element, depth first, with
            a stack of its own (chains thousands of junctions long are followed too)."""
            stack: list[tuple[list[_Relationship], frozenset[str]]] = [([first], frozenset())]
            while stack:
                chain, seen = stack.pop()
                end = chain[-1].target
                if end not in junctions:
                    yield chain
                elif end not in seen:  # a loop of junctions leads nowhere
                    passed = seen | {end}
                    stack.extend(([*chain, nxt], passed) for nxt in reversed(outgoing[end]))

        mixed: list[str] = []
        # Identities of the relationships some chain from an element to an element goes through.
        joined: set[int] = set()
        for rel in rels:
            if rel.source in junctions or rel.target not in junctions:
                continue
            for chain in chains(rel):
                joined.update(id(r) for r in chain)
                kinds = {r.archimate_type for r in chain}
                if len(kinds) > 1:
                    # ArchiMate wants one type per junction; Archi lets models mix them.
                    mixed.append(f"{' → '.join(r.archimate_type for r in chain)} ({chain[0].id!r})")
                    continue
                last = chain[-1]
                attrs = dict(last.attrs)
                attrs.update({k: v for k, v in rel.attrs.items() if k != "_props"})
                attrs["_props"] = {**last.attrs.get("_props", {}), **rel.attrs.get("_props", {})}
                derived.append(
                    _Relationship(
                        "..".join(r.id for r in chain),
                        rel.archimate_type,
                        rel.types,
                        rel.source,
                        last.target,
                        attrs,
                        rel.meta_type,
                        rel.origin,
                    )
                )
        # A dead end or a loop among junctions, whatever its length, joins nothing.
        lost = sum(
            1
            for r in rels
            if (r.source in junctions or r.target in junctions) and id(r) not in joined
        )
        if lost:
            batch.warnings.append(
                Problem(
                    f"left out {lost} relationship(s) to or from junctions that join nothing on "
                    "their other side",
                    file,
                )
            )
        if mixed:
            batch.warnings.append(
                Problem(
                    f"left out {len(mixed)} chain(s) through junctions joining relationships "
                    f"of different types, e.g. {mixed[0]}",
                    file,
                    hint="a junction joins relationships of one type",
                )
            )
        if derived:
            batch.warnings.append(
                Problem(
                    f"{len(junctions)} junction(s) resolved into {len(derived)} direct relation(s)",
                    file,
                )
            )
        return derived

    def _emit_relation(self, rel: _Relationship, doc: _Document) -> None:
        types, batch = doc.types, doc.batch
        if rel.source not in types or rel.target not in types:
            return  # an end was rejected; its own problem is reported
        mm = self.metamodel
        src, dst = rel.source, rel.target
        candidates = rel.types
        if rel.meta_type is not None and rel.meta_type in mm.relation_types:
            candidates = (rel.meta_type,)
            spec = self.mapping.export_relationships.get(rel.meta_type)
            if spec is not None and spec[1]:
                src, dst = dst, src
        attrs = dict(rel.attrs)
        props: dict[str, str] = attrs.pop("_props")
        allowed = (
            t
            for t in candidates
            if types[src] in mm.relation_types[t].sources
            and types[dst] in mm.relation_types[t].targets
        )
        rel_type = next(allowed, None)
        if rel_type is None:
            refused = " or ".join(candidates)
            fallback = self.mapping.fallback
            if fallback is None:
                batch.problem(
                    rel.origin,
                    f"{rel.archimate_type} from {types[src]} to {types[dst]} is not allowed by "
                    f"the metamodel's {refused}",
                    "set `fallback:` in the mapping to keep such relationships as associations",
                )
                return
            # Counted by ArchiMate type: what the user's metamodel demotes, and impact no longer follows.
            batch.note(
                doc.file,
                f"kept as {fallback}: {rel.archimate_type} relationships between ends the "
                f"metamodel's {refused} does not allow (ArchiMate type in archimate_type)",
            )
            attrs["archimate_type"] = rel.archimate_type
            rel_type = fallback
            for extra in ("mode", "modifier", "directed"):
                if extra in attrs and extra not in mm.relation_types[fallback].attributes:
                    props[f"{META_PREFIX}{extra}"] = str(attrs.pop(extra)).lower()
        rt = mm.relation_types[rel_type]
        self._apply_properties(rel_type, rt.attributes, props, attrs, doc)
        ref_src = doc.renamed.get(src, src)
        ref_dst = doc.renamed.get(dst, dst)
        batch.records.append(
            Record.relation(
                rel_type, Ref(ref_src), Ref(ref_dst), attrs, key=rel.id, origin=rel.origin
            )
        )


__all__ = [
    "NS",
    "ArchimateBatch",
    "ArchimateImporter",
    "ArchimateMapping",
    "XmlNode",
    "load_archimate_mapping",
    "read_xml",
]
