"""Build a :class:`ViewGraph` from a view spec over a repository, or from an analysis result."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, cast

from ..analysis.decommission import DecommissionReport
from ..analysis.diagnose import DiagnosisReport
from ..analysis.flows import FlowEdge, FlowReport
from ..analysis.health import HEALTH_RANK, ElementHealth, Health, HealthReport
from ..analysis.impact import ImpactReport, PathStep, hop_label
from ..analysis.obsolescence import RANK, ObsolescenceReport, Risk
from ..analysis.traversal import Reached, State, Way
from ..analysis.waves import WavesReport
from ..errors import ValidationError
from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, Direction, Element, Lens, Relation, Step
from ..results import cell_text
from ..runtime import gc_paused
from ..selection import (
    Atom,
    Method,
    Selector,
    elements_called,
    parse_selector,
    select_elements,
)
from ..store import GraphStore
from .graph import (
    BY_GROUP_AND_TYPE,
    Edge,
    Group,
    LegendItem,
    Node,
    ViewGraph,
    bucket_key,
    bucket_node,
    bucket_slug,
    crowd,
    fit,
)
from .spec import GroupRule, ViewSpec, check_view
from .styles import (
    CHANGE_LABELS,
    CHANGE_LOOKS,
    CRITICALITY_LOOKS,
    HEALTH_LABELS,
    HEALTH_LOOKS,
    LAYER_LABELS,
    LAYER_LOOKS,
    RISK_LABELS,
    RISK_LOOKS,
    STATE_LABELS,
    STATE_LOOKS,
    Look,
    element_look,
    layer_of,
    recolour,
)

if TYPE_CHECKING:
    from ..scenarios.diff import ScenarioDiff

CROWDED = 12
"""Members of a secondary cluster (data, shared infrastructure) shown one by one; more are counted."""
LAYER_ORDER = {layer: i for i, layer in enumerate(LAYERS)}


def _node(
    element: Element, metamodel: Metamodel, labels: Sequence[str] = (), look: Look | None = None
) -> Node:
    layer = layer_of(metamodel, element.type)
    lines = [
        f"{a}: {cell_text(element.attrs[a])}"
        for a in labels
        if element.attrs.get(a) not in (None, "", [])
    ]
    return Node(
        key=element.id,
        name=element.name,
        type=element.type,
        layer=layer,
        look=look or element_look(layer, element.type),
        lines=lines,
        element_id=element.id,
    )


def _edge_label(relation: Relation, metamodel: Metamodel, attributes: Sequence[str]) -> str:
    if attributes:
        parts = [
            cell_text(relation.attrs[a])
            for a in attributes
            if relation.attrs.get(a) not in (None, "", [])
        ]
        return " · ".join(parts)
    rt = metamodel.relation_types.get(relation.type)
    return rt.label if rt else relation.type


def _relation_edge(src: str, dst: str, kind: str, label: str, count: int = 1) -> Edge:
    """The edge of a view over the repository: flows dashed and blue, the rest solid grey."""
    flow = kind == "flow"
    return Edge(
        src,
        dst,
        kind,
        [label],
        count,
        style="dashed" if flow else "solid",
        color="#2F6FA0" if flow else "#555555",
    )


def _layer_legend(graph: ViewGraph) -> list[LegendItem]:
    return _legend_of_layers({n.layer for n in graph.nodes.values()})


def _legend_of_layers(layers: Iterable[str]) -> list[LegendItem]:
    ordered = sorted(set(layers), key=lambda x: LAYER_ORDER.get(x, 99))
    return [LegendItem(LAYER_LABELS.get(x, x), LAYER_LOOKS[x]) for x in ordered if x in LAYER_LOOKS]


def _layer_groups(graph: ViewGraph) -> None:
    for node in graph.nodes.values():
        if not node.anchor:
            node.group = _layer_group(graph, node.layer)


def _layer_group(graph: ViewGraph, layer: str) -> str:
    """The key of ``layer``'s cluster in ``graph``, added on first use."""
    key = f"layer:{layer}"
    if key not in graph.groups:
        look = LAYER_LOOKS.get(layer)
        graph.groups[key] = Group(
            key,
            LAYER_LABELS.get(layer, layer),
            Look(_pale(look.fill), look.border) if look else None,
            (LAYER_ORDER.get(layer, 99), ""),
        )
    return key


@cache
def _pale(colour: str) -> str:
    """A lighter tint of ``#RRGGBB`` for cluster backgrounds."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * 0.65):02X}" for c in rgb)


# -- views over the repository ---------------------------------------------------


def _containers(
    store: GraphStore,
    ids: Iterable[str],
    path: Sequence[str],
    lens: Lens,
    known: dict[str, dict[str, set[str]]] | None = None,
) -> dict[str, dict[str, int]]:
    """For each id, the elements reached by following ``path`` (``~type`` backwards), with
    how many ways each is reached; ids that reach nothing are left out.

    One batched :meth:`GraphStore.neighbors` call per step, for the part of the
    frontier ``known`` (step → element → next elements, shared by the rules of
    a view) does not hold yet.
    """
    known = {} if known is None else known
    reach: dict[str, dict[str, int]] = {i: {i: 1} for i in ids}
    for step in path:
        if not reach:
            break
        direction = Direction.IN if step.startswith("~") else Direction.OUT
        nxt = known.setdefault(step, {})
        ask = sorted({x for xs in reach.values() for x in xs if x not in nxt})
        if ask:
            for x in ask:
                nxt[x] = set()
            for hop in store.neighbors(ask, [Step(step.lstrip("~"), direction)], lens):
                nxt[hop.origin].add(hop.target)
        stepped: dict[str, dict[str, int]] = {}
        for i, xs in reach.items():
            counts: dict[str, int] = {}
            for x, n in xs.items():
                for t in nxt.get(x, ()):
                    counts[t] = counts.get(t, 0) + n
            if counts:
                stepped[i] = counts
        reach = stepped
    return reach


def _groups_of(
    rules: Sequence[GroupRule],
    elements: Mapping[str, Element],
    store: GraphStore,
    metamodel: Metamodel,
    lens: Lens,
) -> tuple[dict[str, str], dict[str, Group]]:
    """The group key of each element the rules place (the first rule that gives one wins),
    and the groups, in the order they were first given."""
    pending = set(elements)
    group_of: dict[str, str] = {}
    groups: dict[str, Group] = {}
    containers: dict[str, Element] = {}
    known: dict[str, dict[str, set[str]]] = {}
    for rule in rules:
        if not pending:
            break
        assigned: dict[str, tuple[str, str, Look | None, tuple[int, str]]] = {}
        if rule.kind == "layer":
            for key in pending:
                layer = layer_of(metamodel, elements[key].type)
                look = LAYER_LOOKS.get(layer)
                assigned[key] = (
                    f"layer:{layer}",
                    LAYER_LABELS.get(layer, layer),
                    Look(_pale(look.fill), look.border) if look else None,
                    (LAYER_ORDER.get(layer, 99), ""),
                )
        elif rule.kind == "type":
            for key in pending:
                t = elements[key].type
                assigned[key] = (f"type:{t}", t, None, (0, t))
        elif rule.kind == "other":
            for key in pending:
                assigned[key] = ("other", str(rule.attribute), None, (99, ""))
        elif rule.kind == "attribute":
            assert rule.attribute is not None
            for key in pending:
                value = elements[key].attrs.get(rule.attribute)
                if value not in (None, "", []):
                    text = cell_text(value)
                    assigned[key] = (f"attr:{text}", text, None, (0, text.casefold()))
        else:
            reach = _containers(store, pending, rule.path, lens, known)
            found = {i: min(c, key=lambda t: (-c[t], t)) for i, c in reach.items() if c}
            missing = set(found.values()) - set(elements) - set(containers)
            containers.update(store.get_elements(missing, lens))
            for key, cid in found.items():
                holder = elements.get(cid) or containers.get(cid)
                if holder is None or cid == key:
                    continue
                layer = layer_of(metamodel, holder.type)
                look = LAYER_LOOKS.get(layer)
                assigned[key] = (
                    f"in:{cid}",
                    holder.name,
                    Look(_pale(look.fill), look.border) if look else None,
                    (0, holder.name.casefold()),
                )
        for key, (gkey, label, look, order) in assigned.items():
            group_of[key] = gkey
            if gkey not in groups:
                groups[gkey] = Group(gkey, label, look, order)
        pending -= set(assigned)
    return group_of, groups


def build_view(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    select: str | Selector | None = None,
    *,
    lens: Lens = CURRENT,
    at: dt.date | None = None,
) -> ViewGraph:
    """The graph of ``spec`` over the repository, within the spec's size limit.

    ``select`` replaces the spec's selector (for an analysis view it is the
    start). Raises ViewSpecError when the spec does not fit the metamodel,
    SelectorError for a bad selector.
    """
    check_view(spec, metamodel)
    # A view over a large repository allocates hundreds of thousands of small
    # objects (elements, hops, nodes) that the cyclic collector would scan again and again.
    with gc_paused():
        return _build_view(store, metamodel, spec, select, lens, at)


def _build_view(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    select: str | Selector | None,
    lens: Lens,
    at: dt.date | None,
) -> ViewGraph:
    if spec.analysis is not None and isinstance(select, str):
        # The start of an analysis may be a name with spaces, which a selector would split.
        called = elements_called(store, select, lens)
        if len(called) == 1:
            select = Atom(Method.ID, called[0].id)
    selector = parse_selector(select) if isinstance(select, str) else (select or spec.select)
    if spec.analysis is not None:
        return _analysis_view(store, metamodel, spec, selector, lens, at)
    if selector is None:
        raise ValidationError(
            f"the view {spec.name!r} selects nothing", hint="give it `select:` or pass --select"
        )
    return _spec_view(store, metamodel, spec, selector, lens, at)


def _spec_view(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    selector: Selector,
    lens: Lens,
    at: dt.date | None,
    *,
    counting: bool = True,
) -> ViewGraph:
    """The view of the elements ``selector`` selects. ``counting``: a view over its limit is
    counted by group and type (:func:`_counted`) rather than drawn element by element and
    collapsed by :func:`fit`, which gives the same graph."""
    elements = select_elements(store, metamodel, selector, lens=lens)
    graph = ViewGraph(spec.title, spec.description, engine=spec.engine, direction=spec.direction)
    overlay = _overlay(store, metamodel, spec, elements, lens, at)
    looks = _overlay_looks(spec) if overlay is not None else {}

    def node(element: Element) -> Node:
        drawn = _node(element, metamodel, spec.labels)
        if overlay is not None:
            status, extra = overlay.get(element.id, ("unknown", None))
            drawn.look = recolour(drawn.look, looks[status])
            if extra:
                drawn.lines.append(extra)
        return drawn

    group_of, graph.groups = _groups_of(spec.group, elements, store, metamodel, lens)
    # A container that is itself drawn becomes its cluster: its node turns into an
    # invisible anchor inside, where its other relations still attach.
    anchors: dict[str, Node] = {}
    for gkey, group in graph.groups.items():
        cid = gkey[3:] if gkey.startswith("in:") else None
        if cid is not None and cid in elements and cid not in group_of:
            anchors[cid] = node(elements[cid])
            anchors[cid].anchor, anchors[cid].group = True, gkey
            group_of[cid] = gkey
            group.look = Look(_pale(anchors[cid].look.fill), anchors[cid].look.border)
    counted = counting and len(elements) > spec.limit
    if counted:
        # Over its limit a view is collapsed by group and type whatever else: each bucket is
        # counted here, without a node per element (fit goes on from there if need be).
        where = _counted(graph, elements, group_of, anchors, node, metamodel)
    else:
        for element in elements.values():
            drawn = anchors.get(element.id) or node(element)
            drawn.group = group_of.get(element.id)
            graph.add_node(drawn)
        where = {k: k for k in graph.nodes}
    # Containment drawn as a cluster needs no arrow as well.
    contained = {r.lstrip("~") for rule in spec.group for r in rule.path[-1:]}
    merged: dict[tuple[str, str, str], tuple[list[int], dict[str, None]]] = {}
    # Without edge labels the labels are the types': one per edge, read once.
    labelled = bool(spec.edge_labels)
    for rel in _relations_drawn(store, metamodel, spec, elements, lens):
        src, dst, kind = rel.src, rel.dst, rel.type
        if (
            kind in contained
            and (src in anchors or dst in anchors)
            and group_of.get(src) == group_of.get(dst)
        ):
            continue
        ends = (where[src], where[dst], kind)
        if ends[0] == ends[1]:
            continue
        entry = merged.get(ends)
        if entry is None:
            merged[ends] = ([1], {_edge_label(rel, metamodel, spec.edge_labels): None})
        else:
            entry[0][0] += 1
            if labelled and (label := _edge_label(rel, metamodel, spec.edge_labels)):
                entry[1][label] = None
    for (a, b, kind), (total, labels) in merged.items():
        edge = _relation_edge(a, b, kind, "", total[0])
        edge.labels = list(labels)
        graph.edges.append(edge)
    graph.legend = _layer_legend(graph) if overlay is None else _overlay_legend(spec, overlay)
    if not elements:
        graph.notes.append(f"the selector {selector.to_text()!r} selects nothing")
    return fit(graph, spec.limit, spec.edge_limit, collapsed=counted)


def _counted(
    graph: ViewGraph,
    elements: Mapping[str, Element],
    group_of: Mapping[str, str],
    anchors: Mapping[str, Node],
    node: Callable[[Element], Node],
    metamodel: Metamodel,
) -> dict[str, str]:
    """Fill ``graph`` with the elements counted by (group, type), as :func:`fit` collapses a
    graph over its limit: a bucket of one is its element's node, an anchor stays itself, the
    first member (in id order) lends a bucket its look. Returns the node each element went to."""
    buckets: dict[tuple[str | None, str], list[Element]] = defaultdict(list)
    for eid, element in elements.items():
        if eid not in anchors:
            buckets[(group_of.get(eid), element.type)].append(element)
    for eid, anchor in anchors.items():
        buckets[(anchor.group, f"anchor:{eid}")] = [elements[eid]]
    where: dict[str, str] = {}
    slug = bucket_slug(BY_GROUP_AND_TYPE)
    for (group, kind), members in sorted(
        buckets.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        first = members[0]
        if len(members) == 1:
            drawn = anchors.get(first.id) or node(first)
            drawn.group = group
            graph.add_node(drawn)
            where[first.id] = first.id
            continue
        key = bucket_key(slug, group, kind)
        graph.add_node(
            bucket_node(
                key,
                kind,
                group,
                len(members),
                first.type,
                layer_of(metamodel, first.type),
                node(first).look,
                (m.name for m in members),
            )
        )
        for m in members:
            where[m.id] = key
    graph.elements_total = len(elements) - len(anchors)
    return where


def _relations_drawn(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    elements: Container[str],
    lens: Lens,
) -> Iterator[Relation]:
    """The relations between ``elements`` the view draws, no loops, in the order they are
    merged; without edge labels from the relation indexes alone (no attributes)."""
    # Every type (None) is each type of the metamodel, so that it takes the fast way too.
    types = list(metamodel.relation_types if spec.relations is None else spec.relations)
    ids = sorted(cast(Iterable[str], elements))
    if not ids or not types:
        return
    if not spec.edge_labels:
        steps = [Step(t, Direction.OUT) for t in types]
        for hop in store.neighbors(ids, steps, lens):
            if hop.target in elements and hop.origin != hop.target:
                yield hop.relation
        return
    for rel in store.relations_of(ids, lens, types=types):
        if rel.src in elements and rel.dst in elements and rel.src != rel.dst:
            yield rel


def _overlay_looks(spec: ViewSpec) -> dict[str, Look]:
    return RISK_LOOKS if spec.color_by == "risk" else CRITICALITY_LOOKS


def _overlay_legend(
    spec: ViewSpec, overlay: Mapping[str, tuple[str, str | None]]
) -> list[LegendItem]:
    looks = _overlay_looks(spec)
    used = {status for status, _ in overlay.values()} | {"unknown"}
    labels = RISK_LABELS if spec.color_by == "risk" else {k: k for k in looks}
    return [LegendItem(labels[k], looks[k]) for k in looks if k in used]


def _overlay(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    elements: Mapping[str, Element],
    lens: Lens,
    at: dt.date | None,
) -> dict[str, tuple[str, str | None]] | None:
    """Per element of the view: the status colouring it (risk, criticality) and a line to add, or None."""
    if spec.color_by == "criticality":
        return {
            e.id: (str(e.attrs.get("criticality") or "unknown"), None) for e in elements.values()
        }
    if spec.color_by != "risk":
        return None
    from ..analysis.obsolescence import obsolescence
    from ..config import parse_duration_days

    horizon = parse_duration_days(str(spec.options.get("horizon", "12m")), "horizon")
    report = obsolescence(
        store, metamodel, at=at, horizon_days=horizon, scope=set(elements), lens=lens
    )
    result: dict[str, tuple[str, str | None]] = {i: ("ok", None) for i in elements}
    for tech in report.technologies:
        result[tech.element.id] = (tech.risk.value, tech.reason)
    for exp in report.exposed:
        result[exp.element.id] = (exp.risk.value, f"{exp.risk.value}: {exp.cause.name}")
    return result


# -- views of analysis results ---------------------------------------------------


def _analysis_view(
    store: GraphStore,
    metamodel: Metamodel,
    spec: ViewSpec,
    selector: Selector | None,
    lens: Lens,
    at: dt.date | None,
) -> ViewGraph:
    from ..analysis.registry import Starts, analysis
    from ..repository import Repository

    assert spec.analysis is not None
    kind = analysis(spec.analysis)
    if selector is None and kind.starts is not Starts.SCOPE:
        raise ValidationError(
            f"the {spec.name} view needs a start", hint=f"ea view render {spec.name} --select X"
        )
    options = kind.view_params(spec.options, at)
    report = Repository(store, metamodel).analyse(kind.name, selector, lens=lens, **options)
    return kind.draw(report, metamodel, spec)


def _compressed_edges(
    graph: ViewGraph, paths: Iterable[Sequence[PathStep]], *, color: str = "#555555"
) -> None:
    """Each path drawn from its last shown element to its end: hidden steps become one edge.

    Paths share their beginnings (tens of thousands on a large impact): the
    segments are counted here and each distinct one is added to the graph once.
    """
    nodes = graph.nodes
    segments: dict[tuple[str, str, str], list[str]] = {}
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for path in paths:
        shown: str | None = None
        hidden = 0
        for step in path:
            if shown is None and step.origin.id in nodes:
                shown = step.origin.id
            target = step.target.id
            if target in nodes and shown is not None:
                if hidden == 0:
                    key, label = (shown, target, step.relation_type), step.label
                else:
                    key, label = (shown, target, "via"), f"{step.label} (+{hidden} hidden)"
                labels = segments.get(key)
                if labels is None:
                    segments[key] = [label]
                elif label and label not in labels:
                    labels.append(label)
                counts[key] += 1
                shown, hidden = target, 0
            elif shown is not None:
                hidden += 1
    for (src, dst, kind), labels in segments.items():
        graph.add_edge(Edge(src, dst, kind, labels, counts[(src, dst, kind)], color=color))


def _tree_segments(
    drawn: Container[str], report: ImpactReport
) -> list[tuple[str, str, str, str, int]]:
    """The edges :func:`_compressed_edges` draws for the paths of ``report.affected`` among
    the ``drawn`` elements, read from the traversal: (from, to, type, label, paths through it).

    Every path ends with its element's first hop, the rest is the path to the element
    before it, so each drawn element has one segment, from the nearest drawn element above
    it, used by the paths of everything drawn below it.
    """
    reached = cast(dict[str, Reached], report.traversal.reached)
    mm = report.metamodel
    affected: list[str] = [a.element.id for a in report.affected if a.element.id in drawn]
    above: dict[str, str] = {}  # drawn element → nearest drawn element on its path
    segment: dict[str, tuple[str, str]] = {}  # drawn element → (type, label) of its edge
    for x in affected:
        via = reached[x].via
        if not via:
            continue
        hop = via[0]
        hidden = 0
        current: str = hop.origin
        while current not in drawn and reached[current].via:
            hidden += 1
            current = reached[current].via[0].origin
        if current not in drawn:
            continue
        label = hop_label(mm, hop)
        above[x] = current
        segment[x] = (
            (hop.relation.type, label) if hidden == 0 else ("via", f"{label} (+{hidden} hidden)")
        )
    # A segment is drawn once per path through it: the element's and those below it. Below
    # first: in an impact, a degraded element is reached by no one (its hops may come from
    # later levels); otherwise the element before another is one step nearer the start.
    below: dict[str, int] = dict.fromkeys(affected, 1)
    leaves_first = report.traversal.way is Way.IMPACT
    for x in sorted(
        above,
        key=lambda i: (
            -(1 << 30)
            if leaves_first and reached[i].state is State.DEGRADED
            else -reached[i].distance
        ),
    ):
        parent = above[x]
        if parent in below:
            below[parent] += below[x]
    return [(above[x], x, *segment[x], below[x]) for x in affected if x in above]


def _state_legend(graph: ViewGraph, states: Iterable[str]) -> list[LegendItem]:
    return [LegendItem(STATE_LABELS[s], STATE_LOOKS[s]) for s in states] + _layer_legend(graph)


def impact_graph(report: ImpactReport, spec: ViewSpec) -> ViewGraph:
    """The start(s) and what depends on them (or what they depend on), clustered by layer.

    Over the spec's limit the elements are counted by layer and type straight
    away (:func:`_impact_counted`), the graph :func:`fit` would make of them.
    """
    if len(report.starts) + len(report.affected) > spec.limit:
        return _impact_counted(report, spec)
    return _impact_drawn(report, spec)


def _impact_header(report: ImpactReport, spec: ViewSpec) -> ViewGraph:
    impact = report.way is Way.IMPACT
    names = ", ".join(e.name for e in report.starts)
    return ViewGraph(
        f"{'Impact' if impact else 'Dependencies'} of {names}",
        f"{len(report.affected)} element(s) {'affected' if impact else 'needed'}, by layer"
        + (" — red: stops working, orange: degraded" if impact else ""),
        engine=spec.engine,
        direction=spec.direction,
    )


def _impact_members(
    report: ImpactReport,
) -> Iterator[tuple[Element, str, Look, str, int | None]]:
    """Each element to draw, in drawing order: (element, layer, look, state, distance)."""
    mm = report.metamodel
    impact = report.way is Way.IMPACT
    for start in report.starts:
        layer = layer_of(mm, start.type)
        look = recolour(element_look(layer, start.type), STATE_LOOKS["start"])
        yield start, layer, look, "start", None
    for a in report.affected:
        look = element_look(a.layer, a.element.type)
        state = ""
        if impact:
            state = "down" if a.state is State.DOWN else "degraded"
            look = recolour(look, STATE_LOOKS[state])
        yield a.element, a.layer, look, state, a.distance


def _impact_node(
    element: Element, look: Look, distance: int | None, mm: Metamodel, spec: ViewSpec
) -> Node:
    node = _node(element, mm, spec.labels, look)
    if distance is not None:
        node.lines.append(f"{distance} step{'s' if distance != 1 else ''} away")
    else:
        node.pinned = True  # a start is what the view is about: never counted in a bucket
    return node


def _impact_states(report: ImpactReport) -> list[str]:
    states = ["start"]
    if report.way is Way.IMPACT:
        for a in report.affected:
            state = "down" if a.state is State.DOWN else "degraded"
            if state not in states:
                states.append(state)
    return states


def _impact_drawn(report: ImpactReport, spec: ViewSpec) -> ViewGraph:
    graph = _impact_header(report, spec)
    for element, _, look, _, distance in _impact_members(report):
        graph.add_node(_impact_node(element, look, distance, report.metamodel, spec))
    for src, dst, kind, label, count in _tree_segments(graph.nodes, report):
        graph.add_edge(Edge(src, dst, kind, [label], count))
    _layer_groups(graph)
    graph.legend = _state_legend(graph, _impact_states(report))
    if report.traversal.truncated:
        graph.notes.append(f"stopped at depth {report.traversal.max_depth}")
    return fit(graph, spec.limit, spec.edge_limit)


def _impact_counted(report: ImpactReport, spec: ViewSpec) -> ViewGraph:
    """What :func:`_impact_drawn` gives over the limit, without drawing each element first.

    The elements are bucketed by layer cluster and type as :func:`fit` does
    first (a bucket of one keeps its own node, the others are counted, with
    three names for example), and the traversal's segments merged between
    buckets; then :func:`fit` goes on from there.
    """
    mm = report.metamodel
    graph = _impact_header(report, spec)
    buckets: dict[tuple[str, str], list[tuple[Element, Look, int | None]]] = {}
    for element, layer, look, _, distance in _impact_members(report):
        group = _layer_group(graph, layer)
        kind = element.type if distance is not None else f"pinned:{element.id}"
        buckets.setdefault((group, kind), []).append((element, look, distance))
    layers = {group[6:] for group, _ in buckets}
    graph.legend = [
        LegendItem(STATE_LABELS[s], STATE_LOOKS[s]) for s in _impact_states(report)
    ] + _legend_of_layers(layers)
    if report.traversal.truncated:
        graph.notes.append(f"stopped at depth {report.traversal.max_depth}")
    where: dict[str, str] = {}
    for (group, kind), members in sorted(buckets.items()):
        if len(members) == 1:
            element, look, distance = members[0]
            node = _impact_node(element, look, distance, mm, spec)
            node.group = group
        else:
            first, look, _ = members[0]
            sample = ", ".join(
                e.name
                for e, _, _ in heapq.nsmallest(3, members, key=lambda m: m[0].name.casefold())
            )
            node = Node(
                key=f"{BY_GROUP_AND_TYPE.replace(' ', '-')}:{group}:{kind}",
                name=f"{len(members):,} × {kind}",
                type=first.type,
                layer=group[6:],
                look=look,
                lines=[f"e.g. {sample}" + (" …" if len(members) > 3 else "")] if sample else [],
                group=group,
                count=len(members),
            )
        graph.add_node(node)
        for element, _, _ in members:
            where[element.id] = node.key
    for src, dst, kind, label, count in _tree_segments(where, report):
        if where[src] != where[dst]:
            graph.add_edge(Edge(where[src], where[dst], kind, [label], count))
    graph.elements_total = len(where)
    return fit(graph, spec.limit, spec.edge_limit, collapsed=True)


def obsolescence_graph(report: ObsolescenceReport, spec: ViewSpec) -> ViewGraph:
    """Technologies at risk and what depends on them, in the layers the spec lists."""
    layers = set(spec.options.get("layers", ["application", "business", "strategy"]))
    at_risk = [t for t in report.technologies if t.risk is not Risk.OK]
    graph = ViewGraph(
        f"Obsolescence on {report.at.isoformat()} (horizon {report.horizon_days} days)",
        f"{len(at_risk)} technologies at risk; {sum(e.layer in layers for e in report.exposed)} "
        f"element(s) depending on them in {', '.join(sorted(layers, key=lambda x: LAYER_ORDER.get(x, 99)))}",
        engine=spec.engine,
        direction=spec.direction,
    )
    exposed = [e for e in report.exposed if e.layer in layers]
    causes = {e.cause.id for e in exposed}
    for tech in at_risk:
        if tech.element.id not in causes and len(at_risk) > spec.limit // 2:
            continue  # a crowded view keeps the technologies that reach something
        layer = "technology"
        node = Node(
            tech.element.id,
            tech.element.name,
            tech.element.type,
            layer,
            recolour(element_look(layer, tech.element.type), RISK_LOOKS[tech.risk.value]),
            [tech.reason],
            element_id=tech.element.id,
        )
        graph.add_node(node)
    for e in exposed:
        node = Node(
            e.element.id,
            e.element.name,
            e.element.type,
            e.layer,
            recolour(element_look(e.layer, e.element.type), RISK_LOOKS[e.risk.value]),
            [f"{e.risk.value} through {e.cause.name}"],
            element_id=e.element.id,
        )
        graph.add_node(node)
    _compressed_edges(graph, (e.path for e in exposed))
    _layer_groups(graph)
    used = {t.risk.value for t in at_risk} | {e.risk.value for e in exposed}
    graph.legend = [
        LegendItem(RISK_LABELS[r.value], RISK_LOOKS[r.value])
        for r in sorted(Risk, key=lambda r: -RANK[r])
        if r.value in used
    ] + _layer_legend(graph)
    if not report.technologies:
        graph.notes.append(
            "no element carries lifecycle dates: import lifecycle data (ea import eol)"
        )
    return fit(graph, spec.limit, spec.edge_limit)


def health_graph(report: HealthReport, spec: ViewSpec) -> ViewGraph:
    """The heat map of ``report``: each element reported coloured by its health, grouped by
    the spec's ``group_by`` attribute (by layer where it has none). Over the spec's limit,
    each group shows one counted cell per state, reds first."""
    attribute = str(spec.options.get("group_by") or "")
    counts = report.counts()
    graph = ViewGraph(
        f"Health at {report.instant}",
        f"{counts['red']} red, {counts['amber']} amber, {counts['green']} green "
        f"({', '.join(report.layers)}); {len(report.open)} open incident(s)",
        engine=spec.engine,
        direction=spec.direction,
    )

    def group_of(entry: ElementHealth) -> tuple[str, str, tuple[int, str]]:
        value = entry.element.attrs.get(attribute) if attribute else None
        if value not in (None, ""):
            return f"health:{attribute}:{value}", str(value), (0, str(value).lower())
        label = LAYER_LABELS.get(entry.layer, entry.layer)
        return f"health:layer:{entry.layer}", label, (1, f"{LAYER_ORDER.get(entry.layer, 99):02d}")

    cells: dict[tuple[str, Health], list[ElementHealth]] = defaultdict(list)
    for entry in report.elements:
        key, label, order = group_of(entry)
        if key not in graph.groups:
            graph.groups[key] = Group(key, label, None, order)
        cells[(key, entry.health)].append(entry)
    if len(report.elements) <= spec.limit:
        for entry in report.elements:
            reason = entry.reason()
            lines = [reason.why] if reason else []
            if entry.stale:
                lines.append("facts stale")
            node = Node(
                entry.element.id,
                entry.element.name,
                entry.element.type,
                entry.layer,
                recolour(
                    element_look(entry.layer, entry.element.type), HEALTH_LOOKS[entry.health.value]
                ),
                lines,
                group=group_of(entry)[0],
                element_id=entry.element.id,
            )
            graph.add_node(node)
    else:
        for (key, state), members in sorted(
            cells.items(), key=lambda kv: (kv[0][0], -HEALTH_RANK[kv[0][1]])
        ):
            first = members[0]
            node = bucket_node(
                f"health:{key}:{state.value}",
                state.value,
                key,
                len(members),
                first.element.type,
                first.layer,
                recolour(element_look(first.layer, first.element.type), HEALTH_LOOKS[state.value]),
                (m.element.name for m in members),
            )
            graph.add_node(node)
        graph.elements_total = len(report.elements)
        graph.notes.append(
            f"{len(report.elements):,} elements are more than this view's limit ({spec.limit}): "
            "counted by group and state"
        )
    used = {e.health.value for e in report.elements}
    graph.legend = [
        LegendItem(HEALTH_LABELS[h.value], HEALTH_LOOKS[h.value]) for h in Health if h.value in used
    ]
    return fit(graph, spec.limit, spec.edge_limit)


def decommission_graph(report: DecommissionReport, spec: ViewSpec) -> ViewGraph:
    """The switch-off of one element: what breaks, what is freed, what stays, flows and data."""
    x = report.target
    mm = report.impact.metamodel
    graph = ViewGraph(
        f"Decommissioning {x.name}",
        f"{len(report.breaks)} break, {len(report.degraded)} degraded, {len(report.freed)} freed, "
        f"{len(report.stays)} shared stay, {len(report.flows)} flows to re-route, "
        f"{len(report.data)} data objects",
        engine=spec.engine,
        direction=spec.direction,
    )
    roles: list[tuple[str, str, int]] = [
        ("breaks", "Stops working", 1),
        ("degraded", "Degraded", 2),
        ("reroute", "Interfaces to re-route or cut", 3),
        ("data", "Data to migrate or purge", 4),
        ("freed", "Freed with it", 5),
        ("stays", "Shared: stays", 6),
    ]
    for key, label, order in roles:
        graph.groups[f"role:{key}"] = Group(f"role:{key}", label, None, (order, ""))

    used: set[str] = set()

    def add(element: Element, state: str, group: str, lines: Sequence[str] = ()) -> None:
        used.add(state)
        layer = layer_of(mm, element.type)
        node = _node(
            element,
            mm,
            spec.labels,
            recolour(element_look(layer, element.type), STATE_LOOKS[state]),
        )
        node.lines.extend(lines)
        node.group = f"role:{group}"
        graph.add_node(node)

    start = _node(
        x,
        mm,
        spec.labels,
        recolour(element_look(layer_of(mm, x.type), x.type), STATE_LOOKS["start"]),
    )
    start.pinned = True
    graph.add_node(start)
    support = {s.element.id: s for s in report.support}
    for a in report.breaks:
        s = support.get(a.element.id)
        state = "down" if s is None else ("unsupported" if s.unsupported else "partly")
        add(a.element, state, "breaks")
    for a in report.degraded:
        add(a.element, "degraded", "degraded")
    for f in report.flows:
        if f.partner.id not in graph.nodes:
            add(f.partner, "reroute", "reroute")
    for d in report.data:
        add(d.data, "data", "data", [d.action])
    for e in report.freed:
        add(e, "freed", "freed")
    for shared in report.stays:
        add(
            shared.element,
            "stays",
            "stays",
            [f"also needed by {len(shared.other_dependents)}"],
        )
    _compressed_edges(graph, (a.path for a in [*report.breaks, *report.degraded]), color="#B03030")
    for f in report.flows:
        src, dst = (x.id, f.partner.id) if f.direction == "out" else (f.partner.id, x.id)
        attrs = f.relation.attrs
        label = " · ".join(
            cell_text(attrs[k]) for k in ("protocol", "data_objects") if attrs.get(k)
        )
        graph.add_edge(Edge(src, dst, "flow", [label], style="dashed", color="#2F6FA0"))
    for d in report.data:
        graph.add_edge(Edge(x.id, d.data.id, d.relation.type, [d.relation.type]))
    for e in report.freed:
        graph.add_edge(
            Edge(x.id, e.id, "needs", ["needs (only it)"], style="dotted", color="#777777")
        )
    for shared in report.stays:
        graph.add_edge(
            Edge(x.id, shared.element.id, "needs", ["needs"], style="dotted", color="#4E8A3E")
        )
    states = [
        "start",
        "down",
        "unsupported",
        "partly",
        "degraded",
        "reroute",
        "data",
        "freed",
        "stays",
    ]
    graph.legend = [
        LegendItem(STATE_LABELS[s], STATE_LOOKS[s]) for s in states if s in used or s == "start"
    ]
    graph.groups = {
        k: g for k, g in graph.groups.items() if any(n.group == k for n in graph.nodes.values())
    }
    for role in ("role:data", "role:stays", "role:freed"):
        if role in graph.groups:
            graph = crowd(graph, role, CROWDED)
    return fit(graph, spec.limit, spec.edge_limit)


def diagnosis_graph(report: DiagnosisReport, metamodel: Metamodel, spec: ViewSpec) -> ViewGraph:
    """The symptoms, the candidate causes reported (ranked) and each one's paths to them."""
    graph = ViewGraph(
        f"Diagnosis of {len(report.symptoms)} symptom(s)",
        f"the {len(report.candidates)} best-ranked candidate cause(s)"
        + (f", {len(report.pairs)} pair(s)" if report.pairs else "")
        + " — bold: a candidate, red: a symptom",
        engine=spec.engine,
        direction=spec.direction,
    )
    graph.groups["role:causes"] = Group("role:causes", "Candidate causes", None, (1, ""))
    graph.groups["role:symptoms"] = Group("role:symptoms", "Symptoms", None, (3, ""))

    def add(element: Element, state: str | None, group: str | None, lines: Sequence[str]) -> None:
        known = graph.nodes.get(element.id)
        if known is not None:  # a candidate in a pair too, or a symptom on another's path
            known.lines.extend(line for line in lines if line not in known.lines)
            return
        layer = layer_of(metamodel, element.type)
        look = element_look(layer, element.type)
        node = _node(
            element, metamodel, spec.labels, recolour(look, STATE_LOOKS[state]) if state else look
        )
        node.lines.extend(lines)
        node.group = group or _layer_group(graph, layer)
        node.pinned = state is not None
        graph.add_node(node)

    n = len(report.symptoms)
    for rank, c in enumerate(report.candidates, start=1):
        lines = [f"#{rank}: explains {len(c.explained)}/{n}, {c.down} down"]
        add(c.element, "start", "role:causes", lines)
    for rank, p in enumerate(report.pairs, start=1):
        for cause in p.causes:
            add(cause, "start", "role:causes", [f"pair {rank}"])
    for symptom in report.symptoms:  # a symptom may be a candidate too
        add(symptom, "down", "role:symptoms", ["reported failing"])
    paths = [e.path for c in report.candidates for e in c.explained]
    paths += [e.path for p in report.pairs for e in p.explained]
    for path in paths:
        for step in path[:-1]:
            add(step.target, None, None, [])
    _compressed_edges(graph, paths, color="#B03030")
    graph.legend = [
        LegendItem("a candidate cause", STATE_LOOKS["start"]),
        LegendItem("a symptom reported", STATE_LOOKS["down"]),
        *_layer_legend(graph),
    ]
    return fit(graph, spec.limit, spec.edge_limit)


def flows_graph(report: FlowReport, spec: ViewSpec) -> ViewGraph:
    """The flows from and to an application, or those carrying a data object."""
    subject = report.subject
    edges: list[FlowEdge] = [*report.upstream, *report.downstream]
    graph = ViewGraph(
        f"Data flows of {subject.name}",
        f"{len(report.upstream)} upstream, {len(report.downstream)} downstream; red: personal data",
        engine=spec.engine,
        direction=spec.direction,
    )

    def add(element: Element) -> None:
        if element.id not in graph.nodes:
            node = Node(
                element.id,
                element.name,
                element.type,
                "application",
                element_look("application", element.type),
                element_id=element.id,
            )
            graph.add_node(node)

    start_look = STATE_LOOKS["start"]
    graph.add_node(
        Node(
            subject.id,
            subject.name,
            subject.type,
            "data" if report.holders else "application",
            recolour(element_look("application", subject.type), start_look),
            element_id=subject.id,
            pinned=True,
        )
    )
    for h in report.holders:
        add(h.system)
        graph.add_edge(Edge(h.system.id, subject.id, h.relation.type, [h.role]))
    for f in edges:
        add(f.sender)
        add(f.receiver)
        attrs = f.relation.attrs
        label = " · ".join(
            cell_text(attrs[k])
            for k in spec.edge_labels or ("protocol", "data_objects")
            if attrs.get(k)
        )
        graph.add_edge(
            Edge(
                f.sender.id,
                f.receiver.id,
                "flow" + (":personal" if f.personal else ""),
                [label],
                style="dashed",
                color="#B03030" if f.personal else "#2F6FA0",
            )
        )
    graph.legend = [LegendItem(STATE_LABELS["start"], start_look)] + _layer_legend(graph)
    return fit(graph, spec.limit, spec.edge_limit)


_TOUCHED = "touched"  # the group (and the summary node) of what stays but is touched


def waves_graph(report: WavesReport, metamodel: Metamodel, spec: ViewSpec) -> ViewGraph:
    """Migration waves as clusters, with the dependencies that cross from one wave to another,
    and apart, what stays but is touched, linked to the elements of the waves it touches.

    Over the spec's limit, each wave is one counted node (see :func:`_waves_summary`).
    """
    touched = report.touched
    if sum(len(w.elements) for w in report.waves) + len(touched) > spec.limit:
        return _waves_summary(report, metamodel, spec)
    graph = ViewGraph(
        "Migration waves",
        f"{len(report.waves)} wave(s), {len(report.cross)} cross-wave dependencies, "
        f"{len(touched)} element(s) that stay touched",
        engine=spec.engine,
        direction=spec.direction,
    )
    for wave in report.waves:
        key = f"wave:{wave.number:04d}"
        graph.groups[key] = Group(
            key, f"Wave {wave.number} ({len(wave.elements)})", None, (wave.number, "")
        )
        for element in wave.elements:
            node = _node(element, metamodel, spec.labels)
            node.group = key
            graph.add_node(node)
    if touched:
        graph.groups[_TOUCHED] = Group(
            _TOUCHED, f"Stays, touched ({len(touched)})", None, (len(report.waves) + 1, "")
        )
    for element in touched:
        look = element_look(layer_of(metamodel, element.type), element.type)
        node = _node(element, metamodel, spec.labels, recolour(look, STATE_LOOKS["touched"]))
        node.group = _TOUCHED
        graph.add_node(node)
    for c in report.cross:
        graph.add_edge(
            Edge(
                c.dependent.id,
                c.dependency.id,
                c.relation.type,
                [f"needs (wave {c.dependency_wave})"],
                color="#B03030",
            )
        )
    for wave in report.waves:
        for t in wave.touched:
            graph.add_edge(
                Edge(
                    t.element.id,
                    t.moving.id,
                    t.relation.type,
                    [t.link],
                    style="dashed",
                    color="#A68B00",
                )
            )
    graph.legend = _layer_legend(graph)
    if touched:
        graph.legend.append(LegendItem(STATE_LABELS["touched"], STATE_LOOKS["touched"]))
    return fit(graph, spec.limit, spec.edge_limit)


def _waves_summary(report: WavesReport, metamodel: Metamodel, spec: ViewSpec) -> ViewGraph:
    """One node per wave, in order (the last ones together past the limit), its layers
    counted, the cross-wave dependencies counted between waves, and one node counting
    what stays but is touched, linked to the waves that touch it."""
    touched = report.touched
    total = sum(len(w.elements) for w in report.waves) + len(touched)
    graph = ViewGraph(
        "Migration waves",
        f"{len(report.waves)} wave(s), {len(report.cross)} cross-wave dependencies, "
        f"{len(touched)} element(s) that stay touched",
        engine=spec.engine,
        direction=spec.direction,
        elements_total=total,
    )
    room = spec.limit - (1 if touched else 0)
    shown = report.waves if len(report.waves) <= room else report.waves[: room - 1]
    node_of: dict[int, str] = {}
    for wave in report.waves:
        node_of[wave.number] = f"wave:{min(wave.number, len(shown) + 1):04d}"
    rest = report.waves[len(shown) :]
    parts: list[tuple[str, str, list[Element]]] = [
        (f"wave:{n:04d}", f"Wave {w.number}", w.elements) for n, w in enumerate(shown, start=1)
    ]
    if rest:
        parts.append(
            (
                f"wave:{len(shown) + 1:04d}",
                f"Waves {rest[0].number}–{rest[-1].number}",
                [e for w in rest for e in w.elements],
            )
        )
    if touched:
        parts.append((_TOUCHED, "Stays, touched", touched))
    for key, name, members in parts:
        layers = Counter(layer_of(metamodel, e.type) for e in members)
        top = max(sorted(layers), key=layers.__getitem__)
        look = element_look(top, "")
        graph.add_node(
            Node(
                key,
                name,
                "wave" if key != _TOUCHED else _TOUCHED,
                top,
                look if key != _TOUCHED else recolour(look, STATE_LOOKS["touched"]),
                [
                    ", ".join(
                        f"{n:,} {LAYER_LABELS.get(layer, layer).lower()}"
                        for layer, n in sorted(
                            layers.items(), key=lambda kv: LAYER_ORDER.get(kv[0], 99)
                        )
                    )
                ],
                count=len(members),
            )
        )
    for c in report.cross:
        src, dst = node_of[c.dependent_wave], node_of[c.dependency_wave]
        if src != dst:
            graph.add_edge(Edge(src, dst, "needs", ["needs"], color="#B03030"))
    for wave in report.waves:
        for _ in wave.touched:
            graph.add_edge(
                Edge(_TOUCHED, node_of[wave.number], "touches", [], style="dashed", color="#A68B00")
            )
    graph.notes.append(
        f"{total:,} elements are more than this view's limit ({spec.limit}): each wave is one "
        f"node counting its elements by layer"
        + (f", waves {rest[0].number}–{rest[-1].number} together" if rest else "")
        + ("; what stays but is touched is one node" if touched else "")
        + "; select fewer to see each element"
    )
    most = spec.edge_limit or 3 * spec.limit
    if len(graph.edges) > most:  # the heaviest links, not fewer waves
        dropped = len(graph.edges) - most
        graph.edges = sorted(graph.edges, key=lambda e: (-e.count, e.src, e.dst))[:most]
        graph._edge_index = None
        graph.notes.append(f"{dropped:,} weaker links (fewest dependencies) are left out")
    graph.legend = _layer_legend(graph)
    if touched:
        graph.legend.append(LegendItem(STATE_LABELS["touched"], STATE_LOOKS["touched"]))
    return fit(graph, spec.limit, spec.edge_limit)


# -- the two states of a scenario ------------------------------------------------

SCENARIO_LIMIT = 40
"""Elements in each diagram of a scenario study: what changed first, then one step around it."""
SIDE_MARKS = {"before": ("removed", "changed"), "after": ("added", "changed")}
"""The changes each state's diagram shows: what the scenario removes is only in the
facts (before), what it adds only in the scenario (after)."""


def scenario_graphs(
    gap: ScenarioDiff,
    before: GraphStore,
    after: GraphStore,
    metamodel: Metamodel,
    limit: int = SCENARIO_LIMIT,
) -> tuple[ViewGraph, ViewGraph]:
    """The neighbourhood of what ``gap`` changes, drawn from the ``before`` state and from
    the ``after`` one (the stores of the two states, seen the day of ``gap``).

    Both diagrams draw the same elements, each those its state holds: the elements
    added, removed or changed, the ends of the relations that changed, then the
    elements one step around them, the most linked first, within ``limit``; a
    note says what was left out. The links drawn are the changed ones, those of the
    changed elements, and those reaching the elements around. The changes are
    marked (CSS class and colour).
    """
    elements = {c.id: c.kind for c in gap.elements}
    relations = {c.id: c.kind for c in gap.relations}
    sides = (before, after)
    ends = {
        end
        for side in sides
        for r in side.get_relations(relations, CURRENT).values()
        for end in (r.src, r.dst)
    }
    focus = sorted(elements) + sorted(ends - set(elements))
    notes = []
    if len(focus) > limit:
        notes.append(
            f"{len(focus) - limit:,} of the {len(focus):,} elements changed or at an end of a "
            f"changed relation are left out (limit {limit}): the tables list every change"
        )
        focus = focus[:limit]
    around: Counter[str] = Counter()
    shown = set(focus)
    for side in sides:
        for r in side.relations_of(focus, CURRENT):
            around.update(end for end in (r.src, r.dst) if end not in shown)
    room = max(0, limit - len(focus))
    nearest = sorted(around, key=lambda e: (-around[e], e))
    if len(nearest) > room:
        notes.append(
            f"{len(nearest) - room:,} of the {len(nearest):,} elements one step around the "
            f"changes are left out (limit {limit}), the least linked to them"
        )
    ids = focus + nearest[:room]
    drawn = [
        _scenario_side(
            store,
            ids,
            focus,
            (elements, relations),
            side,
            f"{side.capitalize()}: {label}",
            gap.day,
            metamodel,
            limit,
            notes,
        )
        for store, side, label in ((before, "before", gap.before), (after, "after", gap.after))
    ]
    return drawn[0], drawn[1]


def _scenario_side(
    store: GraphStore,
    ids: Sequence[str],
    focus: Sequence[str],
    marks: tuple[Mapping[str, str], Mapping[str, str]],
    side: str,
    title: str,
    day: str,
    metamodel: Metamodel,
    limit: int,
    notes: Sequence[str],
) -> ViewGraph:
    """One state's diagram of :func:`scenario_graphs`: the elements of ``ids`` it holds and
    their relations with the ``focus`` (what changed and the ends of changed relations),
    ``marks`` (of elements, of relations: id -> change) shown as its side shows them."""
    element_marks, relation_marks = marks
    shown = SIDE_MARKS[side]
    graph = ViewGraph(title, f"as on {day}; marked: what is {' and what is '.join(shown)}")
    found = store.get_elements(ids, CURRENT)
    for element_id in ids:
        element = found.get(element_id)
        if element is None:
            continue
        mark = element_marks.get(element_id, "")
        node = _node(element, metamodel)
        if mark in shown:
            node.look, node.mark = recolour(node.look, CHANGE_LOOKS[mark]), mark
        graph.add_node(node)
    core = set(focus)
    links = {r.id: r for r in store.relations_of([i for i in focus if i in found], CURRENT)}
    edges = []
    for r in links.values():
        mark = relation_marks.get(r.id, "")
        # Changed, or touching what changed, or reaching out to what is around: the
        # unchanged links among the ends of changed relations would hide the changes.
        drawn = mark or r.src in element_marks or r.dst in element_marks
        if r.src in found and r.dst in found and (drawn or (r.src in core) != (r.dst in core)):
            edge = _relation_edge(r.src, r.dst, r.type, _edge_label(r, metamodel, ()))
            if mark in shown:
                look = CHANGE_LOOKS[mark]
                edge.color, edge.mark = look.border, mark
                edge.style = "dashed" if mark == "removed" else "bold"
            edges.append(edge)
    # Marked links first: they are kept over the limit, and a link merged with them keeps
    # their mark.
    edges.sort(key=lambda e: (not e.mark, e.src, e.dst, e.type))
    most = 3 * limit
    if len(edges) > most:
        graph.notes.append(f"{len(edges) - most:,} links are left out, unchanged ones first")
    for edge in edges[:most]:
        graph.add_edge(edge)
    _layer_groups(graph)
    graph.notes.extend(notes)
    graph.legend = [LegendItem(CHANGE_LABELS[m], CHANGE_LOOKS[m]) for m in shown] + _layer_legend(
        graph
    )
    return fit(graph, limit)
