"""The edits of ``ea scenario add|retire|set|link|unlink|replace``, validated like any write.

An edit is checked against the metamodel and against the landscape *under the
scenario so far* (so that a scenario can add an application, then link it),
by the same code that applies it on every use: the scenario is compiled with
the new edit, and any :class:`~ea_repo.scenarios.overlay.Drift` of that edit
refuses it — an edit that would be reported as not fitting the facts is never
written. Elements are named by id or by name, as everywhere; the file keeps ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, NotFoundError, ValidationError
from ..metamodel.validate import resolve_element_type, resolve_relation_type
from ..model import CURRENT, EVERYTHING, relation_id
from .file import Book, Edit, Scenario
from .overlay import Overlay, SeenStore, compile_overlay

if TYPE_CHECKING:
    from ..repository import Repository


class Editor:
    """Edits of one scenario of ``repo``'s workspace."""

    def __init__(self, repo: Repository, book: Book, name: str) -> None:
        self.repo = repo
        self.book = book
        self.chain = book.chain(name)
        self.scenario = self.chain[-1]
        self.overlay = compile_overlay(repo.store, repo.metamodel, self.chain, None)
        from ..repository import Repository

        self.seen = Repository(SeenStore(repo.store, None, self.overlay), repo.metamodel)

    def element_id(self, text: str) -> str:
        """The id of the element ``text`` names under the scenario so far."""
        return self.seen.element(text, CURRENT).id

    def _was(self, element_id: str, keys: Any) -> dict[str, Any] | None:
        fact = self.repo.store.get_elements([element_id], EVERYTHING).get(element_id)
        if fact is None:
            return None
        return {k: fact.attrs.get(k) for k in keys}

    def commit(self, edit: Edit) -> tuple[Scenario, Overlay]:
        """Validate ``edit`` under the scenario so far; write the scenario with it appended.

        The scenario is read again under the lock: an edit another process made since this
        editor read it is kept, and the new edit is validated after it."""
        with self.book.locked():
            chain = self.book.chain(self.scenario.name)
            scenario = chain[-1].with_edit(edit)
            overlay = compile_overlay(
                self.repo.store, self.repo.metamodel, [*chain[:-1], scenario], None
            )
            own = [
                d
                for d in overlay.drift
                if d.scenario == scenario.name and d.index == len(scenario.edits)
            ]
            if own:
                error = ConflictError if own[0].kind in ("done", "exists") else ValidationError
                raise error(
                    f"{edit.text()}: {own[0].message.removesuffix(': edit skipped')}",
                    hint="`ea scenario show " + scenario.name + "` lists the scenario's edits",
                )
            self.book.write(scenario)
        self.chain, self.scenario = [*chain[:-1], scenario], scenario
        return scenario, overlay

    # -- the edits ----------------------------------------------------------------

    def add(
        self,
        type_name: str,
        element_id: str,
        name: str | None,
        attrs: Mapping[str, Any],
        on: str | None,
    ) -> tuple[Scenario, Overlay]:
        from ..repository import check_id

        et = resolve_element_type(self.repo.metamodel, type_name)
        element_id = check_id(element_id)
        there = self.seen.store.get_elements([element_id], CURRENT).get(element_id)
        if there is not None:
            raise ConflictError(
                f"{element_id!r} is already in the landscape under this scenario "
                f"({there.type} {there.name!r})",
                hint="`ea scenario set` changes it; choose another --id to add one",
            )
        return self.commit(Edit("add", id=element_id, type=et.name, name=name, attrs=attrs, on=on))

    def retire(self, element: str, on: str | None) -> tuple[Scenario, Overlay]:
        return self.commit(Edit("retire", id=self.element_id(element), on=on))

    def set(
        self, element: str, name: str | None, attrs: Mapping[str, Any], on: str | None
    ) -> tuple[Scenario, Overlay]:
        if not attrs and not name:
            raise ValidationError("nothing to set", hint="give --set NAME=VALUE or --name")
        element_id = self.element_id(element)
        target = self.seen.store.get_elements([element_id], CURRENT)[element_id]
        # Values as the metamodel keeps them, so that "a sync made it already" compares
        # alike; a value it refuses is left as given, for the commit to refuse with the rest.
        from ..metamodel.validate import check_attributes

        et = self.repo.metamodel.element_type(target.type)
        normalised = dict(attrs)
        if et is not None:
            given = {k: v for k, v in attrs.items() if v is not None}  # None: removes one
            checked, _ = check_attributes(et.attributes, given, et.name)
            normalised = {k: checked.get(k, v) for k, v in attrs.items()}
        return self.commit(
            Edit(
                "set",
                id=element_id,
                name=name,
                attrs=normalised,
                on=on,
                was=self._was(element_id, normalised),
            )
        )

    def link(
        self,
        src: str,
        relation_type: str,
        dst: str,
        attrs: Mapping[str, Any],
        rid: str | None,
        on: str | None,
    ) -> tuple[Scenario, Overlay]:
        rt = resolve_relation_type(self.repo.metamodel, relation_type)
        src_id, dst_id = self.element_id(src), self.element_id(dst)
        key = rid or relation_id(src_id, rt.name, dst_id)
        if self.seen.store.get_relations([key], CURRENT):
            raise ConflictError(
                f"{src_id} {rt.name} {dst_id} is already in the landscape under this scenario",
                hint="`ea scenario unlink` removes it",
            )
        return self.commit(
            Edit("link", src=src_id, type=rt.name, dst=dst_id, attrs=attrs, relation=rid, on=on)
        )

    def unlink(
        self,
        src: str | None,
        relation_type: str | None,
        dst: str | None,
        rid: str | None,
        on: str | None,
    ) -> tuple[Scenario, Overlay]:
        if rid is None:
            if not (src and relation_type and dst):
                raise ValidationError("name the relation: SRC REL DST, or --id")
            rt = resolve_relation_type(self.repo.metamodel, relation_type)
            src, dst = self.element_id(src), self.element_id(dst)
            rid = relation_id(src, rt.name, dst)
            relation_type = rt.name
        if not self.seen.store.get_relations([rid], CURRENT):
            raise NotFoundError(
                f"no relation {rid!r} in the landscape under this scenario",
                hint=f"`ea show {src}` lists an element's relations" if src else None,
            )
        return self.commit(
            Edit("unlink", relation=rid, src=src, type=relation_type, dst=dst, on=on)
        )

    def replace(self, old: str, new: str, on: str | None) -> tuple[Scenario, Overlay]:
        old_id, new_id = self.element_id(old), self.element_id(new)
        if old_id == new_id:
            raise ValidationError(f"{old_id} cannot replace itself")
        return self.commit(Edit("replace", id=old_id, by=new_id, on=on))
