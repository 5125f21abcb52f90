"""One presentation of an analysis's result: what the command line prints of it, the data
an HTML study offers and what a web API answers.

A report owns its tables, its JSON document and its notes (:meth:`Result.of`).
:func:`present` adds what the question asked and the way the repository is seen add to
them: the shortest paths to one element (``--explain``), the dependents' layers listed by
an obsolescence, the incidents a diagnosis took its symptoms from, the elements in their
phase-out on the day the landscape is seen at, a hint on a selector. ``ea impact -f json``,
the JSON a study offers and a web API's answer are this function's ``data``: the same
document by construction, described by the schema :func:`ea_repo.schemas.schema` gives.

>>> # with Repository.open("ws") as repo:
>>> #     report = repo.analyse("impact", "srv-esx01")
>>> #     present(repo, report, explain="bp-order-to-cash").data["explain"]["paths"]

Nothing here imports a terminal, command-line or template library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..results import Result, mark_phasing_out, mentioned_ids

if TYPE_CHECKING:
    from ..repository import Repository
    from .incidents import IncidentsReport


def present(
    repo: Repository,
    report: Any,
    *,
    explain: str | None = None,
    layers: Sequence[str] | None = None,
    incidents: IncidentsReport | None = None,
    target: str | None = None,
) -> Result:
    """What is shown of ``report`` (an analysis report of ``repo``): its tables, data and notes,
    with

    * ``explain`` (impact, dependencies): an element's id or name; every shortest path
      from the starts to it, as the first table and under ``explain`` in the data;
    * ``layers`` (obsolescence): the layers whose dependents the tables list;
    * ``incidents`` (diagnose): the incidents open at the moment asked, whose elements
      were taken as symptoms, under ``incidents`` in the data and as the first note;
    * ``target`` (waves): the selector planned, for a hint when it likely means ``in:``;

    and, when ``repo`` is seen on a day, the elements in their phase-out then marked
    (:func:`~ea_repo.results.mark_phasing_out`). Raises NotFoundError for an unknown
    ``explain``, ValidationError when an option does not fit the report.
    """
    from ..errors import ValidationError

    tables = report.to_tables() if layers is None else report.to_tables(layers)
    result = Result(tables, report.to_data(), report.notes())
    if explain is not None:
        if not hasattr(report, "explanation"):
            raise ValidationError("only an impact or dependencies analysis explains a path")
        why = report.explanation(repo.element(explain))
        result.tables.insert(0, why.to_table())
        result.data["explain"] = why.to_data()
        result.notes.extend(why.notes())
    if repo.day is not None:
        mark_phasing_out(result, repo.phasing_out(mentioned_ids(result.data)), repo.day)
    if incidents is not None:
        result.data["incidents"] = [i.to_data() for i in incidents.incidents]
        result.notes.insert(0, incidents.symptoms_note())
    if target is not None:
        from .waves import WavesReport, moving_hint

        hint = moving_hint(target) if isinstance(report, WavesReport) else None
        if hint is not None:
            result.notes.append(hint)
    return result
