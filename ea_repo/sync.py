"""The sync engine: apply one run of one source to the repository, atomically.

1. Validate every record against the metamodel and resolve references; any
   problem → nothing is written, every problem is reported (``file:row``).
2. Diff against what this source asserted before: added, changed, unchanged,
   missing.  A dry run stops here.
3. Apply in one transaction: upserts, provenance (which source asserted what,
   in which run, with which values) and the change log.
4. Items the source no longer asserts follow its ``on_missing`` policy
   (``retire``, ``delete`` or ``keep``), unless another source still asserts
   them; a retired item that comes back is revived.
5. A guard refuses a run that would retire or delete more than
   ``max_missing`` of what the source had, unless forced.

Attributes are merged across sources: a run sets the attributes its source
gives and removes those its source gave before but no longer does; the
attributes other sources gave are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from hashlib import blake2b
from itertools import chain
from typing import Any

from .errors import EaError, Problem, SourceError, StoreLockedError
from .importers.base import ImportBatch
from .metamodel import Metamodel, RelationType
from .metamodel.validate import check_element, check_relation
from .model import (
    EVERYTHING,
    Change,
    Element,
    ElementId,
    Origin,
    Record,
    Ref,
    Relation,
    RelationId,
    Run,
    Status,
    problem_at,
    relation_id,
    utc_now,
)
from .runtime import checkpoint, gc_paused
from .store import GraphStore
from .timeline import PHASE_OF, out_of_order


class OnMissing(StrEnum):
    """What happens to items a source stops asserting."""

    RETIRE = "retire"  # kept, hidden from analyses, revived if they come back
    DELETE = "delete"  # removed with their relations
    KEEP = "keep"  # left active; they just lose this source's confirmation


DEFAULT_MAX_MISSING = 0.2

# What can happen to a relation in the change log, but being added.
_RELATION_ALTERED = ("changed", "retired", "revived", "deleted")


class RunRefused(SourceError):
    """The ``max_missing`` guard refuses a run: it would remove too much of what the source had."""


Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while a run advances."""


@dataclass
class ItemDiff:
    """What a run changes for one kind of item (elements or relations)."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    revived: list[str] = field(default_factory=list)
    unchanged: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # id -> retire|delete|keep|kept by S

    def counts(self) -> dict[str, int]:
        """Numbers per category, as printed and stored with the run."""
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "revived": len(self.revived),
            "unchanged": self.unchanged,
            "missing": len(self.missing),
        }


@dataclass
class SyncResult:
    """The outcome of one run: the diff, and whether it was written."""

    source: str
    elements: ItemDiff
    relations: ItemDiff
    applied: bool
    run_id: int | None = None
    refused: str | None = None  # why the max_missing guard refuses the run, if it does
    skipped: dict[str, int] = field(default_factory=dict)  # rows the importer left out, by reason
    warnings: list[str] = field(default_factory=list)
    # relations that follow their elements: "retired" with an element this run retires,
    # "revived" with one it revives, "dormant": asserted but kept retired with an end
    with_elements: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts for people and schedulers (``ea sync --json``)."""
        return {
            "source": self.source,
            "applied": self.applied,
            "run": self.run_id,
            "elements": self.elements.counts(),
            "relations": self.relations.counts(),
            **({"relations_with_elements": self.with_elements} if self.with_elements else {}),
            **({"refused": self.refused} if self.refused else {}),
            **({"skipped": dict(self.skipped)} if self.skipped else {}),
        }

    def notes(self) -> list[str]:
        """What a reader of the counts should also know: relations that followed their
        elements, and the importer's warnings."""
        said = {
            "retired": "relation(s) retired with an element this run retired",
            "revived": "relation(s) a source still asserts revived with their element",
            "dormant": "relation(s) asserted to a retired element, kept retired with it",
        }
        return [f"{n} {said[k]}" for k, n in self.with_elements.items()] + self.warnings


_NO_ATTRS: dict[str, Any] = {}
"""The attributes and defaults of the items that have none, shared: items, and the elements
and relations made of them, are not changed once made (see `_Plan.merge`)."""


@dataclass(slots=True)
class _Item:
    """A validated record, ready to be merged into the repository (not changed once made)."""

    id: str
    type: str
    name: str | None  # elements only; None = the source gives no name
    attrs: dict[str, Any]  # what the source asserts
    origin: Origin | None
    src: str | None = None
    dst: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)  # metamodel defaults for the rest


def _split_defaults(
    given: Mapping[str, Any], normalised: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate what a record gave from the defaults validation filled in.

    Defaults are not assertions: a source that says nothing of an attribute
    must not overwrite the value another source gave.
    """
    if not normalised:
        return {}, {}
    values = given.values()
    if normalised.keys() == given.keys() and "" not in values and None not in values:
        # Every attribute given, none defaulted: the common case. When validation
        # converted nothing either, the record's own dict serves (one dict per item
        # fewer for a large import to hold; neither is changed once made).
        if type(given) is dict and all(normalised[k] is v for k, v in given.items()):
            return given, {}
        return normalised, {}
    provided = {k for k, v in given.items() if v is not None and v != ""}
    asserted = {k: v for k, v in normalised.items() if k in provided}
    return asserted, {k: v for k, v in normalised.items() if k not in provided}


def metamodel_fingerprint(metamodel: Metamodel) -> str:
    """A digest of what validation depends on: records checked under another metamodel
    are checked again."""
    canon = {
        "elements": {
            t.name: [
                t.layer,
                t.abstract,
                sorted(
                    (a.name, a.type.value, a.required, repr(a.default), a.values)
                    for a in t.attributes.values()
                ),
            ]
            for t in metamodel.element_types.values()
        },
        "relations": {
            r.name: [
                sorted(r.sources),
                sorted(r.targets),
                sorted(
                    (a.name, a.type.value, a.required, repr(a.default), a.values)
                    for a in r.attributes.values()
                ),
            ]
            for r in metamodel.relation_types.values()
        },
    }
    return hashlib.blake2b(json.dumps(canon, sort_keys=True).encode(), digest_size=8).hexdigest()


def record_digest(fingerprint: str, rec: Record) -> str:
    """A digest of a record's content (not its row): equal digests, equal assertions.

    The content is serialised with ``marshal`` format 2, which, unlike later
    formats, writes every value in full (never a back-reference to an object
    seen before), so equal content gives equal bytes; measured at less than
    half the cost of ``repr`` (which serves values marshal cannot write).
    Attributes are taken in the order the importer gives them, which its
    mapping fixes. A new order, or a Python whose format 2 differs, only
    costs one full check of the records.
    """
    src, dst = rec.src, rec.dst
    content = (
        fingerprint,
        rec.kind,
        rec.type,
        rec.key,
        rec.name,
        tuple(rec.attrs.items()) if rec.attrs else (),
        None if src is None else (src.value, src.by, src.type),
        None if dst is None else (dst.value, dst.by, dst.type),
    )
    try:
        data = marshal.dumps(content, 2)
    except ValueError:  # a value marshal does not know (a date object...)
        data = repr(content).encode()
    return blake2b(data, digest_size=12).hexdigest()


def unique_clashes(
    store: GraphStore,
    metamodel: Metamodel,
    items: Iterable[tuple[str, Mapping[str, Any], Origin | None]],
) -> list[Problem]:
    """Values of ``unique`` attributes that two elements would share, once ``items``
    (id, attributes, origin) are written; one problem per item involved.

    An attribute is unique across every type that declares it (subtypes included).
    The repository is read only when the metamodel declares a unique attribute.
    """
    unique = sorted(
        {
            a.name
            for et in metamodel.element_types.values()
            for a in et.attributes.values()
            if a.unique
        }
    )
    if not unique:
        return []
    items = list(items)
    new_ids = {item_id for item_id, _, _ in items}
    problems: list[Problem] = []
    for name in unique:
        owners: dict[str, list[tuple[str, Origin | None, bool]]] = defaultdict(list)
        for item_id, attrs, origin in items:
            if attrs.get(name) not in (None, ""):
                owners[repr(attrs[name])].append((item_id, origin, True))
        if not owners:
            continue
        holders = [t.name for t in metamodel.element_types.values() if name in t.attributes]
        for element in store.find_elements(types=holders, lens=EVERYTHING):
            value = element.attrs.get(name)
            if element.id not in new_ids and value is not None and repr(value) in owners:
                owners[repr(value)].append((element.id, None, False))
        for value, who in owners.items():
            for item_id, origin, is_new in who:
                others = [i for i, _, _ in who if i != item_id]
                if is_new and others:
                    problems.append(
                        problem_at(
                            origin,
                            f"{name}={value} is already used by {others[0]!r}",
                            f"{name} is unique",
                        )
                    )
    return problems


class _Validator:
    """Turns records into items, collecting every problem.

    Records come with the digest of their content (``""``: none); the digest of the
    record each item was made from is kept in :attr:`digests`, per kind.
    """

    def __init__(self, store: GraphStore, metamodel: Metamodel) -> None:
        self.store = store
        self.mm = metamodel
        self.problems: list[Problem] = []
        self.rejected: set[str] = set()  # keys of elements with problems
        self.digests: dict[str, dict[str, str]] = {"element": {}, "relation": {}}

    def elements(self, records: deque[tuple[Record, str]]) -> dict[str, _Item]:
        """The items of element ``records``, taken out of the queue one by one: each
        record is let go once it is an item (a large run would hold both)."""
        items: dict[str, _Item] = {}
        digests = self.digests["element"]
        while records:
            rec, digest = records.popleft()
            key = (rec.key or "").strip()
            if not key:
                self.problems.append(problem_at(rec.origin, f"a {rec.type} has no key"))
                continue
            et, attrs, problems = check_element(self.mm, rec.type, rec.attrs)
            for p in problems:
                self.problems.append(problem_at(rec.origin, f"{key!r}: {p}"))
            if et is None or problems:
                self.rejected.add(key)
                continue
            if key in items:
                first = items[key].origin
                self.problems.append(
                    problem_at(
                        rec.origin,
                        f"duplicate key {key!r}" + (f" (first at {first})" if first else ""),
                        "each element may appear once per run",
                    )
                )
                continue
            name = rec.name.strip() if rec.name and rec.name.strip() else None
            asserted, defaults = _split_defaults(rec.attrs, attrs)
            items[key] = _Item(key, et.name, name, asserted, rec.origin, defaults=defaults)
            if digest:
                digests[key] = digest
        return items

    def relations(
        self, records: deque[tuple[Record, str]], elements: dict[str, _Item]
    ) -> dict[str, _Item]:
        """The items of relation ``records``, taken out of the queue one by one as
        :meth:`elements` does, their ends resolved among ``elements`` and the repository."""
        resolver = _Resolver(self.store, self.mm, elements, [r for r, _ in records])
        items: dict[str, _Item] = {}
        digests = self.digests["relation"]
        types = resolver.types
        # An end is held as the run's own id of its element, not as the copy each row
        # read: a CMDB names the same CIs in millions of relationship rows.
        own = {i: i for i in elements}
        # Most relations carry no attributes: their check depends on their types alone.
        bare: dict[tuple[str, str, str], tuple[RelationType | None, dict[str, Any], list[str]]] = {}
        while records:
            rec, digest = records.popleft()
            # A record is a tuple: unpacked once, its fields are read without a lookup each.
            _, type_name, key, given, _, src_ref, dst_ref, origin = rec
            assert src_ref is not None and dst_ref is not None
            value = src_ref.value
            if src_ref.by == "id" and value in types:  # the common case, inlined
                src: tuple[str, str] | None = (own.get(value, value), types[value])
            else:
                src = self._end(resolver, rec, src_ref)
            value = dst_ref.value
            if dst_ref.by == "id" and value in types:
                dst: tuple[str, str] | None = (own.get(value, value), types[value])
            else:
                dst = self._end(resolver, rec, dst_ref)
            if src is None or dst is None:
                continue
            if given:
                rt, attrs, problems = check_relation(self.mm, type_name, src[1], dst[1], given)
            else:
                signature = (type_name, src[1], dst[1])
                checked = bare.get(signature)
                if checked is None:
                    checked = bare[signature] = check_relation(self.mm, *signature, {})
                rt, attrs, problems = checked  # read only: _split_defaults makes new dicts
            if problems:
                for p in problems:
                    self.problems.append(problem_at(origin, f"{src[0]} {type_name} {dst[0]}: {p}"))
                continue
            if rt is None:
                continue
            rid = (key or "").strip() or relation_id(src[0], rt.name, dst[0])
            if attrs or given:
                asserted, defaults = _split_defaults(given, attrs)
            else:  # most relations: one shared empty map, not two of their own
                asserted, defaults = _NO_ATTRS, _NO_ATTRS
            item = _Item(rid, rt.name, None, asserted, origin, src[0], dst[0], defaults)
            previous = items.get(rid)
            if previous is not None and (
                previous.src,
                previous.dst,
                previous.type,
                previous.attrs,
            ) != (
                item.src,
                item.dst,
                item.type,
                item.attrs,
            ):
                self.problems.append(
                    problem_at(
                        origin,
                        f"relation {rid!r} is given twice with different content"
                        + (f" (first at {previous.origin})" if previous.origin else ""),
                    )
                )
                continue
            items[rid] = item
            if digest:
                digests[rid] = digest
        return items

    def _end(self, resolver: _Resolver, rec: Record, ref: Ref) -> tuple[str, str] | None:
        """One end of a relation resolved, or None with its problem recorded."""
        found, problem = resolver.resolve(ref)
        if ref.by == "id" and ref.value in self.rejected:
            problem = None  # the element's own problem is reported already
        if problem:
            self.problems.append(problem_at(rec.origin, problem))
        return found


class _Resolver:
    """Resolves references by id or by name among the run's elements and the repository."""

    def __init__(
        self, store: GraphStore, mm: Metamodel, batch: dict[str, _Item], records: list[Record]
    ) -> None:
        self.mm = mm
        self.types: dict[str, str] = {i: it.type for i, it in batch.items()}
        self.by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for item in batch.values():
            self.by_name[(item.name or item.id).casefold()].append((item.id, item.type))
        types = self.types
        unknown_ids: set[str] = set()
        names: set[str] = set()
        for rec in records:
            for ref in (rec.src, rec.dst):
                if ref is None:
                    continue
                if ref.by == "name":
                    names.add(ref.value.casefold())
                elif ref.by == "id" and ref.value not in types:
                    unknown_ids.add(ref.value)
        if unknown_ids:
            for e in store.get_elements(unknown_ids, EVERYTHING).values():
                types[e.id] = e.type
        # The repository is searched for every name, not only those missing from the run:
        # a DataObject named "Loyalty" in the run must not hide the Application "Loyalty".
        self.stored_by_name: dict[str, list[tuple[str, str, bool]]] = {}
        self.named: dict[tuple[str, str | None], tuple[tuple[str, str] | None, str | None]] = {}
        if names:
            for key, found in store.elements_named(names, EVERYTHING).items():
                self.stored_by_name[key] = [
                    (e.id, e.type, e.status is Status.ACTIVE) for e in found
                ]

    def resolve(self, ref: Ref) -> tuple[tuple[str, str] | None, str | None]:
        """``((id, type), None)``, or ``(None, problem)``."""
        if ref.by == "id":
            if ref.value in self.types:
                return (ref.value, self.types[ref.value]), None
            return None, f"no element with id {ref.value!r}"
        # A catalog names the same few thousand applications in a hundred thousand rows:
        # each name is resolved once per run (the run's elements and the repository's are
        # fixed while it validates).
        memo = (ref.value, ref.type)
        found = self.named.get(memo)
        if found is None:
            found = self.named[memo] = self._by_name(ref)
        return found

    def _by_name(self, ref: Ref) -> tuple[tuple[str, str] | None, str | None]:
        key = ref.value.casefold()
        # The run's elements and the repository's active ones; a retired namesake counts
        # only when nothing active bears the name (it must not make a name ambiguous).
        in_run = self.by_name.get(key, [])
        run_ids = {c[0] for c in in_run}
        stored = [c for c in self.stored_by_name.get(key, []) if c[0] not in run_ids]
        active = in_run + [(i, t) for i, t, alive in stored if alive]
        retired = [(i, t) for i, t, alive in stored if not alive]
        if ref.type is not None:
            active = [c for c in active if self.mm.is_a(c[1], ref.type)]
            retired = [c for c in retired if self.mm.is_a(c[1], ref.type)]
        candidates = active or retired
        if len(candidates) == 1:
            return candidates[0], None
        what = f"{ref.type} " if ref.type else ""
        if not candidates:
            return None, f"no {what}element named {ref.value!r}"
        ids = ", ".join(c[0] for c in candidates[:5]) + (" ..." if len(candidates) > 5 else "")
        return (
            None,
            f"{len(candidates)} {what}elements are named {ref.value!r} ({ids}); refer to it by id",
        )


def snapshot(item: Element | Relation) -> dict[str, Any]:
    """An item as the change log keeps it."""
    if isinstance(item, Element):
        return {
            "type": item.type,
            "name": item.name,
            "attrs": dict(item.attrs),
            "status": item.status.value,
        }
    return {
        "src": item.src,
        "type": item.type,
        "dst": item.dst,
        "attrs": dict(item.attrs),
        "status": item.status.value,
    }


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, tuple[Any, Any]]:
    """Fields (``name``, ``attrs.KEY``...) that differ between two snapshots, with both values."""

    def flat(snap: Mapping[str, Any] | None) -> dict[str, Any]:
        snap = snap or {}
        out = {k: v for k, v in snap.items() if k != "attrs"}
        out.update({f"attrs.{k}": v for k, v in (snap.get("attrs") or {}).items()})
        return out

    old, new = flat(before), flat(after)
    return {
        k: (old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    }


class SyncEngine:
    """Applies runs of sources to one repository (a store and its metamodel)."""

    def __init__(self, store: GraphStore, metamodel: Metamodel) -> None:
        self.store = store
        self.metamodel = metamodel

    def run(
        self,
        source: str,
        batch: ImportBatch | Iterable[Record],
        *,
        on_missing: OnMissing | str = OnMissing.RETIRE,
        max_missing: float = DEFAULT_MAX_MISSING,
        dry_run: bool = False,
        force: bool = False,
        partial: bool = False,
        progress: Progress | None = None,
        input_digest: str | None = None,
        consume: bool = False,
    ) -> SyncResult:
        """Validate, diff and (unless ``dry_run``) apply one run of ``source``.

        ``partial``: the records are additions, not the source's whole
        assertion — nothing is missing (manual edits use this).
        ``input_digest``: a digest of everything the records were made from
        (files, mapping, metamodel); kept with the run so that
        :meth:`confirm_unchanged` can recognise the same input next time.

        ``consume``: the run takes the records out of an ``ImportBatch`` (its
        ``records`` left empty) and lets them go once validated, so that a large
        import does not hold them while it diffs and writes.

        Raises :class:`SourceError` listing every problem (nothing written),
        or :class:`RunRefused` when the ``max_missing`` guard trips without
        ``force``. Unless ``partial``, a run that fails or is refused is recorded
        as such (see :meth:`record_failure`).
        """
        records: list[Record]
        if isinstance(batch, ImportBatch):
            records = batch.records
            if consume:
                batch.records = []
        else:
            records, consume = list(batch), True  # a list of its own
        with gc_paused():
            return self._run(
                source,
                batch,
                records if consume else list(records),
                on_missing,
                max_missing,
                dry_run,
                force,
                partial,
                progress,
                None if partial else input_digest,
            )

    def _run(
        self,
        source: str,
        batch: ImportBatch | Iterable[Record],
        records: list[Record],
        on_missing: OnMissing | str,
        max_missing: float,
        dry_run: bool,
        force: bool,
        partial: bool,
        progress: Progress | None,
        input_digest: str | None,
    ) -> SyncResult:
        # `records` is the run's own list (see `run`): emptied once they are validated.
        problems = list(batch.problems) if isinstance(batch, ImportBatch) else []
        tell = progress or (lambda stage, done, total: None)
        now = utc_now()
        if dry_run:
            return self._plan(
                source, batch, records, problems, on_missing, max_missing, partial, tell, now
            )[0]
        run = None
        try:
            # The plan is made against the state it commits onto: inside the write
            # transaction (SQLite: BEGIN IMMEDIATE), so that no other writer commits
            # between the diff and the writes.
            with self.store.transaction():
                result, plan, digests = self._plan(
                    source, batch, records, problems, on_missing, max_missing, partial, tell, now
                )
                checkpoint("sync.planned")
                if result.refused and not force:
                    raise RunRefused(
                        result.refused + "; nothing was written",
                        hint="a truncated export? check it; if the removal is real, run again with --force",
                    )
                total = sum(len(plan.upserts[k]) for k in plan.upserts)
                tell("writing", 0, total)
                run = self.store.start_run(source, at=now)
                plan.apply(run.id, digests, full=not partial)
                checkpoint("sync.written")
                self.store.finish_run(
                    run.id, "succeeded", _run_stats(result, input_digest), at=utc_now()
                )
                checkpoint("sync.before-commit")
        except Exception as exc:
            # A source's run that fails is a run too; a manual edit's mistakes are the
            # user's to see at once (unless the writing itself failed).
            if not partial or run is not None:
                self.record_failure(source, now, exc, run)
            raise
        checkpoint("sync.committed")
        tell("writing", total, total)
        result.applied = True
        result.run_id = run.id
        return result

    def _plan(
        self,
        source: str,
        batch: ImportBatch | Iterable[Record],
        records: list[Record],
        problems: list[Problem],
        on_missing: OnMissing | str,
        max_missing: float,
        partial: bool,
        tell: Progress,
        now: str,
    ) -> tuple[SyncResult, _Plan, dict[str, dict[str, str]]]:
        """Validate the records and diff them against the repository as it is now.

        Raises :class:`SourceError` listing every problem.
        """
        policy = OnMissing(on_missing)
        # Records identical to those of the source's last run (same digest, item still
        # asserted and active) need no validation, diff or rewrite: a re-sync of an
        # unchanged export reads it and confirms it.
        unchanged: dict[str, set[str]] = {"element": set(), "relation": set()}
        fresh: list[tuple[Record, str]] = []
        if partial:
            fresh = [(r, "") for r in records]
        else:
            known = self.store.record_digests(source)
            fresh = self._recognise(records, unchanged, known)
        validator = _Validator(self.store, self.metamodel)
        count = len(fresh)
        tell("validating", 0, count)
        # The items hold what the rest of the run needs: the records, a large run's
        # largest part, are let go as they become items (`records` is the run's own).
        records.clear()
        element_records = deque(p for p in fresh if p[0].kind == "element")
        relation_records = deque(p for p in fresh if p[0].kind == "relation")
        fresh.clear()
        elements = validator.elements(element_records)
        relations = validator.relations(relation_records, elements)
        tell("validating", count, count)
        problems = problems + validator.problems
        problems += unique_clashes(
            self.store,
            self.metamodel,
            ((i, {**item.defaults, **item.attrs}, item.origin) for i, item in elements.items()),
        )
        digests = validator.digests
        if problems:
            n = len(problems)
            raise SourceError(
                f"{source}: {n} problem{'s' if n != 1 else ''} in the input; nothing was written",
                problems=problems,
                hint="fix the rows named above (or the mapping), then run again",
            )

        plan = _Plan(self.store, source, now)
        plan.merge("element", elements)
        plan.confirm(unchanged)
        keep = batch.keeps_missing if isinstance(batch, ImportBatch) else None
        if not partial:
            plan.missing("element", set(elements) | unchanged["element"], policy, keep)
        # Relations after the elements' fates are known: one to an element that ends
        # the run retired is retired with it.
        plan.merge("relation", relations)
        if not partial:
            plan.missing("relation", set(relations) | unchanged["relation"], policy)
        plan.follow_elements(repair=not partial)
        asserted = sum(len(found) for found in (elements, relations, *unchanged.values()))
        refusal = None if partial else plan.guard(max_missing, asserted)
        result = SyncResult(
            source,
            plan.diffs["element"],
            plan.diffs["relation"],
            applied=False,
            refused=refusal,
            with_elements={k: len(v) for k, v in plan.with_elements.items() if v},
        )
        if isinstance(batch, ImportBatch):
            result.skipped = dict(sorted(batch.skipped.items()))
            result.warnings = [str(w) for w in batch.warnings]
        if plan.clashes:
            result.warnings.append(
                f"{len(plan.clashes)} item(s) whose lifecycle dates are out of order once merged "
                "with another source's (not in the landscape on any day until one is fixed): "
                + "; ".join(plan.clashes[:5])
                + (f" and {len(plan.clashes) - 5} more" if len(plan.clashes) > 5 else "")
            )
        return result, plan, digests

    def confirm_unchanged(
        self,
        source: str,
        input_digest: str,
        *,
        dry_run: bool = False,
        reads_repository: bool = False,
    ) -> SyncResult | None:
        """Confirm a run whose input is the same as the source's last run, without reading it.

        When the source's last successful run was made from the same input
        (``input_digest``: the files, the mapping, the metamodel, this
        version) and no run since changed what its records resolve through,
        applying it again can only find everything unchanged: every assertion
        of the source is confirmed in one statement and the result says so.
        ``reads_repository``: the source's records are made from the repository
        too (the eol importer matches the software it holds), so any change since
        may change them. ``None`` when the shortcut does not apply; the caller
        then reads and runs as usual.
        """
        if dry_run:
            return self._unchanged_since(source, input_digest, reads_repository)
        # Checked inside the write transaction: no other writer may change the
        # repository between the check and the confirmation.
        with self.store.transaction():
            result = self._unchanged_since(source, input_digest, reads_repository)
            if result is None:
                return None
            checkpoint("sync.planned")
            now = utc_now()
            run = self.store.start_run(source, at=now)
            for kind in ("element", "relation"):
                self.store.touch_assertions(run.id, source, kind, None, at=now)
            checkpoint("sync.written")
            self.store.finish_run(
                run.id, "succeeded", _run_stats(result, input_digest), at=utc_now()
            )
            checkpoint("sync.before-commit")
        checkpoint("sync.committed")
        result.applied = True
        result.run_id = run.id
        return result

    def _unchanged_since(
        self, source: str, input_digest: str, reads_repository: bool
    ) -> SyncResult | None:
        """The result of confirming the source's last successful run, if its input was
        ``input_digest`` and no run since changed what it depends on; else None."""
        found = self.store.runs(source, limit=1, status="succeeded")
        if not found or found[0].stats.get("input") != input_digest:
            return None
        last = found[0]
        # A run of any source since then that did not finish cleanly (failed, or still
        # running: killed, or at work elsewhere) may have written part of itself — a
        # staged Neo4j run commits in chunks — unless it is known to have written nothing.
        # A successful one that changed something may have changed a name our references
        # resolve through (see `_spared`), or, for a source made from the repository
        # itself, anything its records are made from.
        since = self.store.runs(after=last.id)
        if any(r.status != "succeeded" and not r.stats.get("wrote_nothing") for r in since):
            return None
        later = [
            r for r in since if _changed_anything(r.stats) or r.stats.get("relations_with_elements")
        ]
        if later and (reads_repository or not self._spared(source, later)):
            return None
        counts = {
            kind: sum(int(n) for key, n in last.stats.get(kind, {}).items() if key != "missing")
            for kind in ("elements", "relations")
        }
        return SyncResult(
            source,
            ItemDiff(unchanged=counts["elements"]),
            ItemDiff(unchanged=counts["relations"]),
            applied=False,
            skipped=dict(last.stats.get("skipped", {})),
            warnings=list(last.stats.get("warnings", [])),
        )

    def _spared(self, source: str, runs: Iterable[Run]) -> bool:
        """Whether the changes ``runs`` made (runs of other sources, since ``source``'s last
        successful one) leave a new run of ``source``'s last input nothing to change.

        Applying the same records again depends on the repository through two things
        only: the items the source asserts (a full run recognises the records of most
        by their digest and leaves them as they are, but checks again those made
        inactive since), and what its references resolve to, which are the ends of the
        relations it asserts, found by id or by name. An end's type, name or status decides whether the
        relation is valid and whether it is active; a reference by name finds every
        element bearing that name (ignoring case), preferring the active ones. So the
        shortcut holds when, in the change log of those runs:

        * nothing was deleted: a deletion takes the assertions of the deleted items
          with it, and with them the trace that the source asserted one of them;
        * no item the source asserts was changed, retired or revived;
        * no end of a relation the source asserts was changed, retired or revived;
        * no element added, renamed, retired or revived bears (or bore) the name of such
          an end: a reference by that name could now find two elements, or another one
          (a source referring by id only never looks names up, but cannot be told apart
          from its records without reading them: this rule errs on the safe side).

        Anything else is harmless: an item added since did not exist when the source
        last ran, so the source cannot assert it nor link to it (nothing was deleted),
        and other sources' relations do not enter a run of this source.
        """
        changed: dict[str, set[str]] = {"element": set(), "relation": set()}
        added: set[str] = set()
        names: set[str] = set()
        for run in runs:
            # A relation added is harmless (and the bulk of a catalog's run): not read.
            for change in (
                *self.store.changes(run_id=run.id, kind="element"),
                *self.store.changes(run_id=run.id, kind="relation", ops=_RELATION_ALTERED),
            ):
                if change.op == "deleted":
                    return False
                if change.kind == "relation":
                    if change.op != "added":
                        changed["relation"].add(change.item_id)
                elif change.op == "added":
                    added.add(change.item_id)
                else:
                    changed["element"].add(change.item_id)
                    names.update(s["name"] for s in (change.before, change.after) if s)
        for kind, ids in changed.items():
            if ids and any(a.source == source for a in self.store.assertions(kind, ids)):
                return False
        if added:
            names.update(e.name for e in self.store.get_elements(added, EVERYTHING).values())
        namesakes = self.store.elements_named(names, EVERYTHING) if names else {}
        ends = changed["element"] | {e.id for found in namesakes.values() for e in found}
        ends -= added
        linked = [r.id for r in self.store.relations_of(ends, EVERYTHING)] if ends else []
        return not (
            linked and any(a.source == source for a in self.store.assertions("relation", linked))
        )

    def _recognise(
        self,
        records: list[Record],
        unchanged: dict[str, set[str]],
        known: dict[str, tuple[str, str]],
    ) -> list[tuple[Record, str]]:
        """Split records into those unchanged since the source's last run (their items
        go to ``unchanged``) and the rest, returned with their digests."""
        fingerprint = metamodel_fingerprint(self.metamodel)
        digests = [record_digest(fingerprint, r) for r in records]
        if not known:  # the source's first run: nothing to recognise
            return list(zip(records, digests, strict=True))
        # A digest given by two records is recognised for neither. A record naming its
        # ends by display name is always checked again: another element may have taken
        # the same name since, making the reference ambiguous.
        seen: set[str] = set()
        unusable: set[str] = set()
        for rec, d in zip(records, digests, strict=True):
            if d in seen or (
                rec.src is not None and (rec.src.by == "name" or rec.dst.by == "name")  # type: ignore[union-attr]
            ):
                unusable.add(d)
            seen.add(d)
        candidates: dict[str, set[str]] = {"element": set(), "relation": set()}
        for d in digests:
            hit = known.get(d)
            if hit is not None and d not in unusable:
                candidates[hit[0]].add(hit[1])
        # The digests are those of items the source still asserts; the item must
        # also still be active (not retired by hand or by another path since).
        valid = {kind: ids - self.store.inactive(kind, ids) for kind, ids in candidates.items()}
        fresh: list[tuple[Record, str]] = []
        for rec, d in zip(records, digests, strict=True):
            hit = known.get(d)
            if hit is not None and d not in unusable and hit[1] in valid[hit[0]]:
                unchanged[hit[0]].add(hit[1])
            else:
                fresh.append((rec, d))
        return fresh

    def record_failure(
        self, source: str, started: str, error: Exception, run: Run | None = None
    ) -> None:
        """Record a run of ``source`` that failed: ``refused`` by the ``max_missing`` guard,
        else ``failed``; with its message, how many problems its input had and the first
        of them.

        ``run``: the run the failure interrupted, if it had begun. A run that outlived
        its failure (a staged Neo4j run commits part-way) is the one closed; else a run
        is recorded for the failure. Best effort: the failure itself must not hide the
        original error. A repository another process holds locked records nothing.
        """
        if isinstance(error, StoreLockedError):
            return
        status = "refused" if isinstance(error, RunRefused) else "failed"
        if isinstance(error, EaError):
            message, problems = error.message, error.problems
        else:
            message, problems = f"{type(error).__name__}: {error}", []
        stats: dict[str, Any] = {"applied": False, "problems": len(problems)}
        if problems:
            stats["first_problem"] = str(problems[0])
        with contextlib.suppress(Exception), self.store.transaction():
            latest = self.store.runs(source, limit=1)
            if run is None or not latest or latest[0].id != run.id:
                # Nothing of the run outlived its failure (it never began writing, or its
                # transaction rolled back): say so, for the unchanged-input shortcut.
                stats["wrote_nothing"] = True
                run = self.store.start_run(source, at=started)
            self.store.finish_run(run.id, status, stats, message=message)


def _run_stats(result: SyncResult, input_digest: str | None) -> dict[str, Any]:
    """What is kept with a successful run: its summary, warnings and input digest."""
    stats = result.summary() | {"applied": True}
    if result.warnings:
        stats["warnings"] = result.warnings[:1000]
    if input_digest:
        stats["input"] = input_digest
    return stats


def _changed_anything(stats: Mapping[str, Any]) -> bool:
    """Whether a run with these stats changed the repository (anything but unchanged items)."""
    return any(
        int(n) > 0
        for kind in ("elements", "relations")
        for key, n in (stats.get(kind) or {}).items()
        if key != "unchanged"
    )


class _Plan:
    """The writes of one run, computed before anything is written."""

    def __init__(self, store: GraphStore, source: str, now: str) -> None:
        self.store = store
        self.source = source
        self.now = now
        self.diffs = {"element": ItemDiff(), "relation": ItemDiff()}
        self.upserts: dict[str, list[Element | Relation]] = {"element": [], "relation": []}
        self.asserted: dict[str, dict[str, dict[str, Any]]] = {"element": {}, "relation": {}}
        self.changes: list[Change] = []
        self.retire: dict[str, list[str]] = {"element": [], "relation": []}
        self.delete: dict[str, list[str]] = {"element": [], "relation": []}
        self.retract: dict[str, list[str]] = {"element": [], "relation": []}
        self.previous: dict[str, set[str]] = {}
        self.spared: set[str] = set()  # missing elements the batch keeps (see `missing`)
        # relations following their elements (see `follow_elements`): ids by what happens
        self.with_elements: dict[str, list[str]] = {"retired": [], "revived": [], "dormant": []}
        self.clashes: list[str] = []  # lifecycle dates out of order once merged with others'
        self._empty: bool | None = None

    def repository_empty(self) -> bool:
        """Whether the repository held no element when the plan began (nor, then, any
        relation): a first import, whose items need no comparison with stored ones."""
        if self._empty is None:
            self._empty = not self.store.find_elements(lens=EVERYTHING, limit=1)
        return self._empty

    def elements_down(self, ids: Iterable[str]) -> set[str]:
        """Of ``ids``, the elements that will not be active once the plan is applied."""
        wanted = set(ids)
        going = set(self.retire["element"]) | set(self.delete["element"])
        coming = {e.id for e in self.upserts["element"]}  # every upsert is active
        # Only the others are read: a CMDB's relations mostly link elements of its run.
        asked = wanted - coming
        inactive = self.store.inactive("element", asked) if asked else set()
        return inactive | (going & wanted)

    def asserted_before(self, kind: str) -> set[str]:
        """The ids of the items of ``kind`` the source asserted before this run."""
        if kind not in self.previous:
            self.previous[kind] = self.store.asserted_ids(self.source, kind)
        return self.previous[kind]

    def merge(self, kind: str, items: dict[str, _Item]) -> None:
        """Compare each item with the repository; plan its upsert and assertion."""
        existing: Mapping[str, Element | Relation]
        if self.repository_empty():
            existing = {}
        elif kind == "element":
            existing = self.store.get_elements(items, EVERYTHING)
        else:
            existing = self.store.get_relations(items, EVERYTHING)
        # Only what the source asserted before has values to compare with (none, on
        # a source's first run).
        previous = self.asserted_before(kind)
        known = [i for i in items if i in previous]
        before = self.store.asserted_values(self.source, kind, known) if known else {}
        diff = self.diffs[kind]
        shapes: dict[tuple[str, ...], dict[str, Any]] = {}
        down = (
            self.elements_down({e for i in items.values() for e in (i.src, i.dst) if e})
            if kind == "relation"
            else set()
        )
        asserted_now, upserts, added = self.asserted[kind], self.upserts[kind], diff.added
        for item_id, item in items.items():
            old = existing.get(item_id)
            if old is None:  # the common case of a first import
                # Items are not changed once made: without defaults to add, share the dict.
                attrs = dict(item.attrs) if item.defaults else item.attrs
            else:
                dropped = set((before.get(item_id) or {}).get("attrs", {})) - set(item.attrs)
                attrs = {k: v for k, v in old.attrs.items() if k not in dropped}
                attrs.update(item.attrs)
                if any(k in PHASE_OF for k in item.attrs) and any(
                    k in PHASE_OF and k not in item.attrs for k in attrs
                ):
                    # Each source's own dates were checked; with another's they may clash.
                    clash = out_of_order(attrs)
                    if clash is not None:
                        self.clashes.append(f"{item_id}: {clash}, merged with another source's")
            if item.defaults:
                for key, value in item.defaults.items():
                    attrs.setdefault(key, value)
            new: Element | Relation
            if kind == "element":
                name = item.name or (old.name if isinstance(old, Element) else item.id)
                new = Element(ElementId(item_id), item.type, name, attrs, Status.ACTIVE)
            else:
                assert item.src is not None and item.dst is not None
                new = Relation(
                    ElementId(item.src),
                    item.type,
                    ElementId(item.dst),
                    attrs,
                    Status.RETIRED if item.src in down or item.dst in down else Status.ACTIVE,
                    RelationId(item_id),
                )
            # What the source asserts, for the next run's merge: only which attributes
            # it gives matters (their values are in the item itself). Items of one type
            # usually give the same ones: they share one value.
            shape = tuple(item.attrs)
            asserted = shapes.get(shape)
            if asserted is None:
                asserted = shapes[shape] = {"attrs": sorted(shape)} if shape else {}
            asserted_now[item_id] = asserted
            if new.status is Status.RETIRED and (old is None or old.status is Status.RETIRED):
                self.with_elements["dormant"].append(item_id)
            if old is None:
                # An addition logs no snapshot: the values it started with are the item's
                # current ones, or the `before` of its next change (a bulk first import
                # would otherwise write every item twice). Its log entry is made in `apply`.
                added.append(item_id)
                upserts.append(new)
                continue
            if old.status is Status.RETIRED and new.status is Status.ACTIVE:
                diff.revived.append(item_id)
                op = "revived"
            elif old.status is Status.ACTIVE and new.status is Status.RETIRED:
                self.with_elements["retired"].append(item_id)
                op = "retired"
            elif old != new:
                diff.changed[item_id] = changed_fields(snapshot(old), snapshot(new))
                op = "changed"
            else:
                diff.unchanged += 1
                continue
            self.upserts[kind].append(new)
            self.changes.append(
                Change(0, kind, item_id, op, snapshot(old), snapshot(new), self.now)
            )

    def confirm(self, unchanged: dict[str, set[str]]) -> None:
        """Count items the source asserts again unchanged (their provenance is refreshed with
        every assertion of the source, at the end of :meth:`apply`)."""
        for kind, ids in unchanged.items():
            self.diffs[kind].unchanged += len(ids)

    def missing(
        self,
        kind: str,
        present: set[str],
        policy: OnMissing,
        keep: Callable[[Element], bool] | None = None,
    ) -> None:
        """Plan what happens to what the source asserted before and not now: ``policy``,
        except for the elements ``keep`` accepts, kept with their relations whatever it says."""
        previous = self.asserted_before(kind)
        gone = previous - present
        if not gone:
            return
        others: dict[str, set[str]] = defaultdict(set)
        for assertion in self.store.assertions(kind, gone):
            if assertion.source != self.source:
                others[assertion.item_id].add(assertion.source)
        current = (
            self.store.get_elements(gone, EVERYTHING)
            if kind == "element"
            else self.store.get_relations(gone, EVERYTHING)
        )
        diff = self.diffs[kind]
        for item_id in sorted(gone):
            self.retract[kind].append(item_id)
            old = current.get(item_id)
            if old is None:
                continue  # deleted meanwhile (e.g. with an element)
            if others[item_id]:
                diff.missing[item_id] = "kept by " + ", ".join(sorted(others[item_id]))
                continue
            if isinstance(old, Element):
                kept = keep is not None and keep(old)
            else:
                kept = bool({old.src, old.dst} & self.spared)
            if kept:
                self.spared.add(item_id)
                diff.missing[item_id] = OnMissing.KEEP.value
                continue
            diff.missing[item_id] = policy.value
            if policy is OnMissing.RETIRE and old.status is not Status.RETIRED:
                self.retire[kind].append(item_id)
                self.changes.append(
                    Change(0, kind, item_id, "retired", snapshot(old), None, self.now)
                )
            elif policy is OnMissing.DELETE:
                self.delete[kind].append(item_id)
                self.changes.append(
                    Change(0, kind, item_id, "deleted", snapshot(old), None, self.now)
                )

    def follow_elements(self, repair: bool) -> None:
        """Plan the relations no run item covers that follow their elements.

        A relation to an element this run retires is retired with it, whichever
        source asserts it; a retired relation of an element this run revives is
        revived when some source still asserts it and its other end is active.
        ``repair``: also retire the active relations of elements retired before
        (a repository written before relations followed their elements).
        """
        planned: set[str] = {r.id for r in self.upserts["relation"]}
        planned.update(self.retire["relation"], self.delete["relation"])
        retiring = self.retire["element"]
        following = self.store.relations_of(retiring, EVERYTHING) if retiring else []
        if repair:
            # Those of elements retired before, but not of one this run brings back.
            stranded = self.store.stranded_relations()
            coming = {e.id for e in self.upserts["element"]}
            ends = {end for r in stranded for end in (r.src, r.dst) if end not in coming}
            down = self.store.inactive("element", ends) if ends else set()
            following += [r for r in stranded if r.src in down or r.dst in down]
        for rel in following:
            if rel.status is Status.ACTIVE and rel.id not in planned:
                planned.add(rel.id)
                self.with_elements["retired"].append(rel.id)
                self.changes.append(
                    Change(0, "relation", rel.id, "retired", snapshot(rel), None, self.now)
                )
        revived = self.diffs["element"].revived
        candidates = [
            r
            for r in (self.store.relations_of(revived, EVERYTHING) if revived else ())
            if r.status is Status.RETIRED and r.id not in planned
        ]
        if not candidates:
            return
        asserted = {
            a.item_id for a in self.store.assertions("relation", [r.id for r in candidates])
        }
        down = self.elements_down({e for r in candidates for e in (r.src, r.dst)})
        for rel in candidates:
            if rel.id in asserted and rel.src not in down and rel.dst not in down:
                self.with_elements["revived"].append(rel.id)
                before = snapshot(rel)
                after = before | {"status": Status.ACTIVE.value}
                self.changes.append(
                    Change(0, "relation", rel.id, "revived", before, after, self.now)
                )

    def guard(self, max_missing: float, asserted: int) -> str | None:
        """Why this run would retire or delete too much of what the source had, or None.

        A run that asserts nothing (``asserted`` items) and would remove anything is
        refused whatever the share: an export reduced to its header is a failed export,
        and the items a source keeps when it stops listing them (incidents that are
        over) can make the share of the others small.
        """
        lost = sum(len(self.retire[k]) + len(self.delete[k]) for k in ("element", "relation"))
        had = sum(len(self.previous.get(k, ())) for k in ("element", "relation"))
        if lost and not asserted:
            return (
                f"{self.source}: this run asserts nothing and would remove {lost} of the "
                f"{had} items the source had (an export with no rows?)"
            )
        if had and lost > max_missing * had:
            return (
                f"{self.source}: this run would remove {lost} of the {had} items the source had "
                f"({lost / had:.0%}, more than the {max_missing:.0%} allowed)"
            )
        return None

    def apply(self, run_id: int, digests: Mapping[str, Mapping[str, str]], full: bool) -> None:
        """Write the plan inside the caller's transaction.

        ``digests``: per kind, item id → digest of the record that asserted it;
        ``full``: the run is the source's whole assertion (not additions).
        """
        store = self.store
        # Relations of deleted elements go with them (but those this run moves to other
        # ends); log and forget them too.
        doomed: list[Relation] = []
        if self.delete["element"]:
            going = set(self.delete["element"])
            moved = {
                r.id
                for r in self.upserts["relation"]
                if isinstance(r, Relation) and r.src not in going and r.dst not in going
            }
            doomed = [
                r
                for r in store.relations_of(self.delete["element"], EVERYTHING)
                if r.id not in moved
            ]
            logged = {c.item_id for c in self.changes if c.kind == "relation" and c.op == "deleted"}
            self.changes.extend(
                Change(0, "relation", r.id, "deleted", snapshot(r), None, self.now)
                for r in doomed
                if r.id not in logged
            )
        # The log first: a store that commits a large run in parts (Neo4j) writes each
        # entry in the transaction that writes the item it describes.
        store.log_changes(
            chain(
                (
                    Change(run_id, c.kind, c.item_id, c.op, c.before, c.after, c.at)
                    for c in sorted(self.changes, key=lambda c: (c.kind, c.item_id))
                ),
                (
                    Change(run_id, kind, item_id, "added", None, None, self.now)
                    for kind in ("element", "relation")
                    for item_id in sorted(self.diffs[kind].added)
                ),
            )
        )
        # Writing in key order fills SQLite's B-trees sequentially: measured, relation
        # inserts take half the time they take in an export's random sys_id order.
        by_id = lambda item: item.id  # noqa: E731
        store.upsert_elements(
            sorted((e for e in self.upserts["element"] if isinstance(e, Element)), key=by_id)
        )
        store.upsert_relations(
            sorted((r for r in self.upserts["relation"] if isinstance(r, Relation)), key=by_id)
        )
        for kind in ("element", "relation"):
            store.record_assertions(
                run_id,
                self.source,
                kind,
                sorted(self.asserted[kind]),
                at=self.now,
                values=self.asserted[kind],
                digests=digests[kind],
            )
            store.retract_assertions(self.source, kind, self.retract[kind])
            if full:
                # Everything the source still asserts was confirmed by this run: those
                # not just written are the unchanged ones, touched in one statement.
                store.touch_assertions(run_id, self.source, kind, None, at=self.now)
            store.set_status(kind, self.retire[kind], Status.RETIRED)
        upserted = {r.id for r in self.upserts["relation"]}
        followed = self.with_elements
        store.set_status(
            "relation", [i for i in followed["retired"] if i not in upserted], Status.RETIRED
        )
        store.set_status("relation", followed["revived"], Status.ACTIVE)
        if self.delete["relation"]:
            store.delete_relations(self.delete["relation"])
            store.drop_assertions("relation", self.delete["relation"])
        if self.delete["element"]:
            store.delete_elements(self.delete["element"])
            store.drop_assertions("relation", [r.id for r in doomed])
            store.drop_assertions("element", self.delete["element"])
