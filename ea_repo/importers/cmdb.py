"""The CMDB importer: a CI export and a relationship export, through a mapping, into records.

It reads files (:mod:`.tabular`), turns every row into element and relation
:class:`~ea_repo.model.Record` objects as the mapping (:mod:`.mapping`) says,
and collects what is wrong with rows into the batch instead of raising. It
never touches the store: the sync engine validates the records against the
metamodel, resolves references by name among the run's elements and the
repository, and writes.

What it decides itself:

* the element id: the key column, else the ``key_fallback`` composite
  (``web01|Server|SN123``); rows of one key that give the same element are
  kept once, rows of one key that differ follow ``on_duplicate`` (a problem
  naming both rows, the first or last row, or a merge by majority);
* which rows are skipped (``skip_when``, classes mapped to ``null``, unmapped
  classes or relationship types with ``skip_unmapped``, relationships whose
  end is a CI skipped in the same read, repeated relationship rows): skipped
  rows are counted in :attr:`ImportBatch.skipped` and summarised as warnings,
  never silently lost;
* among several relationship types listed for one value, the first the
  metamodel allows between the two ends, when their types are known from
  this read (or the ``parent_class``/``child_class`` columns); else the last.

>>> from ea_repo.metamodel import load_metamodel                # doctest: +SKIP
>>> from ea_repo.importers.presets import load_preset          # doctest: +SKIP
>>> mm = load_metamodel()                                        # doctest: +SKIP
>>> batch = CmdbImporter(load_preset("servicenow", mm), mm).read("cmdb_ci.csv", "cmdb_rel_ci.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from ..errors import SourceError
from ..metamodel import Metamodel
from ..model import Origin, Record, Ref
from ..runtime import gc_paused
from .base import ImportBatch
from .mapping import (
    TYPE_TOKEN,
    AttributeMapping,
    ClassTarget,
    CmdbMapping,
    ElementMapping,
    LinkMapping,
    RelationMapping,
    Target,
    alternatives,
    check_on_duplicate,
    fold,
)
from .tabular import Table, read_table

KEY_SEPARATOR = "|"
"""Joins the parts of a composite key: ``web01|Server|SN123``."""


_NONE: frozenset[str] = frozenset()
_SHARED_VALUES = 4096
"""Distinct values of an attribute an import shares among its elements (beyond: a column
of values each CI has its own, an address or a serial number, not worth a lookup)."""
_NO_ATTRS: Mapping[str, Any] = MappingProxyType({})  # shared: records are not changed once made


@functools.cache
def _one_type(name: str) -> frozenset[str]:
    return frozenset((name,))


@dataclass
class _Known:
    """What a read learnt about elements, to resolve relationship ends."""

    types_by_key: dict[str, frozenset[str]] = field(default_factory=dict)
    types_by_name: dict[str, frozenset[str]] = field(default_factory=dict)  # casefolded, as sync
    skipped_keys: set[str] = field(default_factory=set)
    skipped_names: set[str] = field(default_factory=set)

    def add(self, key: str, name: str, type_name: str) -> None:
        """Remember an element read."""
        self.types_by_key[key] = frozenset((type_name,))
        folded = name.casefold()
        self.types_by_name[folded] = self.types_by_name.get(folded, _NONE) | {type_name}

    def types_of(self, ref: Ref) -> frozenset[str]:
        """The types ``ref`` may designate among the elements read (empty: unknown)."""
        if ref.type is not None:
            return _one_type(ref.type)
        if ref.by == "id":
            return self.types_by_key.get(ref.value, _NONE)
        return self.types_by_name.get(ref.value.casefold(), _NONE)

    def skipped(self, ref: Ref) -> bool:
        """Whether ``ref`` names only rows this read skipped."""
        if ref.by == "id":
            return ref.value in self.skipped_keys and ref.value not in self.types_by_key
        name = ref.value.casefold()
        return name in self.skipped_names and name not in self.types_by_name


class CmdbImporter:
    """Turn CMDB exports into records through a :class:`~.mapping.CmdbMapping`.

    ``metamodel`` is the one the mapping was loaded with; the importer reads
    which attributes each element type declares and which ends each
    relationship type allows. ``on_duplicate`` overrides the mapping's
    ``elements.on_duplicate`` (what rows that share a key but differ become).
    """

    DUPLICATE_CHOICES = (
        "or say how such rows combine: --on-duplicate merge (or first, last), "
        "or on_duplicate: under elements in the mapping, or in the source in ea.yaml"
    )
    """How a user says what rows sharing a key become, as the duplicate error's hint says it."""

    def __init__(
        self,
        mapping: CmdbMapping,
        metamodel: Metamodel,
        *,
        on_duplicate: str | None = None,
        duplicate_choices: str | None = None,
    ) -> None:
        self.mapping = mapping
        self.duplicate_choices = duplicate_choices or self.DUPLICATE_CHOICES
        self.metamodel = metamodel
        self._chosen: dict[tuple[int, frozenset[str], frozenset[str]], Target] = {}
        self._hints: dict[str, str | None] = {}  # class value -> element type, per read
        self._shared: dict[str, dict[str, str]] = {}  # attribute -> its values, per table
        self._mapped: dict[str, tuple[Target, ...]] = {}  # type value -> targets, per table
        elements = mapping.elements
        self.on_duplicate = check_on_duplicate(
            on_duplicate or (elements.on_duplicate if elements else "error")
        )

    def read(
        self,
        ci_file: str | Path | None = None,
        rel_file: str | Path | None = None,
        *,
        sheet: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        short_rows: str | None = None,
    ) -> ImportBatch:
        """Read a CI export and/or a relationship export into one batch.

        With a mapping that has no ``elements`` section, a lone ``ci_file`` is
        read as the relationship export (a relationship-only import). Reading
        both files in one call lets relationships to CIs skipped on purpose
        be skipped too, and lets the importer choose among listed
        relationship types by the ends' types. ``short_rows`` (default: the
        mapping's) says what a CSV row shorter than its header is.

        Raises :class:`~ea_repo.errors.SourceError` when a file cannot be read
        as a table or lacks a required column; row problems go to
        ``batch.problems``.
        """
        if ci_file is not None and rel_file is None and self.mapping.elements is None:
            ci_file, rel_file = None, ci_file
        if ci_file is None and rel_file is None:
            raise SourceError(
                "nothing to import", hint="give a CI export, a relationship export or both"
            )
        self._check_sections(ci_file, rel_file)
        options: dict[str, Any] = {
            "sheet": sheet,
            "encoding": encoding,
            "delimiter": delimiter,
            "short_rows": short_rows or self.mapping.short_rows,
        }
        # One table at a time: the CI export's rows are let go before the relationship
        # export is read (a large export's tables outweigh its records).
        return self._records(
            (lambda: read_table(ci_file, **options, stream=True)) if ci_file is not None else None,
            (lambda: read_table(rel_file, **options, stream=True))
            if rel_file is not None
            else None,
        )

    def transform(self, ci_table: Table | None, rel_table: Table | None = None) -> ImportBatch:
        """The records of tables already read: the pure half of :meth:`read`.

        Raises :class:`~ea_repo.errors.SourceError` when a table lacks a
        column the mapping requires, or the mapping lacks the section a table
        needs.
        """
        self._check_sections(
            ci_table.file if ci_table else None, rel_table.file if rel_table else None
        )
        return self._records(
            (lambda: ci_table) if ci_table is not None else None,
            (lambda: rel_table) if rel_table is not None else None,
        )

    def _records(
        self, ci_table: Callable[[], Table] | None, rel_table: Callable[[], Table] | None
    ) -> ImportBatch:
        """The batch of the tables the two callables give, each asked for when its turn comes."""
        batch = ImportBatch()
        known = _Known()
        seen: set[tuple[str, str, str, str, str]] = set()
        with gc_paused():
            if ci_table is not None and self.mapping.elements is not None:
                self._elements(self.mapping.elements, ci_table(), batch, known, seen)
            if rel_table is not None:
                self._relations(rel_table(), batch, known, seen)
        batch.summarize()
        return batch

    def _check_sections(self, ci_file: str | Path | None, rel_file: str | Path | None) -> None:
        if ci_file is not None and self.mapping.elements is None:
            raise SourceError(
                f"{self.mapping.source}: the mapping has no `elements` section to read {ci_file}",
                hint="map the CI export under `elements`",
            )
        if rel_file is not None and not self.mapping.relations:
            raise SourceError(
                f"{self.mapping.source}: the mapping has no `relations` section to read {rel_file}",
                hint="map the relationship export under `relations`",
            )

    # ----------------------------------------------------------------- elements

    def _elements(
        self,
        spec: ElementMapping,
        table: Table,
        batch: ImportBatch,
        known: _Known,
        seen_relations: set[tuple[str, str, str, str, str]],
    ) -> None:
        """Add the element records (and link relations) of a CI export to ``batch``."""
        cols = _ElementColumns.resolve(table, spec, self.mapping.source)
        batch.source_files.append(table.file)
        mark = len(batch.problems)  # the table's own problems go first, once all are known
        prefix = self.mapping.id_prefix
        rows = _RowsByKey()
        self._shared = {}
        for number, cells in table.rows:
            origin = table.origin(number)
            name = _first(cells, cols.name)
            raw_key = _first(cells, cols.key)
            reason = self._skip_reason(cells, cols.skip_when)
            if reason is not None:
                batch.skip(table.file, reason)
                self._forget(known, prefix + raw_key if raw_key else "", name)
                continue
            target = self._class_target(cells, cols, origin, batch, table.file)
            if target is None:
                self._forget(known, prefix + raw_key if raw_key else "", name)
                continue
            key = self._key(cells, cols, raw_key, target.type, origin, batch)
            if key is None:
                continue
            if not name:
                batch.note(table.file, "without a name: the key is used as the name")
                name = key
            attrs = self._attributes(cells, cols, target, origin, batch)
            row = _Row(
                Record.element(target.type, key, name, attrs, origin=origin),
                self._links(cells, cols.links, prefix),
            )
            earlier = rows.add(key, row)
            if earlier is None:
                continue
            first, repeated = earlier
            if repeated:
                batch.note(table.file, _REPEATED)
            elif self.on_duplicate == "error":
                batch.problem(
                    origin,
                    f"duplicate key {key!r} at rows {_row_of(first)} and {origin.line()}, "
                    f"which differ in {', '.join(first.differences(row))}",
                    self._duplicate_hint(cols, raw_key),
                )
            else:
                batch.note(table.file, _DIFFERING[self.on_duplicate])
        batch.problems[mark:mark] = table.problems
        kept = [
            self._keep(group, cols, batch, table.file) if len(group) > 1 else group[0]
            for group in rows.groups()
        ]
        for row in kept:
            record = row.record
            batch.records.append(record)
            known.add(record.key or "", record.name or "", record.type)
        # after every row: the other ends' types are known, whatever the row order
        for row in kept:
            for link, dst in row.links:
                self._add_relation(
                    batch,
                    known,
                    seen_relations,
                    row.record.origin or Origin(table.file),
                    link.targets,
                    Ref(row.record.key or ""),
                    dst,
                    table.file,
                )

    @staticmethod
    def _links(
        cells: dict[str, str],
        links: list[tuple[LinkMapping, tuple[str, ...], tuple[str, ...]]],
        prefix: str,
    ) -> tuple[tuple[LinkMapping, Ref], ...]:
        """The other ends of a CI row's link columns: by id when the id cell is set, else by name."""
        found: list[tuple[LinkMapping, Ref]] = []
        for link, id_cols, name_cols in links:
            value = _first(cells, id_cols)
            if value and value not in link.ignore:
                found.append((link, Ref(prefix + value)))
                continue
            value = _first(cells, name_cols)
            if value and value not in link.ignore:
                found.append((link, Ref(value, by="name")))
        return tuple(found)

    def _keep(
        self, group: list[_Row], cols: _ElementColumns, batch: ImportBatch, file: str
    ) -> _Row:
        """The one row a key keeps, as ``on_duplicate`` says (a merged row for ``merge``)."""
        if self.on_duplicate in ("error", "first"):
            return group[0]
        if self.on_duplicate == "last":
            return group[-1]
        merged, dissent = _merge(group, lambda t: cols.attribute_order(t, self.metamodel))
        for what, count in dissent.items():
            for _ in range(count):
                batch.note(file, f"with a {what} other than the one {_MAJORITY}")
        return merged

    @staticmethod
    def _skip_reason(
        cells: dict[str, str], skip_when: list[tuple[str, frozenset[str]]]
    ) -> str | None:
        for column, values in skip_when:
            value = cells.get(column, "")
            if value and fold(value) in values:
                return f"{column} is {value!r}"
        return None

    @staticmethod
    def _forget(known: _Known, key: str, name: str) -> None:
        if key:
            known.skipped_keys.add(key)
        if name:
            known.skipped_names.add(name.casefold())

    def _class_target(
        self,
        cells: dict[str, str],
        cols: _ElementColumns,
        origin: Origin,
        batch: ImportBatch,
        file: str,
    ) -> ClassTarget | None:
        spec = cols.spec
        if spec.type.constant is not None:
            return spec.type.constant
        value = _first(cells, cols.type)
        if not value:
            batch.problem(
                origin,
                f"no class: {alternatives(cols.type)} {'is' if len(cols.type) == 1 else 'are'} empty",
                "every CI row needs its class, to know its element type",
            )
            return None
        found, target = spec.type.classes.lookup(value)
        if not found:
            if spec.skip_unmapped:
                batch.skip(file, f"unmapped class {value!r}")
            else:
                batch.problem(
                    origin,
                    f"unknown class {value!r}",
                    "map it under elements.type.map, or set skip_unmapped: true",
                )
            return None
        if target is None:
            batch.skip(file, f"class {value!r} is ignored by the mapping")
            return None
        assert isinstance(target, ClassTarget)
        return target

    def _key(
        self,
        cells: dict[str, str],
        cols: _ElementColumns,
        raw_key: str,
        type_name: str,
        origin: Origin,
        batch: ImportBatch,
    ) -> str | None:
        if raw_key:
            return self.mapping.id_prefix + raw_key
        if not cols.spec.key_fallback:
            batch.problem(
                origin,
                f"empty key: {alternatives(cols.key)} has no value",
                "every CI needs an id; or set elements.key_fallback to build one from other columns",
            )
            return None
        parts = [
            type_name if part == TYPE_TOKEN else _first(cells, cols.fallback.get(part, ()))
            for part in cols.spec.key_fallback
        ]
        if not any(
            p for p, part in zip(parts, cols.spec.key_fallback, strict=True) if part != TYPE_TOKEN
        ):
            batch.problem(
                origin,
                f"empty key: {' + '.join(cols.spec.key_fallback)} are all empty",
                "every CI needs an id or a name",
            )
            return None
        return self.mapping.id_prefix + KEY_SEPARATOR.join(p for p in parts if p)

    def _duplicate_hint(self, cols: _ElementColumns, raw_key: str) -> str:
        spec = cols.spec
        choose = self.duplicate_choices
        if raw_key or not spec.key_fallback:
            return f"two rows have the same {alternatives(cols.key)}: keep one of them in the export, {choose}"
        made_of = " + ".join(spec.key_fallback)
        return (
            f"the key is made of {made_of} (elements.key_fallback), which does not tell these rows "
            f"apart: export {alternatives(spec.key) if spec.key else 'an id column'}, {choose}"
        )

    def _attributes(
        self,
        cells: dict[str, str],
        cols: _ElementColumns,
        target: ClassTarget,
        origin: Origin,
        batch: ImportBatch,
    ) -> dict[str, Any]:
        attrs: dict[str, Any] = dict(target.set)
        shared = self._shared
        for attr, column, columns in cols.attributes_of(target.type, self.metamodel):
            text = cells[column] if column else _first(cells, columns)
            if not text:
                continue
            if attr.plain:
                # A status or an OS is the same text in a hundred thousand rows, each
                # its own copy as read: the elements hold one.
                common = shared.setdefault(attr.attribute, {})
                value = common.get(text)
                if value is None:
                    value = text
                    if len(common) < _SHARED_VALUES:
                        common[text] = text
                attrs[attr.attribute] = value
                continue
            try:
                value = attr.convert(
                    text,
                    dayfirst=self.mapping.dayfirst,
                    decimal_comma=self.mapping.decimal_comma,
                    timezone=self.mapping.timezone,
                )
            except ValueError as exc:
                column = next(c for c in columns if cells.get(c))
                batch.problem(
                    origin,
                    f"column {column!r}: {exc} (attribute {attr.attribute})",
                    _transform_hint(attr.transforms),
                    column,
                )
                continue
            if value is not None and value != "" and value != []:
                attrs[attr.attribute] = value
        return attrs

    # ---------------------------------------------------------------- relations

    def _relations(
        self,
        table: Table,
        batch: ImportBatch,
        known: _Known,
        seen_relations: set[tuple[str, str, str, str, str]],
    ) -> None:
        """Add the relation records of a relationship export to ``batch``."""
        spec, cols = self._relation_spec(table)
        self._mapped = {}  # of this table's spec
        batch.source_files.append(table.file)
        mark = len(batch.problems)  # the table's own problems go first, once all are known
        ends = [
            _EndReader(
                end,
                cols[end + "_id"],
                cols[end],
                cols[end + "_class"],
                self.mapping.id_prefix,
                spec.refs == "id",
                spec.ignore,
                self._type_hint,
            )
            for end in ("parent", "child")
        ]
        file, numbers = table.file, table.records
        for number, cells in table.rows:
            origin = Origin(file, number, numbers.get(number))  # table.origin, inlined
            targets = self._relation_targets(spec, cols, cells, origin, batch)
            if targets is None:
                continue
            refs = []
            for reader in ends:
                ref = reader.read(cells)
                if ref is None:
                    batch.problem(
                        origin, reader.missing(), f"a relationship row needs its {reader.end} CI"
                    )
                    break
                refs.append(ref)
            else:
                self._add_relation(
                    batch, known, seen_relations, origin, targets, refs[0], refs[1], table.file
                )
        batch.problems[mark:mark] = table.problems

    def _relation_spec(self, table: Table) -> tuple[RelationMapping, dict[str, tuple[str, ...]]]:
        for spec in self.mapping.relations:
            cols = {
                "parent": tuple(table.present(spec.parent)),
                "child": tuple(table.present(spec.child)),
                "parent_id": tuple(table.present(spec.parent_id)),
                "child_id": tuple(table.present(spec.child_id)),
                "parent_class": tuple(table.present(spec.parent_class)),
                "child_class": tuple(table.present(spec.child_class)),
                "type": tuple(table.present(spec.type_columns)),
            }
            if (
                (cols["parent"] or cols["parent_id"])
                and (cols["child"] or cols["child_id"])
                and (cols["type"] or spec.constant is not None)
            ):
                return spec, cols
        expected = "; or ".join(s.expected_columns() for s in self.mapping.relations)
        raise SourceError(
            f"{table.file}: missing columns of a relationship export: expected {expected} "
            f"(relations in {self.mapping.source})",
            hint=f"columns found: {table.columns_text()}",
        )

    def _relation_targets(
        self,
        spec: RelationMapping,
        cols: dict[str, tuple[str, ...]],
        cells: dict[str, str],
        origin: Origin,
        batch: ImportBatch,
    ) -> tuple[Target, ...] | None:
        if spec.constant is not None:
            return spec.constant
        value = _first(cells, cols["type"])
        mapped = self._mapped.get(value)
        if mapped is not None:  # a few dozen values in hundreds of thousands of rows
            return mapped
        if not value:
            batch.problem(origin, f"no relationship type: {alternatives(cols['type'])} is empty")
            return None
        found, targets = spec.types.lookup(value)
        if not found:
            if spec.skip_unmapped:
                batch.skip(origin.file, f"unmapped relationship type {value!r}")
            else:
                batch.problem(
                    origin,
                    f"unknown relationship type {value!r}",
                    "map it under relations.type.map, or set skip_unmapped: true under relations",
                )
            return None
        if targets is None:
            batch.skip(origin.file, f"relationship type {value!r} is ignored by the mapping")
            return None
        assert isinstance(targets, tuple)
        self._mapped[value] = targets
        return targets

    def _type_hint(self, cls: str) -> str | None:
        """The element type a class value maps to, to narrow a reference by name."""
        if cls in self._hints:  # two per relationship row, among a few dozen classes
            return self._hints[cls]
        elements = self.mapping.elements
        hint = None
        if cls and elements is not None:
            found, target = elements.type.classes.lookup(cls)
            hint = target.type if found and isinstance(target, ClassTarget) else None
        self._hints[cls] = hint
        return hint

    def _add_relation(
        self,
        batch: ImportBatch,
        known: _Known,
        seen: set[tuple[str, str, str, str, str]],
        origin: Origin,
        targets: tuple[Target, ...],
        parent: Ref,
        child: Ref,
        file: str,
    ) -> None:
        if (known.skipped_keys or known.skipped_names) and (
            known.skipped(parent) or known.skipped(child)
        ):
            batch.skip(file, "relationship to a CI skipped in this import")
            return
        if parent == child:  # same name but another class is another CI (oms-db01 on oms-db01)
            batch.skip(file, "relationship of a CI to itself")
            return
        if len(targets) == 1:
            target = targets[0]
        else:
            target = self._choose(targets, known.types_of(parent), known.types_of(child))
        src, dst = (child, parent) if target.reverse else (parent, child)
        signature = (target.type, src.by, src.value, dst.by, dst.value)
        if signature in seen:
            batch.skip(file, "repeated relationship")
            return
        seen.add(signature)
        batch.records.append(
            Record("relation", target.type, None, _NO_ATTRS, None, src, dst, origin)
        )

    def _choose(
        self, targets: tuple[Target, ...], parent_types: frozenset[str], child_types: frozenset[str]
    ) -> Target:
        """The first target the metamodel allows between the ends' types, else the last."""
        memo = (id(targets), parent_types, child_types)  # targets live as long as the mapping
        chosen = self._chosen.get(memo)
        if chosen is None:
            chosen = targets[-1]
            if parent_types and child_types:
                for target in targets:
                    src, dst = (
                        (child_types, parent_types)
                        if target.reverse
                        else (parent_types, child_types)
                    )
                    rt = self.metamodel.relation_types[target.type]
                    if src <= rt.sources and dst <= rt.targets:
                        chosen = target
                        break
            self._chosen[memo] = chosen
        return chosen


_REPEATED = "repeating an earlier row (same key, class, name, values and links): kept once"
_DIFFERING = {
    "first": "sharing a key with an earlier row but differing: the first is kept (on_duplicate: first)",
    "last": "sharing a key with an earlier row but differing: the last is kept (on_duplicate: last)",
    "merge": "sharing a key with an earlier row but differing: merged into one (on_duplicate: merge)",
}
_MAJORITY = "most rows of the same key give, which is kept (on_duplicate: merge)"


class _Row(NamedTuple):
    """A CI row as the importer read it: its element and the other ends of its links."""

    record: Record
    links: tuple[tuple[LinkMapping, Ref], ...]

    def content(self) -> str:
        """What the row gives, row number aside: equal for rows giving the same element and
        links (text, since attribute values may be lists)."""
        r = self.record
        return repr((r.type, r.name, sorted(r.attrs.items()), self.links))

    def differences(self, other: _Row) -> list[str]:
        """What differs between two rows of one key: class, name, attributes, links."""
        a, b = self.record, other.record
        found = ["class"] if a.type != b.type else []
        found += ["name"] if a.name != b.name else []
        found += sorted(k for k in {*a.attrs, *b.attrs} if a.attrs.get(k) != b.attrs.get(k))
        found += ["links"] if self.links != other.links else []
        return found


class _RowsByKey:
    """The rows of a CI export by key, keys and rows in file order; a row that gives
    what an earlier row of its key gave is a repeat (found by content, in a set)."""

    def __init__(self) -> None:
        self._first: dict[str, _Row] = {}
        self._shared: dict[str, list[_Row]] = {}  # every row of a key more than one row gives
        self._contents: dict[str, set[str]] = {}

    def add(self, key: str, row: _Row) -> tuple[_Row, bool] | None:
        """Add ``row``; None if it is the first of its key, else the key's first row and
        whether ``row`` repeats an earlier one. Every row is kept: a repeat counts in a
        merge and may be the last row."""
        first = self._first.setdefault(key, row)
        if first is row:
            return None
        self._shared.setdefault(key, [first]).append(row)
        seen = self._contents.setdefault(key, {first.content()})
        content = row.content()
        repeated = content in seen
        seen.add(content)
        return first, repeated

    def groups(self) -> list[list[_Row]]:
        """The rows of each key, keys in the order they first came."""
        return [self._shared.get(key) or [row] for key, row in self._first.items()]


def _row_of(row: _Row) -> str | None:
    return row.record.origin.line() if row.record.origin else None


def _majority(values: list[Any]) -> tuple[Any, int]:
    """The value given most often, ties going to the one whose ``repr`` sorts first; and how
    many of ``values`` differ from it. The same values in any order give the same answer."""
    counts = Counter(repr(v) for v in values)
    best = min(counts, key=lambda r: (-counts[r], r))
    value = next(v for v in values if repr(v) == best)
    return value, len(values) - counts[best]


def _merge(
    group: list[_Row], order_of: Callable[[str], dict[str, int]]
) -> tuple[_Row, Counter[str]]:
    """One row for the rows of one key (``on_duplicate: merge``), and how many rows
    disagree with what was kept, by what they disagree on.

    The type, the name and each attribute take the value most rows give (empty
    cells do not count); attributes come from the rows of the type kept, in the
    mapping's order; links are those of every row. Nothing depends on the order
    of the rows, so a re-sorted export merges to the same element.
    """
    dissent: Counter[str] = Counter()
    type_name, n = _majority([r.record.type for r in group])
    if n:
        dissent["class"] += n
    rows = [r for r in group if r.record.type == type_name]
    name, n = _majority([r.record.name for r in rows])
    if n:
        dissent["name"] += n
    values: dict[str, list[Any]] = {}
    for row in rows:
        for attr, value in row.record.attrs.items():
            values.setdefault(attr, []).append(value)
    order = order_of(type_name)
    attrs: dict[str, Any] = {}
    for attr in sorted(values, key=lambda a: (order.get(a, len(order)), a)):
        attrs[attr], n = _majority(values[attr])
        if n:
            dissent[attr] += n
    links = tuple(dict.fromkeys(link for row in group for link in row.links))
    first = rows[0].record
    record = Record.element(type_name, first.key or "", name, attrs, origin=first.origin)
    return _Row(record, links), dissent


@dataclass(frozen=True)
class _ElementColumns:
    """The columns of one CI table that each part of the elements mapping reads."""

    spec: ElementMapping
    key: tuple[str, ...]
    name: tuple[str, ...]
    type: tuple[str, ...]
    fallback: dict[str, tuple[str, ...]]
    skip_when: list[tuple[str, frozenset[str]]]
    attributes: list[tuple[AttributeMapping, tuple[str, ...]]]
    links: list[tuple[LinkMapping, tuple[str, ...], tuple[str, ...]]]
    by_type: dict[str, list[tuple[AttributeMapping, str, tuple[str, ...]]]] = field(
        default_factory=dict
    )

    def attributes_of(
        self, type_name: str, metamodel: Metamodel
    ) -> list[tuple[AttributeMapping, str, tuple[str, ...]]]:
        """The attributes to read for an element of ``type_name``: those it declares, each
        with its column when it has one, else "" and its columns (the first non-empty wins)."""
        found = self.by_type.get(type_name)
        if found is None:
            declared = metamodel.element_types[type_name].attributes
            found = [
                (a, c[0] if len(c) == 1 else "", c)
                for a, c in self.attributes
                if a.attribute in declared
            ]
            self.by_type[type_name] = found
        return found

    def attribute_order(self, type_name: str, metamodel: Metamodel) -> dict[str, int]:
        """Where each attribute of a ``type_name`` element comes in the records this table
        gives: the class's constant attributes first, then the mapping's order."""
        order: dict[str, int] = {}
        for target in self.spec.type.targets():
            if target.type == type_name:
                order.update((attr, len(order)) for attr in target.set if attr not in order)
        for attr, _column, _columns in self.attributes_of(type_name, metamodel):
            order.setdefault(attr.attribute, len(order))
        return order

    @classmethod
    def resolve(cls, table: Table, spec: ElementMapping, mapping_file: str) -> _ElementColumns:
        """Find the mapping's columns in ``table``; a required one missing is a SourceError."""
        found = f"columns found: {table.columns_text()}"
        key = tuple(table.present(spec.key))
        fallback = {
            part: tuple(table.present([part])) for part in spec.key_fallback if part != TYPE_TOKEN
        }
        if not key and not any(fallback.values()):
            raise SourceError(
                f"{table.file}: missing the key column {alternatives(spec.key or spec.key_fallback)} "
                f"(elements.key in {mapping_file})",
                hint=f"{found}; add it to the export, or set elements.key_fallback",
            )
        name = tuple(table.present(spec.name))
        if not name:
            raise SourceError(
                f"{table.file}: missing the name column {alternatives(spec.name)} "
                f"(elements.name in {mapping_file})",
                hint=found,
            )
        type_cols: tuple[str, ...] = ()
        if spec.type.constant is None:
            type_cols = tuple(table.present(spec.type.columns))
            if not type_cols:
                raise SourceError(
                    f"{table.file}: missing the class column {alternatives(spec.type.columns)} "
                    f"(elements.type in {mapping_file})",
                    hint=found,
                )
        skip_when = []
        for column, values in spec.skip_when:
            present = table.column(column)
            if present is not None:
                skip_when.append((present, values))
        attributes = [(a, tuple(table.present(a.columns))) for a in spec.attributes]
        links = [
            (link, tuple(table.present(link.id_columns)), tuple(table.present(link.name_columns)))
            for link in spec.links
        ]
        return cls(
            spec,
            key,
            name,
            type_cols,
            fallback,
            skip_when,
            [(a, c) for a, c in attributes if c],
            [(link, i, n) for link, i, n in links if i or n],
        )


@dataclass(frozen=True)
class _EndReader:
    """Reads one end (parent or child) of a relationship row as a reference."""

    end: str
    id_columns: tuple[str, ...]
    name_columns: tuple[str, ...]
    class_columns: tuple[str, ...]
    prefix: str
    names_are_ids: bool
    ignore: frozenset[str]
    type_hint: Callable[[str], str | None]

    def read(self, cells: dict[str, str]) -> Ref | None:
        hint = self.type_hint(_first(cells, self.class_columns)) if self.class_columns else None
        value = _first(cells, self.id_columns) if self.id_columns else ""
        if value and value not in self.ignore:
            return Ref(self.prefix + value, "id", hint)
        value = _first(cells, self.name_columns)
        if not value or value in self.ignore:
            return None
        if self.names_are_ids:
            return Ref(self.prefix + value, "id", hint)
        return Ref(value, "name", hint)

    def missing(self) -> str:
        columns = self.id_columns + self.name_columns
        return (
            f"no {self.end}: {alternatives(columns)} {'is' if len(columns) == 1 else 'are'} empty"
        )


def _first(cells: dict[str, str], columns: Sequence[str]) -> str:
    """The first non-empty cell among ``columns``."""
    if len(columns) == 1:
        return cells[columns[0]]
    for column in columns:
        value = cells.get(column, "")
        if value:
            return value
    return ""


def _transform_hint(transforms: tuple[str, ...]) -> str | None:
    if "datetime" in transforms:
        return (
            "times are read as YYYY-MM-DD HH:MM[:SS], with a zone (Z, +01:00) or in the "
            "mapping's timezone; or DD/MM/YYYY HH:MM (set dayfirst)"
        )
    if "date" in transforms:
        return "dates are read as YYYY-MM-DD [HH:MM:SS] or DD/MM/YYYY (set dayfirst) or MM/DD/YYYY"
    if "number" in transforms:
        return "numbers may use thousands separators (3,665 or 1 234,5); set decimal_comma for French exports"
    if "bool" in transforms:
        return "true/false, yes/no, 1/0, oui/non"
    return None
