"""Self-contained HTML study reports: impact, obsolescence, decommission, migration waves
and the gap a scenario opens.

One file, no external resource (inline CSS, inline SVG), so it can be mailed
or attached to a study: a summary, the diagram, the tables of the analysis,
when it was generated, and how fresh each source behind the data is.
Templates are Jinja2 with autoescape on: names from the repository can hold
anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .. import __version__
from ..analysis.impact import path_text
from ..analysis.obsolescence import DEPENDENT_LAYERS
from ..analysis.present import present
from ..repository import Repository, StatusReport
from ..results import age_text, cell_text
from .graph import ViewGraph
from .render import html_section
from .spec import ViewSpec, builtin_views

if TYPE_CHECKING:
    from ..analysis.decommission import DecommissionReport
    from ..analysis.health import ElementHealth, HealthReport
    from ..analysis.impact import ImpactReport
    from ..analysis.obsolescence import ObsolescenceReport
    from ..analysis.waves import WavesReport
    from ..quality import QualityReport, TrendPoint


@dataclass
class ReportTable:
    """A titled table of a report; ``classes`` maps a column to a CSS class prefix."""

    title: str
    columns: Sequence[str]
    rows: list[list[Any]]
    note: str = ""
    classes: dict[int, str] = field(default_factory=dict)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("ea_repo.views", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def view_page(graph: ViewGraph, name: str = "") -> str:
    """One view as a self-contained HTML page."""
    template = _environment().get_template("view.html.j2")
    return template.render(
        title=graph.title,
        name=name or graph.title,
        generated=_now(),
        version=__version__,
        section=html_section(graph),
    )


def _sources(status: StatusReport) -> list[dict[str, Any]]:
    return [
        {
            "source": s.source,
            "last_success": s.last_success.finished_at if s.last_success else "never",
            "age": age_text(s.age_days),
            "stale": s.stale(status.stale_after_days),
            "elements": s.elements,
            "relations": s.relations,
            "last_run": s.attempt_text(),
            "failed": s.failed,
        }
        for s in status.sources
    ]


def study_html(
    repo: Repository,
    *,
    title: str,
    subtitle: str,
    summary: Sequence[tuple[Any, str]],
    graph: ViewGraph | Sequence[ViewGraph] | Markup,
    tables: Sequence[ReportTable],
    findings: Sequence[str] = (),
    warnings: tuple[str, Sequence[str]] = ("", ()),
    data: Any = None,
) -> str:
    """A study report page: summary, the diagram (several side by side, or a chart already
    drawn as markup), tables, and the data's freshness; ``warnings`` (a heading and its
    lines) stand out above the summary. ``data``, the JSON document of the result (the one
    ``-f json`` prints), is offered as a download embedded in the page (:func:`data_link`)."""
    status = repo.status(limit=0)
    overlay = repo.overlay
    if overlay is not None and overlay.drift and not warnings[1]:
        warnings = (
            f"The facts have moved under {len(overlay.drift)} edit(s) of scenario {overlay.name}",
            [d.text() for d in overlay.drift],
        )
    seen = repo.seen_as or ""
    for table in tables:
        table.rows = [[cell_text(v) for v in row] for row in table.rows]
    if isinstance(graph, Markup):
        diagram = graph
    elif isinstance(graph, ViewGraph):
        diagram = html_section(graph)
    else:
        diagram = Markup('<div class="pair">{}</div>').format(
            Markup("").join(html_section(g) for g in graph)
        )
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        subtitle=subtitle,
        generated=_now(),
        version=__version__,
        workspace=str(repo.workspace.root) if repo.workspace else "",
        seen=seen,
        summary=[(f"{v:,}" if isinstance(v, int) else v, label) for v, label in summary],
        findings=findings,
        warnings_title=warnings[0],
        warnings=warnings[1],
        diagram=diagram,
        tables=tables,
        data_link=None if data is None else data_link(data, title),
        sources=_sources(status),
        stale_line=(
            f"{status.stale_total} element(s) not confirmed by any source for more than "
            f"{status.stale_after_days} days."
        ),
    )


DATA_FILE = "ea-result.json"
"""The name a study's data is downloaded as."""


def data_link(data: Any, title: str) -> Markup:
    """A link downloading ``data`` as a JSON file, the document inside the link (a base64
    ``data:`` URL): the page stays self-contained and nothing in it is a script."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return Markup(
        '<p class="lead"><a class="data" download="{}" href="data:application/json;base64,{}" '
        'title="{}">Download the data of this study (JSON)</a>, the document '
        "<code>-f json</code> prints.</p>"
    ).format(DATA_FILE, encoded, title)


def embedded_data(page: str) -> Any:
    """The JSON document a study page offers (:func:`data_link`); None when it offers none."""
    found = re.search(r'href="data:application/json;base64,([A-Za-z0-9+/=]*)"', page)
    if found is None:
        return None
    return json.loads(base64.b64decode(found[1]).decode("utf-8"))


def _spec(name: str) -> ViewSpec:
    return builtin_views()[name]


def impact_study(repo: Repository, report: ImpactReport, target: str | None, **options: Any) -> str:
    """The impact study of ``report`` (an impact analysis run from ``target``)."""
    from .build import impact_graph

    graph = impact_graph(report, _spec("impact"))
    names = ", ".join(e.name for e in report.starts)
    down = sum(a.state.value == "down" for a in report.affected)
    by_layer = report.by_layer()
    tables = [
        ReportTable(
            f"{layer.capitalize()} ({len(items)})",
            ["element", "type", "distance", "state", "why (path)"],
            [[a.element.name, a.element.type, a.distance, a.state.value, a.via] for a in items],
            classes={3: "state"},
        )
        for layer, items in by_layer.items()
    ]
    upper = [a for a in report.affected if a.layer in ("business", "strategy")]
    findings = [
        f"If {names} fails, {down} element(s) stop working and "
        f"{len(report.affected) - down} are degraded."
    ]
    if upper:
        findings.append(
            "Business processes and capabilities reached: "
            + ", ".join(sorted({a.element.name for a in upper}, key=str.casefold))
            + "."
        )
    return study_html(
        repo,
        title=f"Impact study: {names}",
        subtitle="what depends on it, transitively, and why",
        summary=[(len(report.affected), "elements affected"), (down, "stop working")]
        + [(len(items), f"{layer}") for layer, items in by_layer.items()],
        graph=graph,
        tables=tables,
        findings=findings,
        data=present(repo, report).data,
    )


def obsolescence_study(
    repo: Repository,
    report: ObsolescenceReport,
    target: str | None,
    *,
    layers: Sequence[str] = DEPENDENT_LAYERS,
    **options: Any,
) -> str:
    """The obsolescence study of ``report``, listing the dependents in ``layers``."""
    from .build import obsolescence_graph

    horizon_days = report.horizon_days
    spec = _spec("obsolescence")
    spec = replace(spec, options={**spec.options, "layers": list(layers)})
    graph = obsolescence_graph(report, spec)
    at_risk = report.at_risk()
    risks = Counter(t.risk.value for t in at_risk)
    shown = report.exposed_in(layers)
    exposed_by_layer = Counter(e.layer for e in shown)
    tables = [
        ReportTable(
            f"Technology at risk ({len(at_risk)} of {len(report.technologies)} with lifecycle dates)",
            ["status", "technology", "type", "end of support", "end of life", "why"],
            [
                t.row("status", "name", "type", "end of support", "end of life", "why")
                for t in at_risk
            ],
            classes={0: "status"},
        ),
        ReportTable(
            f"Depending on it ({len(shown)})",
            ["status", "element", "layer", "because of", "path"],
            [e.row("status", "name", "layer", "because of", "via") for e in shown],
            classes={0: "status"},
        ),
    ]
    day = report.at.isoformat()
    findings = [
        f"On {day}, {risks.get('obsolete', 0)} technologies are past their end of life or support and "
        f"{risks.get('warning', 0)} reach it within {horizon_days} days."
    ]
    if not report.technologies:
        findings.append(
            "No element carries lifecycle dates: import lifecycle data (ea import eol)."
        )
    return study_html(
        repo,
        title="Obsolescence study",
        subtitle=f"technology support at {day}, horizon {horizon_days} days",
        summary=[
            (risks.get("obsolete", 0), "obsolete technologies"),
            (risks.get("warning", 0), "reaching end of support"),
        ]
        + [(n, f"{layer} elements exposed") for layer, n in sorted(exposed_by_layer.items())],
        graph=graph,
        tables=tables,
        findings=findings,
        data=present(repo, report, layers=layers).data,
    )


def decommission_study(
    repo: Repository, r: DecommissionReport, target: str | None, **options: Any
) -> str:
    """The switch-off study of one element: the seven-part checklist with its diagram."""
    from ..analysis.decommission import FlowToReroute
    from .build import decommission_graph

    graph = decommission_graph(r, _spec("decommission"))
    x = r.target
    tables = [
        ReportTable(
            f"1. What breaks ({len(r.breaks)})",
            ["layer", "element", "type", "why (path)"],
            [a.row("layer", "name", "type", "via") for a in r.breaks],
        ),
        ReportTable(
            f"Degraded ({len(r.degraded)})",
            ["layer", "element", "why (path)"],
            [a.row("layer", "name", "via") for a in r.degraded],
            note="They lose a feed or a redundant peer but keep running.",
        ),
        ReportTable(
            f"2. Interfaces to re-route or cut ({len(r.flows)})",
            list(FlowToReroute.COLUMNS),
            [f.row() for f in r.flows],
        ),
        ReportTable(
            f"3. Data to migrate or purge ({len(r.data)})",
            ["data object", "personal", "system of record", "action"],
            [[d.data.name, d.personal, d.master, d.action] for d in r.data],
        ),
        ReportTable(
            f"4. Freed with it ({len(r.freed)})",
            ["element", "type"],
            [[e.name, e.type] for e in r.freed],
            note="Nothing else needs them: they can be switched off too.",
        ),
        ReportTable(
            f"5. Shared, stays ({len(r.stays)})",
            ["element", "type", "still needed by"],
            [
                [s.element.name, s.element.type, [o.name for o in s.other_dependents[:8]]]
                for s in r.stays
            ],
        ),
        ReportTable(
            f"6. Processes and capabilities ({sum(s.unsupported for s in r.support)} left unsupported)",
            ["element", "type", "left", "loses", "keeps"],
            [
                [
                    s.element.name,
                    s.element.type,
                    "unsupported" if s.unsupported else "partly",
                    [e.name for e in s.lost],
                    [e.name for e in s.remaining],
                ]
                for s in r.support
            ],
            classes={2: "support"},
        ),
        ReportTable(
            f"7. Who to notify ({len(r.notify)})",
            ["who", "as", "about"],
            [[c.who, c.role, [e.name for e in c.about[:8]]] for c in r.notify],
        ),
    ]
    unsupported = [s.element.name for s in r.support if s.unsupported]
    findings = [
        f"Switching off {x.name} ({x.type}) stops {len(r.breaks)} element(s), "
        f"frees {len(r.freed)} and leaves {len(r.stays)} shared element(s) in place."
    ]
    if unsupported:
        findings.append("Left without support: " + ", ".join(unsupported) + ".")
    return study_html(
        repo,
        title=f"Decommission study: {x.name}",
        subtitle="what breaks, what is freed, what stays",
        summary=[
            (len(r.breaks), "stop working"),
            (len(r.flows), "interfaces to re-route"),
            (len(r.data), "data objects"),
            (len(r.freed), "freed with it"),
            (len(r.stays), "shared, stay"),
            (sum(s.unsupported for s in r.support), "left unsupported"),
        ],
        graph=graph,
        tables=tables,
        findings=findings,
        data=present(repo, r).data,
    )


def waves_study(
    repo: Repository, report: WavesReport, target: str | None, *, max_size: int, **options: Any
) -> str:
    """The migration study of ``report``, planned for ``target`` (a selector, e.g.
    ``in:"DC Lyon Sud"``): each wave, what it moves and its cut-over - what stays but is
    touched - with the diagram."""
    from ..analysis.waves import CrossDependency, Touch
    from .build import waves_graph

    graph = waves_graph(report, repo.metamodel, _spec("migration-waves"))
    tables: list[ReportTable] = []
    for w in report.waves:
        tables.append(
            ReportTable(
                f"Wave {w.number}: moves ({len(w.elements)})",
                ["element", "type"],
                [[e.name, e.type] for e in w.elements],
                note=f"{w.groups} group(s) that must move together"
                + (" — a dependency cycle larger than the cap" if w.oversized else ""),
            )
        )
        tables.append(
            ReportTable(
                f"Wave {w.number}: cut-over ({len(w.touched)} links with what stays)",
                list(Touch.COLUMNS),
                [t.row() for t in w.touched],
                note="What stays but needs the wave: re-point, test, warn; "
                "what the wave needs: keep it reachable from where the wave goes.",
            )
        )
    tables.append(
        ReportTable(
            f"Cross-wave dependencies ({len(report.cross)})",
            list(CrossDependency.COLUMNS),
            [c.row() for c in report.cross],
        )
    )
    moving = sum(len(w.elements) for w in report.waves)
    return study_html(
        repo,
        title=f"Migration waves: {target}",
        subtitle="what moves together, in which order, and what stays but is touched",
        summary=[
            (moving, "elements move"),
            (len(report.waves), "waves"),
            (len(report.touched), "stay, touched"),
            (len(report.cross), "cross-wave dependencies"),
        ],
        graph=graph,
        tables=tables,
        findings=[
            f"{moving} element(s) move in {len(report.waves)} wave(s) of at most {max_size}; "
            f"{len(report.touched)} element(s) that stay depend on them or are needed by them."
        ],
        data=present(repo, report, target=target).data,
    )


def scenario_study(
    repo: Repository, name: str, *, against: str | None = None, at: str | None = None
) -> str:
    """The gap between the facts (or scenario ``against``) and scenario ``name``, both seen
    on ``at`` (:func:`~ea_repo.scenarios.diff.scenario_diff`): the edits the facts moved
    under, the two states' diagrams side by side with the changes marked, and the diff's
    tables."""
    from ..scenarios.diff import scenario_diff
    from .build import scenario_graphs

    gap = scenario_diff(repo, name, against=against, at=at)
    before, after = repo.seen(gap.day, against), repo.seen(gap.day, name)
    graphs = scenario_graphs(gap, before.store, after.store, repo.metamodel)
    tables = [
        ReportTable(
            t.title[:1].upper() + t.title[1:],
            t.columns,
            [list(row) for row in t.rows],
            classes={0: "change"} if t.columns[:1] == ["change"] else {},
        )
        for t in gap.to_tables()
    ]
    drift = [d.text() for d in gap.drift]
    elements = Counter(c.kind for c in gap.elements)
    relations = Counter(c.kind for c in gap.relations)
    subtitle = f"{gap.after} against {gap.before}, both as on {gap.day}"
    return study_html(
        repo,
        title=f"Scenario study: {name}",
        subtitle=subtitle,
        summary=[(elements[k], f"elements {k}") for k in ("added", "removed", "changed")]
        + [(relations[k], f"relations {k}") for k in ("added", "removed", "changed")]
        + [
            (len(gap.support), "capabilities and processes whose support changes"),
            (sum(s.unsupported for s in gap.support), "left unsupported"),
            (len(gap.flows), "flows cut, new or re-routed"),
            (len(drift), "edits the facts moved under"),
        ],
        graph=list(graphs),
        tables=tables,
        findings=[
            n for n in gap.notes() if n != subtitle and n.removeprefix("warning: ") not in drift
        ],
        warnings=(
            f"The facts have moved under {len(drift)} edit(s): the scenario may no longer "
            "say what its author meant",
            drift,
        ),
        data=gap.to_data(),
    )


def quality_study(repo: Repository, report: QualityReport) -> str:
    """The repository quality study: the scores, the trend across sync runs as an inline
    chart, the tables of ``ea quality`` and the data's freshness."""
    figures = report.figures()
    shares = report.shares()
    summary: list[tuple[Any, str]] = [(f"{report.score:g}", "overall score / 100")]
    summary += [
        (f"{100 * share:.1f} %", label)
        for share, label in (
            (shares["completeness"], "attribute values filled"),
            (shares["clean"], "elements clean"),
            (shares["confirmed"], "relations confirmed"),
        )
        if share is not None
    ]
    summary += [
        (figures[key], label)
        for key, label in (
            ("orphans", "orphans"),
            ("stale", "stale elements"),
            ("namesakes", "namesakes"),
            ("unconfirmed", "unconfirmed relations"),
        )
    ]
    tables = [
        ReportTable(t.title[:1].upper() + t.title[1:], t.columns, [list(r) for r in t.rows])
        for t in report.to_tables()[1:]  # the first is the summary's
    ]
    scope = f" of {report.scope} elements" if report.scope else ""
    return study_html(
        repo,
        title=f"Repository quality{scope}: {report.score:g} / 100",
        subtitle="completeness, orphans, staleness, namesakes and unconfirmed relations",
        summary=summary,
        graph=trend_chart(report.trend),
        tables=tables,
        findings=report.notes(),
        data=report.to_data(),
    )


def trend_chart(points: Sequence[TrendPoint], width: int = 720, height: int = 220) -> Markup:
    """The overall score of each measured run as an inline SVG line chart (0–100)."""
    if not points:
        return Markup(
            '<h2>Score across sync runs</h2><p class="lead">No trend yet: the figures are '
            "kept at each sync run.</p>"
        )
    return line_chart(
        "Score across sync runs",
        "quality score per sync run",
        [
            (
                f"run {p.run}",
                float(p.figures.get("score") or 0),
                f"run {p.run} ({p.source}) {p.at}: {p.figures.get('score')}",
            )
            for p in points
        ],
        (0, 25, 50, 75, 100),
        width,
        height,
    )


def line_chart(
    title: str,
    label: str,
    points: Sequence[tuple[str, float, str]],
    ticks: Sequence[float],
    width: int = 720,
    height: int = 220,
) -> Markup:
    """An inline SVG line chart headed ``title``: each point (its label under the axis, its
    value, its tooltip) a circle on one polyline, on a scale from 0 to the last of ``ticks``
    (drawn as grid lines)."""
    left, right, top, bottom = 44, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    scale = float(ticks[-1]) or 1.0

    def y(value: float) -> float:
        return top + plot_h * (1 - value / scale)

    xy = [(left + i * step, y(value)) for i, (_, value, _) in enumerate(points)]
    parts = [
        Markup(
            '<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#d8d8d8"/>'
            '<text x="{}" y="{:.1f}" font-size="11" text-anchor="end" fill="#666">{}</text>'
        ).format(left, y(v), width - right, y(v), left - 6, y(v) + 4, f"{v:g}")
        for v in ticks
    ]
    parts.append(
        Markup('<polyline fill="none" stroke="#2f6fa0" stroke-width="2" points="{}"/>').format(
            " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
        )
    )
    for (x, yy), (name, _, tip) in zip(xy, points, strict=True):
        parts.append(
            Markup(
                '<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="#2f6fa0"><title>{}</title></circle>'
                '<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle" fill="#666">{}</text>'
            ).format(x, yy, tip, x, height - bottom + 16, name)
        )
    return Markup(
        '<h2>{}</h2><div class="diagram"><svg xmlns="http://www.w3.org/2000/svg" width="{}" '
        'height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg></div>'
    ).format(title, width, height, width, height, label, Markup("").join(parts))


def _ticks(top: int) -> tuple[int, ...]:
    """Four or five round grid values from 0 to at least ``top``."""
    step = 1
    while step * 4 < top:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return tuple(range(0, step * 4 + 1, step)) if top > 0 else (0, 1)


STUDY_ROWS = 100
"""The most elements of one state a health study lists (``ea health -f csv`` lists them all)."""


def _health_table(title: str, elements: Sequence[ElementHealth]) -> ReportTable:
    """The elements of one state with their reason and path, the first :data:`STUDY_ROWS`."""
    rows = []
    for e in elements[:STUDY_ROWS]:
        reason = e.reason()
        rows.append(
            [
                e.health.value,
                e.element.name,
                e.layer,
                len(e.incidents),
                reason.why if reason else "",
                path_text(reason.path) if reason else "",
            ]
        )
    more = len(elements) - len(rows)
    return ReportTable(
        title,
        ["health", "element", "layer", "open incidents", "why", "path"],
        rows,
        note=f"The first {len(rows)}, by layer and name; `ea health -f csv` lists all {len(elements)}."
        if more > 0
        else "",
        classes={0: "status"},
    )


def health_study(repo: Repository, report: HealthReport, target: str | None, **options: Any) -> str:
    """The health study of ``report``: the heat map, the reds and ambers with the path that
    explains each, the open incidents, and the trend — incidents opened per month as an
    inline chart, and the elements with the most of them, month by month."""
    from ..analysis.health import Health
    from .build import health_graph

    graph = health_graph(report, _spec("health"))
    months = report.monthly()
    chart = line_chart(
        "Incidents opened per month",
        "incidents opened per month",
        [
            (key, float(opened), f"{key}: {opened} incident(s) on {elements} element(s)")
            for key, opened, elements in months
        ],
        _ticks(max((opened for _, opened, _ in months), default=0)),
    )
    counts = report.counts()
    tables = [
        _health_table(f"{title} ({counts[state.value]})", report.of(state))
        for state, title in ((Health.RED, "Red"), (Health.AMBER, "Amber"))
    ] + [
        ReportTable(
            f"Open incidents ({len(report.open)})",
            ["incident", "priority", "state", "opened", "affects"],
            list(report.open_rows()),
        ),
        ReportTable(
            "Incidents per element per month (the ten with the most)",
            ["element", *[key for key, _, _ in months]],
            [[element.name, *values] for element, values in report.per_element()],
        ),
    ]
    at = report.instant
    findings = [
        f"At {at}, {counts['red']} of {len(report.elements)} elements are red and "
        f"{counts['amber']} amber; {len(report.open)} incident(s) are open."
    ]
    stale = sum(e.stale for e in report.elements)
    if stale:
        findings.append(
            f"The facts of {stale} of them are stale (not confirmed for "
            f"{report.stale_after_days} days): their state is only as good as those facts."
        )
    findings += report.notes()
    return study_html(
        repo,
        title="Health of the information system",
        subtitle=f"at {at}: open incidents rolled up through the dependencies, "
        "technology support, staleness",
        summary=[
            (counts["red"], "red"),
            (counts["amber"], "amber"),
            (counts["green"], "green"),
            (len(report.open), "open incidents"),
        ],
        graph=html_section(graph) + chart,
        tables=tables,
        findings=findings,
        data=present(repo, report).data,
    )
