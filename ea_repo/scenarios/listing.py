"""The scenarios of a workspace as results: the list of them (``ea scenario list``) and one
scenario's edits with what no longer fits the facts (``ea scenario show``), each with its
tables, its JSON document and its notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..metamodel import Metamodel
from ..results import Table
from ..store import GraphStore
from .file import Book, Scenario
from .overlay import Overlay, compile_overlay

LIST_COLUMNS = ("scenario", "based on", "edits", "last day", "moved", "description")


@dataclass(frozen=True)
class ScenarioList:
    """Every scenario of a book, each with the edits the facts have moved under."""

    scenarios: list[tuple[Scenario, Overlay]]

    def to_tables(self) -> list[Table]:
        rows = [
            [
                s.name,
                s.based_on or "",
                len(s.edits),
                s.last_day() or "",
                len(overlay.drift),
                s.description,
            ]
            for s, overlay in self.scenarios
        ]
        return [Table("Scenarios", list(LIST_COLUMNS), rows)]

    def to_data(self) -> dict[str, Any]:
        return {
            "scenarios": [
                {
                    "name": s.name,
                    "based_on": s.based_on,
                    "edits": len(s.edits),
                    "last_day": s.last_day(),
                    "drift": len(overlay.drift),
                    "description": s.description,
                }
                for s, overlay in self.scenarios
            ]
        }

    def notes(self) -> list[str]:
        return [] if self.scenarios else ["no scenario yet: `ea scenario new NAME` makes one"]


def drift_table(overlay: Overlay) -> Table:
    """The edits of ``overlay``'s scenarios that the facts have moved under."""
    return Table(
        "Edits the facts have moved under",
        ["scenario", "edit", "op", "kind", "what"],
        [[d.scenario, d.index, d.edit.op, d.kind, d.message] for d in overlay.drift],
    )


@dataclass(frozen=True)
class ScenarioDetail:
    """One scenario: its edits and those of the scenarios it starts from, in the order they
    apply, and every edit the facts have moved under."""

    chain: list[Scenario]  # the scenarios it starts from, then itself
    overlay: Overlay

    def to_tables(self) -> list[Table]:
        rows = [
            [s.name, i, e.op, e.text(), e.on or ""]
            for s in self.chain
            for i, e in enumerate(s.edits, 1)
        ]
        name = self.chain[-1].name
        tables = [Table(f"Scenario {name}", ["scenario", "edit", "op", "what", "on"], rows)]
        if self.overlay.drift:
            tables.append(drift_table(self.overlay))
        return tables

    def to_data(self) -> dict[str, Any]:
        return {
            **self.chain[-1].to_data(),
            "chain": [s.name for s in self.chain],
            "drift": [d.to_data() for d in self.overlay.drift],
        }

    def notes(self) -> list[str]:
        scenario = self.chain[-1]
        found = [scenario.description] if scenario.description else []
        if scenario.based_on:
            found.append(f"starts from {scenario.based_on}")
        drift = self.overlay.drift
        found.append(
            f"{len(drift)} edit(s) no longer fit the facts"
            if drift
            else "every edit fits the facts"
        )
        return found


def list_scenarios(book: Book, store: GraphStore, metamodel: Metamodel) -> ScenarioList:
    """Every scenario of ``book``, each compiled against the facts of ``store``."""
    found = []
    for name in book.names():
        chain = book.chain(name)
        found.append((chain[-1], compile_overlay(store, metamodel, chain, None)))
    return ScenarioList(found)


def describe_scenario(
    book: Book, name: str, store: GraphStore, metamodel: Metamodel
) -> ScenarioDetail:
    """The scenario ``name`` of ``book`` compiled against the facts of ``store``. Raises
    NotFoundError for an unknown scenario."""
    chain = book.chain(name)
    return ScenarioDetail(chain, compile_overlay(store, metamodel, chain, None))
