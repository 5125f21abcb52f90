"""The flows importer: an interface catalog, one row per interface, into records.

An interface catalog is the spreadsheet integration teams keep: one row per
interface, with its sender and receiver applications, the protocol, the
middleware it goes through, the data it carries, how often and how critical.
Each row becomes:

* a ``flow`` relation from the source application to the target application,
  referenced by name (``Ref(name, by="name", type="Application")``): the sync
  engine resolves the names among the run's elements and the repository, where
  the applications normally come from the CMDB source. Its key is the
  interface id; a row without one gets a key made of what identifies it, see
  :func:`derived_key`;
* one ``DataObject`` element per data object named in the row (cells split on
  ``;`` ``,`` ``|`` or line breaks), keyed ``data:<slug of the name>``, emitted
  once however many rows carry it, named as first written;
* ``accesses`` relations from the source application (mode ``read``: it sends
  what it holds) and the target application (mode ``write``: it records what
  it receives) to each data object; an application that both sends and
  receives an object gets one relation with mode ``readwrite``.

A data object is flagged ``personal_data: true`` when *any* row carrying it
says the flow carries personal data. A row cannot say which of its objects is
the personal one, so this errs on the side of flagging: a data protection
officer reviews a false positive, while a false negative is a blind spot.
Keep personal and non-personal objects in separate rows to avoid it.

Headers are matched ignoring case, accents, spaces and ``_ . -``, against a
small alias table (:data:`ALIASES`: ``source_application``, ``from``,
``Application source``...); :class:`FlowColumns` names the columns of a
catalog the aliases do not know. Rows with a ``status`` saying the interface is
retired or not built yet are skipped and counted, never silently lost.

Like every importer it never touches the store; row problems (no source, an
unknown criticality) are collected in the batch, and only an unreadable file
or a missing required column raises.

>>> from ea_repo.metamodel import load_metamodel              # doctest: +SKIP
>>> batch = FlowsImporter(load_metamodel()).read("interfaces.csv")   # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..metamodel import Metamodel
from ..model import Origin, Record, Ref
from .base import ImportBatch
from .tabular import Table, normalize_header, read_table

FLOW = "flow"
ACCESSES = "accesses"
DATA_OBJECT = "DataObject"
DATA_KEY_PREFIX = "data:"
"""Data object ids are ``data:`` and the slug of the name: ``data:customer-consent``."""
FLOW_KEY_PREFIX = "flow:"
"""Keys of interfaces without an id start with this (see :func:`derived_key`)."""

ALIASES: dict[str, tuple[str, ...]] = {
    "interface_id": (
        "interface_id", "interface id", "interface code", "interface ref", "interface reference",
        "interface no", "interface number", "flow id", "flow_id", "id", "interface",
        "identifiant", "identifiant interface", "id interface", "code interface", "code flux",
        "id flux", "numero", "numero interface", "n interface", "ref", "reference", "code",
    ),
    "name": (
        "interface name", "interface_name", "flow name", "name", "title", "label",
        "nom", "nom interface", "nom du flux", "nom flux", "intitule", "libelle",
    ),
    "source": (
        "source_application", "source application", "source app", "source system",
        "sending application", "sender application", "source", "from", "sender", "emitter",
        "producer", "application source", "application emettrice", "appli source",
        "app source", "systeme source", "emetteur", "origine",
    ),
    "target": (
        "target_application", "target application", "target app", "target system",
        "receiving application", "receiver application", "destination application",
        "target", "to", "receiver", "recipient", "destination", "consumer",
        "application cible", "application destinataire", "application receptrice",
        "appli cible", "app cible", "systeme cible", "cible", "destinataire", "recepteur",
    ),
    "protocol": (
        "protocol", "transport protocol", "transport", "technical protocol", "protocole",
        "protocole d'echange", "mode d'echange", "type d'echange",
    ),
    "middleware": (
        "middleware", "via", "integration platform", "integration", "broker",
        "intermediary", "plateforme d'echange", "plateforme", "intermediaire",
    ),
    "data_objects": (
        "data_objects", "data objects", "data object", "data carried", "business objects",
        "data", "objects", "payload", "entities", "content", "donnees echangees",
        "donnees", "objets metier", "objets de donnees", "objets", "entites", "contenu",
    ),
    "frequency": (
        "frequency", "schedule", "periodicity", "cadence", "timing", "frequence",
        "periodicite", "declenchement",
    ),
    "criticality": (
        "criticality", "business criticality", "criticity", "priority",
        "importance", "criticite", "priorite",
    ),
    "personal_data": (
        "personal_data", "personal data", "contains personal data", "pii", "gdpr",
        "donnees personnelles", "donnees a caractere personnel", "dcp", "rgpd",
    ),
    "format": (
        "format", "data format", "message format", "file format", "format des donnees",
        "format fichier", "format de fichier",
    ),
    "description": (
        "description", "desc", "comment", "comments", "notes", "remarks",
        "commentaire", "commentaires", "remarques",
    ),
    "status": (
        "status", "state", "lifecycle", "interface status", "statut", "etat", "cycle de vie",
    ),
}  # fmt: skip
"""Header spellings recognised for each column, most specific first (compared folded)."""

REQUIRED = ("source", "target")

CRITICALITY: dict[str, str] = {
    **dict.fromkeys(
        ("critical", "very high", "vital", "mission critical", "business critical",
         "most critical", "p1", "critique", "tres critique", "tres haute", "tres eleve",
         "tres elevee", "maximale", "majeure critique"), "critical"),
    **dict.fromkeys(
        ("high", "important", "major", "somewhat critical", "p2", "haute", "haut",
         "elevee", "eleve", "forte", "fort", "importante", "majeure", "majeur"), "high"),
    **dict.fromkeys(
        ("medium", "moderate", "normal", "standard", "less critical", "p3", "moyenne",
         "moyen", "moderee", "modere", "normale"), "medium"),
    **dict.fromkeys(
        ("low", "minor", "not critical", "non critical", "p4", "basse", "bas", "faible",
         "mineure", "mineur", "non critique"), "low"),
}  # fmt: skip
"""Criticality spellings (folded) and the metamodel value each one means."""

_YES = frozenset({"yes", "y", "true", "1", "x", "oui", "o", "vrai", "pii"})
_NO = frozenset({"no", "n", "false", "0", "non", "faux", "-"})
_NO_MIDDLEWARE = frozenset(
    {"-", "none", "n/a", "na", "direct", "point to point", "point-to-point", "p2p",
     "aucun", "aucune", "sans", "direct (p2p)"}
)  # fmt: skip
_ACTIVE = frozenset(
    {"active", "actif", "active in production", "production", "in production",
     "en production", "prod", "live", "run", "operational", "en service",
     "operationnel", "in service", "current", "existing", "existant"}
)  # fmt: skip
_RETIRED = frozenset(
    {"retired", "decommissioned", "decommissionne", "decom", "obsolete", "inactive",
     "inactif", "deleted", "supprime", "stopped", "arrete", "abandoned", "abandonne",
     "disabled", "desactive", "switched off", "removed", "retire"}
)  # fmt: skip
_PLANNED = frozenset(
    {"planned", "to be", "future", "draft", "design", "in design", "in development",
     "in project", "project", "en projet", "projet", "a venir", "prevu", "brouillon",
     "en conception", "en developpement", "en cours de developpement", "cible",
     "recette", "en recette", "uat", "in test", "testing"}
)  # fmt: skip

_SPLIT = re.compile(r"[;,|\r\n]+")
_NUMBERED = re.compile(r"^\d+\s*[-.):]\s*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


# A catalog repeats few distinct values in the cells it folds (statuses, criticalities,
# middleware, data object names): folding each once, not once per row, measured at a
# third of reading 104 000 rows.
@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """``Application Émettrice`` → ``application emettrice``: how headers and values compare."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # "N° interface" reads as "n interface"; a typographic apostrophe as a plain one.
    return normalize_header(bare.replace("’", "'").replace("°", ""))


@lru_cache(maxsize=1 << 16)
def slug(text: str) -> str:
    """``Customer consent`` → ``customer-consent``; ``Données client`` → ``donnees-client``."""
    return _NOT_SLUG.sub("-", fold(text)).strip("-")


def split_objects(cell: str) -> list[str]:
    """The data object names of a cell, split on ``;`` ``,`` ``|`` and line breaks, deduped."""
    return list(_split_objects(cell))


@lru_cache(maxsize=1 << 16)
def _split_objects(cell: str) -> tuple[str, ...]:
    # A catalog repeats a few hundred combinations of objects in its rows: each is split once.
    names: dict[str, str] = {}
    for part in _SPLIT.split(cell):
        name = _SPACES.sub(" ", part).strip()
        if name and slug(name) and slug(name) not in names:
            names[slug(name)] = name
    return tuple(names.values())


def derived_key(source: str, target: str, protocol: str, data_objects: Iterable[str]) -> str:
    """The key of an interface the catalog gives no id: ``flow:SRC|DST|PROTOCOL|OBJ/OBJ``.

    Each part is slugged (case, accents and punctuation do not matter) and the
    data objects are sorted, so the key survives re-ordering or re-spelling a
    cell; it changes when the ends, the protocol or the data carried change,
    and the sync engine then retires the old flow and adds the new one. Give
    interfaces ids to keep their history across such edits.

    >>> derived_key("WMS", "OMS", "IBM MQ", ["Stock level", "Order"])
    'flow:wms|oms|ibm-mq|order/stock-level'
    """
    objects = "/".join(sorted(slug(o) for o in data_objects))
    return FLOW_KEY_PREFIX + "|".join((slug(source), slug(target), slug(protocol), objects))


@dataclass(frozen=True)
class FlowColumns:
    """Column names of a catalog, for the columns the :data:`ALIASES` do not recognise.

    A field left ``None`` is looked up among the aliases; a name given must be a
    column of the file (compared ignoring case, accents, spaces and ``_ . -``).
    """

    interface_id: str | None = None
    name: str | None = None
    source: str | None = None
    target: str | None = None
    protocol: str | None = None
    middleware: str | None = None
    data_objects: str | None = None
    frequency: str | None = None
    criticality: str | None = None
    personal_data: str | None = None
    format: str | None = None
    description: str | None = None
    status: str | None = None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], where: str = "columns") -> FlowColumns:
        """Columns from a configuration mapping (``{source: "App émettrice", ...}``).

        Raises :class:`~ea_repo.errors.SourceError` naming ``where`` for an
        unknown field or a value that is not text.
        """
        known = [f.name for f in fields(cls)]
        values: dict[str, str] = {}
        for key, value in mapping.items():
            if key not in known:
                raise SourceError(
                    f"{where}: unknown column field {key!r}", hint=f"fields: {', '.join(known)}"
                )
            if not isinstance(value, str) or not value.strip():
                raise SourceError(f"{where}.{key}: expected a column name, got {value!r}")
            values[key] = value
        return cls(**values)


@dataclass
class FlowBatch(ImportBatch):
    """The records of an interface catalog; ``skipped`` counts retired and planned rows."""


@dataclass
class _DataObject:
    name: str
    origin: Origin
    personal: bool = False


@dataclass
class _Access:
    app: str
    key: str
    origin: Origin
    modes: set[str] = field(default_factory=set)


class FlowsImporter:
    """Turn interface catalogs (CSV, XLSX, JSON) into flow, data object and access records.

    ``columns`` names columns the aliases do not recognise; ``endpoint_type`` is
    the element type the source and target names are resolved among.
    Raises :class:`~ea_repo.errors.SourceError` when ``metamodel`` lacks what
    the records need (the ``flow`` and ``accesses`` relationship types, the
    ``DataObject`` type, or does not allow them between these types).
    """

    def __init__(
        self,
        metamodel: Metamodel,
        columns: FlowColumns | None = None,
        *,
        endpoint_type: str = "Application",
    ) -> None:
        self.metamodel = metamodel
        self.columns = columns or FlowColumns()
        self.endpoint_type = endpoint_type
        self._check_metamodel()
        self.flow_attributes = frozenset(metamodel.relation_types[FLOW].attributes)

    def _check_metamodel(self) -> None:
        mm = self.metamodel
        where = f"metamodel {mm.source}"
        needed = [
            (self.endpoint_type in mm.element_types, f"no element type {self.endpoint_type!r}"),
            (DATA_OBJECT in mm.element_types, f"no element type {DATA_OBJECT!r}"),
            (FLOW in mm.relation_types, f"no relationship type {FLOW!r}"),
            (ACCESSES in mm.relation_types, f"no relationship type {ACCESSES!r}"),
        ]
        for ok, what in needed:
            if not ok:
                raise SourceError(f"{where}: {what}, which the flows importer needs")
        flow, accesses = mm.relation_types[FLOW], mm.relation_types[ACCESSES]
        if self.endpoint_type not in flow.sources or self.endpoint_type not in flow.targets:
            raise SourceError(f"{where}: {FLOW} does not link {self.endpoint_type} elements")
        if self.endpoint_type not in accesses.sources or DATA_OBJECT not in accesses.targets:
            raise SourceError(
                f"{where}: {ACCESSES} does not lead from {self.endpoint_type} to {DATA_OBJECT}"
            )

    def read(
        self,
        path: str | Path,
        *more: str | Path,
        sheet: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        short_rows: str = "error",
    ) -> FlowBatch:
        """Read one catalog (or one split over several files) into a batch.

        Data objects and accesses are emitted once across all the files;
        interface ids must be unique across them. Raises
        :class:`~ea_repo.errors.SourceError` when a file cannot be read as a
        table or lacks the source or target column; row problems go to
        ``batch.problems``. ``short_rows`` says what a CSV row shorter than its
        header is (see :data:`~.tabular.SHORT_ROWS`).
        """
        # One file at a time, its rows made as they are read.
        tables = (
            read_table(
                p,
                sheet=sheet,
                encoding=encoding,
                delimiter=delimiter,
                short_rows=short_rows,
                stream=True,
            )
            for p in (path, *more)
        )
        return self.transform(tables)

    def transform(self, tables: Iterable[Table]) -> FlowBatch:
        """The batch of records for tables already read (pure: no file, no store)."""
        batch = FlowBatch()
        state = _State()
        for table in tables:
            self._table(table, batch, state)
        for key, obj in state.objects.items():
            attrs = {"personal_data": True} if obj.personal else {}
            batch.records.append(
                Record.element(DATA_OBJECT, key, obj.name, attrs, origin=obj.origin)
            )
        for access in state.accesses.values():
            mode = "readwrite" if len(access.modes) > 1 else next(iter(access.modes))
            batch.records.append(
                Record.relation(
                    ACCESSES,
                    Ref(access.app, by="name", type=self.endpoint_type),
                    Ref(access.key),
                    {"mode": mode},
                    origin=access.origin,
                )
            )
        batch.summarize()
        return batch

    # -------------------------------------------------------------------- rows

    def _table(self, table: Table, batch: FlowBatch, state: _State) -> None:
        cols = self._resolve(table)
        batch.source_files.append(table.file)
        mark = len(batch.problems)  # the table's own problems go first, once all are known
        for number, cells in table.rows:
            origin = table.origin(number)
            row = {name: cells.get(col, "").strip() if col else "" for name, col in cols.items()}
            if self._skipped(row, cols, batch, table.file):
                continue
            self._row(row, cols, origin, batch, state)
        batch.problems[mark:mark] = table.problems

    def _skipped(
        self, row: dict[str, str], cols: dict[str, str | None], batch: FlowBatch, file: str
    ) -> bool:
        status = row["status"]
        if not status:
            return False
        folded = fold(status)
        if folded in _RETIRED:
            batch.skip(file, f"{cols['status']} is {status!r} (retired)")
            return True
        if folded in _PLANNED:
            batch.skip(file, f"{cols['status']} is {status!r} (not in service yet)")
            return True
        if folded not in _ACTIVE:
            batch.note(file, f"with {cols['status']} {status!r}, read as in service")
        return False

    def _row(
        self,
        row: dict[str, str],
        cols: dict[str, str | None],
        origin: Origin,
        batch: FlowBatch,
        state: _State,
    ) -> None:
        before = len(batch.problems)
        ends = {}
        for end in REQUIRED:
            ends[end] = _SPACES.sub(" ", row[end])
            if not ends[end]:
                batch.problem(
                    origin,
                    f"no {end} application: column {cols[end]!r} is empty",
                    f"every interface needs its {end} application",
                )
        criticality = self._criticality(row["criticality"], cols, origin, batch)
        personal = self._personal(row["personal_data"], cols, origin, batch)
        if len(batch.problems) > before:
            return
        source, target = ends["source"], ends["target"]
        objects = split_objects(row["data_objects"])
        interface_id = row["interface_id"]
        key = interface_id or derived_key(source, target, row["protocol"], objects)
        first = state.keys.get(key)
        if first is not None:
            same_file = first.file == origin.file
            if interface_id:
                batch.problem(
                    origin,
                    f"duplicate interface id {interface_id!r} "
                    + (
                        f"at rows {first.line()} and {origin.line()}"
                        if same_file
                        else f"(first at {first})"
                    ),
                    "each interface appears once in the catalog; keep one row or renumber",
                )
            else:
                batch.problem(
                    origin,
                    f"same interface as {f'row {first.row}' if same_file else first}: same source, "
                    "target, protocol and data objects, and no interface id to tell them apart",
                    f"give each interface an id in a column {ALIASES['interface_id'][0]!r}",
                )
            return
        state.keys[key] = origin
        middleware = row["middleware"]
        if fold(middleware) in _NO_MIDDLEWARE:
            middleware = ""
        description = row["description"]
        if row["name"]:
            description = f"{row['name']}: {description}" if description else row["name"]
        attrs: dict[str, Any] = {
            "interface_id": interface_id,
            "protocol": row["protocol"],
            "middleware": middleware,
            "format": row["format"],
            "frequency": row["frequency"],
            "criticality": criticality,
            "data_objects": objects,
            "personal_data": personal,
            "description": description,
        }
        attrs = {
            k: v
            for k, v in attrs.items()
            if k in self.flow_attributes and v is not None and v != "" and v != []
        }
        ref_type = self.endpoint_type
        batch.records.append(
            Record.relation(
                FLOW,
                Ref(source, by="name", type=ref_type),
                Ref(target, by="name", type=ref_type),
                attrs,
                key=key,
                origin=origin,
            )
        )
        if not interface_id:
            batch.note(origin.file, "without an interface id: keys derived from their content")
        for name in objects:
            data_key = DATA_KEY_PREFIX + slug(name)
            obj = state.objects.get(data_key)
            if obj is None:
                obj = state.objects[data_key] = _DataObject(name, origin)
            obj.personal = obj.personal or bool(personal)
            for app, mode in ((source, "read"), (target, "write")):
                pair = (app.casefold(), data_key)
                access = state.accesses.get(pair)
                if access is None:
                    access = state.accesses[pair] = _Access(app, data_key, origin)
                access.modes.add(mode)

    def _criticality(
        self, value: str, cols: dict[str, str | None], origin: Origin, batch: FlowBatch
    ) -> str | None:
        if not value:
            return None
        folded = fold(value)
        found = CRITICALITY.get(folded) or CRITICALITY.get(_NUMBERED.sub("", folded))
        if found is None:
            ambiguous = folded.isdigit()
            batch.problem(
                origin,
                f"unknown criticality {value!r} in column {cols['criticality']!r}"
                + (" (a bare number: is 1 the most or the least critical?)" if ambiguous else ""),
                "use critical, high, medium or low (or P1..P4, critique/haute/moyenne/basse)",
                cols["criticality"],
            )
        return found

    def _personal(
        self, value: str, cols: dict[str, str | None], origin: Origin, batch: FlowBatch
    ) -> bool | None:
        if not value:
            return None
        folded = fold(value)
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        batch.problem(
            origin,
            f"column {cols['personal_data']!r}: {value!r} is not yes or no",
            "yes/no, true/false, oui/non, x or empty",
            cols["personal_data"],
        )
        return None

    # ----------------------------------------------------------------- columns

    def _resolve(self, table: Table) -> dict[str, str | None]:
        """The table column read for each field; a missing required one is a SourceError."""
        by_fold: dict[str, str] = {}
        for header in table.columns:
            by_fold.setdefault(fold(header), header)
        found: dict[str, str | None] = {}
        for name, aliases in ALIASES.items():
            given = getattr(self.columns, name)
            if given is not None:
                column = by_fold.get(fold(given))
                if column is None:
                    raise SourceError(
                        f"{table.file}: no column {given!r} (given for {name})",
                        hint=f"columns found: {table.columns_text(quoted=True)}",
                    )
                found[name] = column
                continue
            found[name] = next((by_fold[fold(a)] for a in aliases if fold(a) in by_fold), None)
        missing = [n for n in REQUIRED if found[n] is None]
        if missing:
            expected = "; ".join(
                f"{n}: one of " + ", ".join(repr(a) for a in ALIASES[n][:6]) + "..."
                for n in missing
            )
            raise SourceError(
                f"{table.file}: not an interface catalog: no {' and no '.join(missing)} "
                f"application column (expected {expected})",
                hint=f"columns found: {table.columns_text(quoted=True)}; name the columns with FlowColumns "
                "(`columns:` in ea.yaml)",
            )
        return found


@dataclass
class _State:
    """What a read accumulates across rows and files."""

    keys: dict[str, Origin] = field(default_factory=dict)  # interface key -> its first row
    objects: dict[str, _DataObject] = field(default_factory=dict)
    accesses: dict[tuple[str, str], _Access] = field(default_factory=dict)


__all__ = [
    "ALIASES",
    "FlowBatch",
    "FlowColumns",
    "FlowsImporter",
    "derived_key",
    "slug",
    "split_objects",
]
