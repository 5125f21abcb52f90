"""A scenario applied: an overlay on the store, read through the same lens as the facts.

:func:`compile_overlay` turns a scenario (and those it starts from) into an
:class:`Overlay` against the facts as they are now: the elements it adds, changes
or retires, the relations it adds and removes — ``replace X by Y`` becomes the
removal of X's relations, their copies on Y, and X retired. It reads the facts
each time, so a relation a sync gave X after the scenario was written is taken
over too; and every edit the facts no longer fit (an element a sync retired or
deleted, a change a sync already made, a value that moved since the edit was
written) becomes a :class:`Drift`, reported on every use, never ignored.

:class:`SeenStore` is the repository as a reader sees it on a day and under a
scenario: a read-only :class:`~ea_repo.store.base.GraphStore` over the real
store, for both backends alike. Each read goes to the store with the lens
(which does the date and the statuses in SQL or Cypher), then the overlay's
part is applied to the answer: ids it hides dropped, its own items added where
the lens shows them (:func:`ea_repo.timeline.shown_at`, the rule the stores
follow). Analyses, views and reports run on it unchanged.
"""

from __future__ import annotations

import functools
import heapq
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import timeline
from ..errors import StoreError
from ..metamodel import Metamodel
from ..metamodel.validate import check_attributes, check_element, check_relation
from ..model import (
    CURRENT,
    EVERYTHING,
    Direction,
    Element,
    ElementId,
    Hop,
    Lens,
    Relation,
    RelationId,
    Status,
    Step,
    relation_id,
)
from ..store.base import Counts, Expansion, GraphStore, mentions
from ..timeline import shown_at
from .file import Edit, Scenario

_ACTIVE_FACTS = Lens(frozenset({Status.ACTIVE}))


@dataclass(frozen=True)
class Drift:
    """An edit the facts have moved under since it was written."""

    scenario: str
    index: int  # 1-based, in its scenario's edits
    edit: Edit
    kind: str  # gone | retired | done | moved | exists | refused
    message: str

    def text(self) -> str:
        return f"scenario {self.scenario}, edit {self.index} ({self.edit.text()}): {self.message}"

    def to_data(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "edit": self.index,
            "op": self.edit.op,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class Overlay:
    """What a scenario changes, on one day: element id -> its version under the scenario
    (retired: retired by it); the relations it adds (by id) and removes."""

    name: str
    day: str | None
    elements: dict[str, Element] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    drift: list[Drift] = field(default_factory=list)
    applied: int = 0  # edits taking effect on that day


def _ids_of(chain: Sequence[Scenario]) -> tuple[set[str], set[str]]:
    elements: set[str] = set()
    relations: set[str] = set()
    for scenario in chain:
        for e in scenario.edits:
            elements.update(x for x in (e.id, e.by, e.src, e.dst) if x)
            rid = _relation_of(e)
            if rid:
                relations.add(rid)
    return elements, relations


def _relation_of(edit: Edit) -> str | None:
    if edit.relation:
        return edit.relation
    if edit.src and edit.type and edit.dst and edit.op in ("link", "unlink"):
        return relation_id(edit.src, edit.type, edit.dst)
    return None


class _Compiler:
    def __init__(
        self, store: GraphStore, metamodel: Metamodel, chain: Sequence[Scenario], day: str | None
    ) -> None:
        self.store = store
        self.metamodel = metamodel
        self.overlay = Overlay(chain[-1].name if chain else "", day)
        element_ids, relation_ids = _ids_of(chain)
        self.facts = store.get_elements(element_ids, EVERYTHING)
        self.fact_relations = store.get_relations(relation_ids, EVERYTHING)
        self.scenario = ""
        self.index = 0
        self.edit = Edit("add")

    def drift(self, kind: str, message: str) -> None:
        self.overlay.drift.append(Drift(self.scenario, self.index, self.edit, kind, message))

    def current(self, element_id: str) -> Element | None:
        """The element as the scenario has it so far (None: not there)."""
        if element_id in self.overlay.elements:
            mine = self.overlay.elements[element_id]
            return mine if mine.status is Status.ACTIVE else None
        fact = self.facts.get(element_id)
        return fact if fact is not None and fact.status is Status.ACTIVE else None

    def missing(self, element_id: str, role: str = "") -> None:
        """Report why ``element_id`` is not there to edit."""
        fact = self.facts.get(element_id)
        who = f"{role} {element_id}".strip()
        if fact is None:
            self.drift("gone", f"{who} is not in the repository (deleted by a sync?): edit skipped")
        elif element_id in self.overlay.elements:
            self.drift("gone", f"{who} is retired by this scenario earlier: edit skipped")
        else:
            self.drift("retired", f"{who} was retired by a sync since: edit skipped")

    def run(self, chain: Sequence[Scenario]) -> Overlay:
        day = self.overlay.day
        for scenario in chain:
            self.scenario = scenario.name
            for index, edit in enumerate(scenario.edits, 1):
                if day is not None and edit.on is not None and edit.on > day:
                    continue
                self.index, self.edit = index, edit
                self.overlay.applied += 1
                getattr(self, f"_{edit.op}")(edit)
        return self.overlay

    def _checked(self, type_name: str, element_id: str, attrs: Mapping[str, Any]) -> dict | None:
        _, normalised, problems = check_element(self.metamodel, type_name, attrs)
        if problems:
            self.drift("refused", f"{type_name} {element_id}: {'; '.join(problems)}: edit skipped")
            return None
        return normalised

    def _retired(self, element_id: str) -> Element:
        current = self.current(element_id)
        assert current is not None
        return Element(current.id, current.type, current.name, current.attrs, Status.RETIRED)

    def _add(self, edit: Edit) -> None:
        assert edit.id is not None and edit.type is not None
        fact = self.facts.get(edit.id)
        if (
            fact is not None
            and fact.status is Status.ACTIVE
            and edit.id not in self.overlay.elements
        ):
            self.drift(
                "exists",
                f"{edit.id} is in the repository now ({fact.type} {fact.name!r}, from a sync): "
                "the scenario's version stands in for it",
            )
        attrs = self._checked(edit.type, edit.id, edit.attrs)
        if attrs is not None:
            self.overlay.elements[edit.id] = Element(
                ElementId(edit.id), edit.type, edit.name or edit.id, attrs
            )

    def _retire(self, edit: Edit) -> None:
        assert edit.id is not None
        if self.current(edit.id) is None:
            fact = self.facts.get(edit.id)
            if fact is not None and fact.status is Status.RETIRED:
                self.drift("done", f"{edit.id} was retired by a sync since: nothing left to do")
            else:
                self.missing(edit.id)
            return
        self.overlay.elements[edit.id] = self._retired(edit.id)

    def _set(self, edit: Edit) -> None:
        assert edit.id is not None
        current = self.current(edit.id)
        if current is None:
            self.missing(edit.id)
            return
        fact = self.facts.get(edit.id)
        moved = []
        if fact is not None and edit.was:
            for key, old in edit.was.items():
                now = fact.attrs.get(key)
                if now != old and now != edit.attrs.get(key):
                    moved.append(f"{key} was {old!r} when written, {now!r} now")
        if all(current.attrs.get(k) == v for k, v in edit.attrs.items()) and (
            edit.name is None or edit.name == current.name
        ):
            self.drift("done", "a sync has made this change already")
        elif moved:
            self.drift("moved", "; ".join(moved) + "; the scenario's values stand")
        # The values it sets are checked; the others are the facts', checked when they came in.
        et = self.metamodel.element_type(current.type)
        given = {k: v for k, v in edit.attrs.items() if v is not None}
        checked, problems = check_attributes(et.attributes, given, et.name) if et else (given, [])
        problems = [p for p in problems if not p.endswith(" is required")]
        if problems:
            self.drift("refused", f"{current.type} {edit.id}: {'; '.join(problems)}: edit skipped")
            return
        merged = {**current.attrs, **{k: checked.get(k, v) for k, v in given.items()}}
        for key, value in edit.attrs.items():
            if value is None:
                merged.pop(key, None)
        order = timeline.out_of_order(merged)
        if order is not None:
            self.drift("refused", f"{current.type} {edit.id}: {order}: edit skipped")
            return
        self.overlay.elements[edit.id] = Element(
            current.id, current.type, edit.name or current.name, merged
        )

    def _link(self, edit: Edit) -> None:
        assert edit.src is not None and edit.dst is not None and edit.type is not None
        src, dst = self.current(edit.src), self.current(edit.dst)
        if src is None or dst is None:
            self.missing(edit.src if src is None else edit.dst, "end")
            return
        rt, attrs, problems = check_relation(
            self.metamodel, edit.type, src.type, dst.type, edit.attrs
        )
        if rt is None or problems:
            self.drift("refused", f"{'; '.join(problems)}: edit skipped")
            return
        rid = _relation_of(edit) or ""
        fact = self.fact_relations.get(rid)
        if fact is not None and fact.status is Status.ACTIVE and rid not in self.overlay.removed:
            self.drift("done", "a sync has made this relation already")
        self.overlay.removed.discard(rid)
        self.overlay.relations[rid] = Relation(
            src.id, rt.name, dst.id, attrs, Status.ACTIVE, RelationId(rid)
        )

    def _unlink(self, edit: Edit) -> None:
        rid = _relation_of(edit) or ""
        if self.overlay.relations.pop(rid, None) is not None:
            return
        fact = self.fact_relations.get(rid)
        if fact is None or fact.status is not Status.ACTIVE or rid in self.overlay.removed:
            self.drift("done", f"relation {rid} is not there any more (removed by a sync?)")
            return
        self.overlay.removed.add(rid)

    def _replace(self, edit: Edit) -> None:
        assert edit.id is not None and edit.by is not None
        old, new = self.current(edit.id), self.current(edit.by)
        if old is None or new is None:
            self.missing(edit.id if old is None else edit.by)
            return
        overlay = self.overlay
        taken = [
            r
            for r in self.store.relations_of([old.id], _ACTIVE_FACTS)
            if r.id not in overlay.removed and r.id not in overlay.relations
        ]
        taken += [r for r in overlay.relations.values() if old.id in (r.src, r.dst)]
        far = {e for r in taken for e in (r.src, r.dst)} - set(self.facts)
        if far:
            self.facts.update(self.store.get_elements(far, EVERYTHING))
        # What Y has already: a relation of X that Y has too is Y's, not taken over.
        twins = {
            relation_id(
                new.id if r.src == old.id else r.src, r.type, new.id if r.dst == old.id else r.dst
            )
            for r in taken
        }
        owned = {
            i
            for i, r in self.store.get_relations(twins, EVERYTHING).items()
            if r.status is Status.ACTIVE and i not in overlay.removed
        }
        for rel in taken:
            src = new.id if rel.src == old.id else rel.src
            dst = new.id if rel.dst == old.id else rel.dst
            overlay.relations.pop(rel.id, None)
            overlay.removed.add(rel.id)
            if src == dst:
                continue
            ends = [self.current(src), self.current(dst)]
            if ends[0] is None or ends[1] is None:
                continue
            _, _, problems = check_relation(
                self.metamodel, rel.type, ends[0].type, ends[1].type, {}
            )
            if problems:
                self.drift("refused", f"{new.id} cannot take over {rel.id}: {problems[0]}")
                continue
            own = rel.id != relation_id(rel.src, rel.type, rel.dst)
            rid = rel.id if own else relation_id(src, rel.type, dst)
            if rid in owned or (rid in overlay.relations and rid != rel.id):
                continue
            overlay.removed.discard(rid)
            overlay.relations[rid] = Relation(
                ElementId(src),
                rel.type,
                ElementId(dst),
                dict(rel.attrs),
                Status.ACTIVE,
                RelationId(rid),
            )
        overlay.elements[old.id] = self._retired(old.id)


def compile_overlay(
    store: GraphStore, metamodel: Metamodel, chain: Sequence[Scenario], day: str | None
) -> Overlay:
    """The overlay of ``chain`` (a scenario and its bases, the first base first) on ``day``
    (None: every edit), against the facts ``store`` holds now."""
    return _Compiler(store, metamodel, chain, day).run(chain)


def scenario_day(chain: Sequence[Scenario], today: str) -> str:
    """The day a scenario is seen when no day is asked: once it is complete, the latest
    ``on`` of its edits (and its bases'), or today if none is later."""
    days = [d for d in (s.last_day() for s in chain) if d]
    return max([today, *days])


# -- the store as a reader sees it ------------------------------------------------------


class _Seen:
    """What the overlay changes in the answers of one lens."""

    def __init__(self, base: GraphStore, overlay: Overlay, lens: Lens) -> None:
        def shows(item: Element | Relation) -> bool:
            return item.status in lens.statuses and shown_at(item.attrs, lens.at)

        self.shown: dict[str, Element] = {}
        hidden: set[str] = set()
        for element_id, element in overlay.elements.items():
            if shows(element):
                self.shown[element_id] = element
            else:
                hidden.add(element_id)
        self.hidden = frozenset(hidden)
        # Relations of elements the store hides and the overlay shows (revived, dates moved).
        candidates = dict(overlay.relations)
        revealed = set(self.shown) - set(base.get_elements(list(self.shown), lens))
        if revealed:
            for rel in base.relations_of(revealed, EVERYTHING):
                if rel.id not in overlay.removed:
                    candidates.setdefault(rel.id, rel)
        far = {e for r in candidates.values() for e in (r.src, r.dst)} - set(overlay.elements)
        far_shown = set(base.get_elements(far, lens)) if far else set()
        self.extra: dict[str, Relation] = {
            rid: rel
            for rid, rel in candidates.items()
            if shows(rel) and all(e in self.shown or e in far_shown for e in (rel.src, rel.dst))
        }
        # The store's versions of these relations are not the overlay's: never from the store.
        self.hidden_relations = frozenset(
            overlay.removed | set(overlay.relations) | set(self.extra)
        )
        self.by_end: dict[str, list[Relation]] = {}
        for rel in self.extra.values():
            self.by_end.setdefault(rel.src, []).append(rel)
            if rel.dst != rel.src:
                self.by_end.setdefault(rel.dst, []).append(rel)
        self.touched = frozenset(overlay.elements)

    def keeps(self, rel: Relation) -> bool:
        """Whether a relation the store shows is still there under the overlay."""
        return (
            rel.id not in self.hidden_relations
            and rel.src not in self.hidden
            and rel.dst not in self.hidden
        )


_WRITES = (
    "upsert_elements",
    "upsert_relations",
    "set_status",
    "delete_elements",
    "delete_relations",
    "purge",
    "start_run",
    "finish_run",
    "record_assertions",
    "touch_assertions",
    "drop_assertions",
    "retract_assertions",
    "log_changes",
)


def _matches(
    element: Element, types: set[str] | None, attrs: Mapping[str, Any] | None, text: str | None
) -> bool:
    if types is not None and element.type not in types:
        return False
    if attrs and any(element.attrs.get(k) != v for k, v in attrs.items()):
        return False
    return not text or mentions(element, text)


class SeenStore:
    """The repository as seen on a day and under a scenario: read-only, over ``base``.

    ``day``: the day every read sees the landscape at, unless its lens names one;
    ``overlay``: the scenario applied to every answer (None: the facts alone).
    Reads other than elements and relations (runs, provenance, the change log) are
    the store's own.
    """

    def __init__(self, base: GraphStore, day: str | None, overlay: Overlay | None = None) -> None:
        self.base = base
        self.day = day
        self.overlay = overlay
        self.backend = base.backend

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            raise StoreError(
                f"the repository seen on a day or under a scenario is read-only ({name})",
                hint="edit a scenario with `ea scenario ...`, the facts with `ea add`/`ea link`",
            )
        return getattr(self.base, name)

    def transaction(self) -> Any:
        raise StoreError("the repository seen on a day or under a scenario is read-only")

    def close(self) -> None:
        self.base.close()

    def _lens(self, lens: Lens) -> Lens:
        return lens if lens.at is not None or self.day is None else lens.on(self.day)

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one per store and lens, both kept for its life
    def _seen(self, lens: Lens) -> _Seen | None:
        return None if self.overlay is None else _Seen(self.base, self.overlay, lens)

    # -- elements -----------------------------------------------------------------

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        if seen is None:
            return self.base.get_elements(ids, lens)
        wanted = list(ids)
        found = self.base.get_elements([i for i in wanted if i not in seen.touched], lens)
        for i in wanted:
            if i in seen.shown:
                found[i] = seen.shown[i]
        return found

    def find_elements(
        self,
        *,
        types: Iterable[str] | None = None,
        attrs: Mapping[str, Any] | None = None,
        text: str | None = None,
        lens: Lens = CURRENT,
        limit: int | None = None,
    ) -> list[Element]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        type_set = None if types is None else set(types)
        if seen is None:
            return self.base.find_elements(
                types=type_set, attrs=attrs, text=text, lens=lens, limit=limit
            )
        more = None if limit is None else limit + len(seen.touched)
        facts = [
            e
            for e in self.base.find_elements(
                types=type_set, attrs=attrs, text=text, lens=lens, limit=more
            )
            if e.id not in seen.touched
        ]
        own = sorted(
            (e for e in seen.shown.values() if _matches(e, type_set, attrs, text)),
            key=lambda e: e.id,
        )
        merged = list(heapq.merge(facts, own, key=lambda e: e.id))
        return merged if limit is None else merged[:limit]

    def iter_elements(self, lens: Lens = CURRENT) -> Iterator[Element]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        if seen is None:
            yield from self.base.iter_elements(lens)
            return
        facts = (e for e in self.base.iter_elements(lens) if e.id not in seen.touched)
        own = sorted(seen.shown.values(), key=lambda e: e.id)
        yield from heapq.merge(facts, own, key=lambda e: e.id)

    def elements_named(
        self, names: Iterable[str], lens: Lens = CURRENT
    ) -> dict[str, list[Element]]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        wanted = list(names)
        found = self.base.elements_named(wanted, lens)
        if seen is None:
            return found
        result: dict[str, list[Element]] = {}
        for key, elements in found.items():
            kept = [e for e in elements if e.id not in seen.touched]
            if kept:
                result[key] = kept
        folded = {n.casefold() for n in wanted}
        for element in seen.shown.values():
            key = element.name.casefold()
            if key in folded:
                result.setdefault(key, []).append(element)
                result[key].sort(key=lambda e: e.id)
        return result

    def stale_elements(
        self, before: str, lens: Lens = CURRENT, limit: int | None = None
    ) -> list[tuple[Element, str | None]]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        found = self.base.stale_elements(before, lens, limit)
        return found if seen is None else [(e, s) for e, s in found if e.id not in seen.hidden]

    def count_stale(self, before: str, lens: Lens = CURRENT) -> int:
        return self.base.count_stale(before, self._lens(lens))

    # -- relations ----------------------------------------------------------------

    def get_relations(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Relation]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        if seen is None:
            return self.base.get_relations(ids, lens)
        wanted = list(ids)
        found = {
            k: r
            for k, r in self.base.get_relations(
                [i for i in wanted if i not in seen.hidden_relations], lens
            ).items()
            if seen.keeps(r)
        }
        for i in wanted:
            if i in seen.extra:
                found[i] = seen.extra[i]
        return found

    def relations_of(
        self, ids: Iterable[str], lens: Lens = CURRENT, types: Iterable[str] | None = None
    ) -> list[Relation]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        type_list = None if types is None else list(types)
        if seen is None:
            return self.base.relations_of(ids, lens, type_list)
        wanted = set(ids)
        found = [r for r in self.base.relations_of(wanted, lens, type_list) if seen.keeps(r)]
        extra = {
            r.id: r
            for i in wanted
            for r in seen.by_end.get(i, ())
            if type_list is None or r.type in type_list
        }
        return sorted([*found, *extra.values()], key=lambda r: r.id)

    def iter_relations(self, lens: Lens = CURRENT) -> Iterator[Relation]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        if seen is None:
            yield from self.base.iter_relations(lens)
            return
        facts = (r for r in self.base.iter_relations(lens) if seen.keeps(r))
        own = sorted(seen.extra.values(), key=lambda r: r.id)
        yield from heapq.merge(facts, own, key=lambda r: r.id)

    # -- traversal ----------------------------------------------------------------

    def neighbors(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        exclude: Collection[str] = (),
    ) -> list[Hop]:
        lens = self._lens(lens)
        seen = self._seen(lens)
        if seen is None:
            return self.base.neighbors(ids, steps, lens, exclude)
        wanted = list(ids)
        hops = [
            h for h in self.base.neighbors(wanted, steps, lens, exclude) if seen.keeps(h.relation)
        ]
        if seen.by_end:
            ways = {(s.relation_type, s.direction) for s in steps}
            for origin in wanted:
                for rel in seen.by_end.get(origin, ()):
                    out = (rel.type, Direction.OUT) in ways and rel.dst not in exclude
                    if rel.src == origin and out:
                        hops.append(Hop(ElementId(origin), rel, rel.dst, Direction.OUT))
                    back = (rel.type, Direction.IN) in ways and rel.src not in exclude
                    if rel.dst == origin and back:
                        hops.append(Hop(ElementId(origin), rel, rel.src, Direction.IN))
        return hops

    def expand(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        *,
        exclude: Collection[str] = (),
        levels: int | None = 1,
        stop: Collection[str] = (),
    ) -> Expansion:
        wanted = list(ids)
        if self._seen(self._lens(lens)) is None:
            return self.base.expand(
                wanted, steps, self._lens(lens), exclude=exclude, levels=levels, stop=stop
            )
        # Under a scenario, one level at a time: the overlay is applied level by level.
        return Expansion(self.neighbors(wanted, steps, lens, exclude), frozenset(wanted))

    # -- counting -----------------------------------------------------------------

    def counts(self, lens: Lens = CURRENT) -> Counts:
        lens = self._lens(lens)
        seen = self._seen(lens)
        counts = self.base.counts(lens)
        if seen is None:
            return counts
        elements = Counter(counts.elements)
        relations = Counter(counts.relations)
        for element in self.base.get_elements(seen.touched, lens).values():
            elements[element.type] -= 1
        for element in seen.shown.values():
            elements[element.type] += 1
        gone = {r.id: r for r in self.base.get_relations(seen.hidden_relations, lens).values()}
        for rel in self.base.relations_of(seen.hidden, lens):
            gone[rel.id] = rel
        for rel in gone.values():
            relations[rel.type] -= 1
        for rel in seen.extra.values():
            relations[rel.type] += 1
        return Counts(
            {k: v for k, v in sorted(elements.items()) if v > 0},
            {k: v for k, v in sorted(relations.items()) if v > 0},
        )
