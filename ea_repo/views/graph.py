"""The drawable form of a view: nodes, edges, clusters, legend and notes, renderer-neutral.

Builders (:mod:`ea_repo.views.build`) turn a spec or an analysis result into a
:class:`ViewGraph`; :func:`fit` keeps it within its size limit by collapsing
groups into counted nodes; renderers (:mod:`ea_repo.views.render`) draw it.
Everything is sorted, so the same repository gives the same graph.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .styles import Look

MAX_EDGE_LABEL_VALUES = 3
DOT_BUDGET = 450
"""Nodes + edges above which `dot` is replaced by `sfdp` (dot's crossing minimisation grows
much faster than linearly on tangled graphs; sfdp stays well under a second at the limit)."""


@dataclass
class Node:
    """An element (or, with ``count`` > 1, a collapsed bucket of elements) to draw."""

    key: str
    name: str
    type: str
    layer: str
    look: Look
    lines: list[str] = field(default_factory=list)
    group: str | None = None
    count: int = 1
    element_id: str | None = None
    anchor: bool = False  # an invisible point standing for a container drawn as a cluster
    pinned: bool = False  # what the view is about (an analysis's start): never counted in a bucket
    mark: str = ""  # a class added to its drawing, e.g. ``added`` in a scenario's diagram


@dataclass
class Edge:
    """A relationship (or several merged) between two nodes."""

    src: str
    dst: str
    type: str
    labels: list[str] = field(default_factory=list)
    count: int = 1
    style: str = "solid"
    color: str = "#555555"
    both: bool = False  # the same relationship exists the other way too: one two-headed arrow
    mark: str = ""  # a class added to its drawing, as a node's

    @property
    def label(self) -> str:
        """Distinct labels, a few at most, and the number of relations merged when more than one."""
        shown = self.labels[:MAX_EDGE_LABEL_VALUES]
        text = "; ".join(shown) + (" …" if len(self.labels) > len(shown) else "")
        if self.count > 1:
            text = f"{text} (×{self.count})" if text else f"×{self.count}"
        return text


@dataclass
class Group:
    """A cluster: a layer, an attribute value, a container element or an analysis role."""

    key: str
    label: str
    look: Look | None = None
    order: tuple[int, str] = (0, "")


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch drawn with ``look`` and what it means."""

    label: str
    look: Look


@dataclass
class ViewGraph:
    """Everything a renderer needs to draw one view."""

    title: str
    description: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)
    legend: list[LegendItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    engine: str = "dot"
    direction: str = "LR"
    elements_total: int = 0  # before collapsing
    _edge_index: dict[tuple[str, str, str], Edge] | None = field(
        default=None, repr=False, compare=False
    )

    def add_node(self, node: Node) -> Node:
        """Add ``node`` unless one has its key already; returns the one kept."""
        return self.nodes.setdefault(node.key, node)

    def add_edge(self, edge: Edge) -> None:
        """Add an edge; a second one of the same type between the same nodes is merged into it."""
        if edge.src not in self.nodes or edge.dst not in self.nodes:
            return
        if self._edge_index is None:
            self._edge_index = {(e.src, e.dst, e.type): e for e in self.edges}
        existing = self._edge_index.get((edge.src, edge.dst, edge.type))
        if existing is not None:
            existing.count += edge.count
            for label in edge.labels:
                if label and label not in existing.labels:
                    existing.labels.append(label)
            return
        self.edges.append(edge)
        self._edge_index[(edge.src, edge.dst, edge.type)] = edge

    def sort(self) -> None:
        """Put nodes, edges and groups in their canonical order (what makes DOT deterministic)."""
        self.nodes = dict(
            sorted(
                self.nodes.items(),
                key=lambda kv: (kv[1].group or "", kv[1].name.casefold(), kv[0]),
            )
        )
        for edge in self.edges:
            edge.labels.sort(key=str.casefold)
        self.edges.sort(key=lambda e: (e.src, e.dst, e.type))
        self.groups = dict(sorted(self.groups.items(), key=lambda kv: (kv[1].order, kv[0])))
        self._edge_index = None

    def members(self) -> dict[str | None, list[Node]]:
        """Nodes by group key (None: outside any cluster), groups in order."""
        result: dict[str | None, list[Node]] = {key: [] for key in self.groups}
        result[None] = []
        for node in self.nodes.values():
            result.setdefault(node.group if node.group in self.groups else None, []).append(node)
        return result


def bucket_slug(how: str) -> str:
    """The prefix of the keys of the nodes a way of collapsing makes (``by-group-and-type``)."""
    return how.split(",")[0].replace(" ", "-")


def bucket_key(slug: str, group: str | None, kind: str) -> str:
    """The key of the node counting the elements of ``kind`` in ``group``."""
    return f"{slug}:{group or ''}:{kind}"


def bucket_node(
    key: str,
    kind: str,
    group: str | None,
    count: int,
    type_: str,
    layer: str,
    look: Look,
    names: Iterable[str],
) -> Node:
    """The node counting ``count`` elements (“N × kind”), with the first three ``names``
    in alphabetical order as examples."""
    sample = ", ".join(heapq.nsmallest(3, names, key=str.casefold))
    return Node(
        key=key,
        name=f"{count:,} × {kind}",
        type=type_,
        layer=layer,
        look=look,
        lines=[f"e.g. {sample}" + (" …" if count > 3 else "")] if sample else [],
        group=group,
        count=count,
    )


def _collapse(
    graph: ViewGraph, bucket_of: dict[str, tuple[str | None, str]], how: str
) -> ViewGraph:
    """``graph`` with each bucket of nodes collapsed into one counted node, edges merged."""
    out, where = _collapse_nodes(graph, bucket_of, how)
    _map_edges(out, graph.edges, where)
    return out


def _collapse_nodes(
    graph: ViewGraph, bucket_of: dict[str, tuple[str | None, str]], how: str
) -> tuple[ViewGraph, dict[str, str]]:
    """The nodes of :func:`_collapse` (no edges yet) and where each node of ``graph`` went."""
    buckets: dict[tuple[str | None, str], list[Node]] = defaultdict(list)
    for node in graph.nodes.values():
        # An anchor stands for its cluster, a pinned node is the subject: they stay themselves,
        # an anchor as long as its cluster does (its members bucketed in it).
        if node.anchor and bucket_of[node.key][0] == node.group:
            buckets[(node.group, f"anchor:{node.key}")].append(node)
        elif node.anchor:
            # Its cluster is gone: the container is counted with its members' bucket.
            node.anchor = False
            buckets[bucket_of[node.key]].append(node)
        elif node.pinned:
            buckets[(node.group, f"pinned:{node.key}")].append(node)
        else:
            buckets[bucket_of[node.key]].append(node)
    out = ViewGraph(
        graph.title,
        graph.description,
        groups=dict(graph.groups),
        legend=list(graph.legend),
        notes=list(graph.notes),
        engine=graph.engine,
        direction=graph.direction,
        elements_total=graph.elements_total,
    )
    where: dict[str, str] = {}
    for (group, kind), members in sorted(
        buckets.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        if len(members) == 1:
            node = members[0]
            out.add_node(node)
            where[node.key] = node.key
            continue
        first = members[0]
        real = [m for m in members if not m.anchor]
        key = bucket_key(how, group, kind)
        out.add_node(
            bucket_node(
                key,
                kind,
                group,
                sum(m.count for m in real),
                first.type if len({m.type for m in members}) == 1 else kind,
                first.layer if len({m.layer for m in members}) == 1 else "unknown",
                first.look,
                (m.name for m in real),
            )
        )
        for m in members:
            where[m.key] = key
    # One pass over the nodes: a view may have as many groups as nodes (a host name each).
    used = {n.group for n in out.nodes.values()}
    out.groups = {k: g for k, g in out.groups.items() if k in used}
    return out, where


def _map_edges(graph: ViewGraph, edges: list[Edge], where: dict[str, str]) -> None:
    """Add ``edges`` to ``graph`` between the nodes ``where`` their ends went, merged."""
    graph.edges = []
    graph._edge_index = None
    for edge in edges:
        src, dst = where[edge.src], where[edge.dst]
        if src != dst:
            graph.add_edge(
                Edge(
                    src,
                    dst,
                    edge.type,
                    list(edge.labels),
                    edge.count,
                    edge.style,
                    edge.color,
                    mark=edge.mark,
                )
            )


def crowd(graph: ViewGraph, group: str, most: int) -> ViewGraph:
    """``graph`` with the members of ``group`` collapsed by type when they are more than ``most``."""
    members = [n for n in graph.nodes.values() if n.group == group and not n.anchor]
    if len(members) <= most:
        return graph
    buckets = {
        k: (n.group, n.type) if n.group == group else (n.group, f"own:{k}")
        for k, n in graph.nodes.items()
    }
    out = _collapse(graph, buckets, f"crowd-{group}")
    out.notes.append(
        f"{len(members)} elements in “{graph.groups[group].label}” are counted by type"
    )
    return out


def _merge_opposites(graph: ViewGraph) -> None:
    """A→B and B→A of one type become one two-headed edge (flows often go both ways)."""
    index = {(e.src, e.dst, e.type): e for e in graph.edges}
    kept: list[Edge] = []
    for edge in graph.edges:
        other = index.get((edge.dst, edge.src, edge.type))
        if other is not None and other is not edge and edge.src > edge.dst:
            continue  # merged into the other one
        if other is not None and other is not edge:
            edge.both = True
            edge.count += other.count
            edge.labels += [x for x in other.labels if x not in edge.labels]
        kept.append(edge)
    graph.edges = kept
    graph._edge_index = None


def _largest_groups(
    graph: ViewGraph, limit: int
) -> tuple[str, Callable[[Node], tuple[str | None, str]]] | None:
    """How to keep the largest groups of ``graph`` (one node each) within ``limit`` nodes, the
    others gathered in one node; None when that cannot help."""
    sizes: dict[str, int] = defaultdict(int)
    loose: set[str] = set()
    anchored: set[str | None] = set()
    for node in graph.nodes.values():
        if node.anchor:
            anchored.add(node.group)
        elif node.group is None:
            loose.add(node.layer)
        elif not node.pinned:
            sizes[node.group] += node.count
    alone = sum(1 for n in graph.nodes.values() if n.pinned)
    room = limit - len(loose) - alone - 1
    # A group kept takes a node, two with the anchor of its container.
    cost = {g: 2 if g in anchored else 1 for g in sizes}
    if room < 1 or sum(cost.values()) <= room:
        return None
    ranked = sorted(
        sizes, key=lambda g: (-sizes[g], graph.groups[g].order if g in graph.groups else (0, ""), g)
    )
    kept: set[str] = set()
    for g in ranked:
        if cost[g] > room:
            break
        kept.add(g)
        room -= cost[g]
    others = f"elements in {len(sizes) - len(kept):,} smaller groups"

    def bucket(n: Node) -> tuple[str | None, str]:
        if n.group is None:
            return (None, n.layer)
        return (n.group, "elements") if n.group in kept else (None, others)

    return f"by largest group, the {len(sizes) - len(kept):,} smallest together", bucket


EMPTY_NOTE = "nothing to draw: no element is in this view"
"""The note a view without elements carries, so that its drawing says it is empty."""

BY_GROUP_AND_TYPE = "by group and type"
"""The first way :func:`fit` collapses a graph (node keys ``by-group-and-type:GROUP:TYPE``)."""


def fit(
    graph: ViewGraph, limit: int, edge_limit: int | None = None, *, collapsed: bool = False
) -> ViewGraph:
    """``graph`` within ``limit`` nodes: buckets of elements collapsed into counted nodes.

    First by (group, type), then by group; with more groups than the limit, the
    largest groups stay and the others are gathered in one node; by layer when
    there are no groups. A note says what was collapsed. A graph still too
    tangled for `dot` is laid out with `sfdp`. The edges kept are the heaviest.

    ``collapsed``: ``graph`` is already what the first collapse makes of a
    graph over the limit (a builder that counts its elements without drawing
    each one); its ``elements_total`` is set.
    """
    graph.elements_total = graph.elements_total or sum(
        n.count for n in graph.nodes.values() if not n.anchor
    )
    if not graph.elements_total:
        graph.notes.append(EMPTY_NOTE)
    how = ""
    max_edges = edge_limit or 3 * limit
    if collapsed or len(graph.nodes) > limit or len(graph.edges) > max_edges:
        # Each attempt buckets the nodes of the graph the previous one left.
        attempts: list[tuple[str, Callable[[Node], tuple[str | None, str]]]] = [
            (BY_GROUP_AND_TYPE, lambda n: (n.group, n.type)),
            ("by group", lambda n: (n.group, n.layer if n.group is None else "elements")),
            ("by layer", lambda n: (None, n.layer)),
        ]
        if collapsed:
            how = BY_GROUP_AND_TYPE
            within = len(graph.nodes) <= limit and len(graph.edges) <= max_edges
            attempts = [] if within else attempts[1:]
        # The links of the graph given, and where each of its nodes is now: an attempt
        # with too many nodes fails whatever its links, so they are merged only once the
        # nodes fit (or when the attempts are over), from the links given.
        edges = graph.edges
        where = {k: k for k in graph.nodes}
        merged = True
        for label, bucket in attempts:
            if label == "by layer" and len(graph.nodes) > limit:
                # More groups than the limit: the largest stay, the others share one node
                # (links over the limit are trimmed below), rather than one node per layer.
                largest = _largest_groups(graph, limit)
                if largest is not None:
                    label, bucket = largest
            buckets = {k: bucket(n) for k, n in graph.nodes.items()}
            graph, moved = _collapse_nodes(graph, buckets, bucket_slug(label))
            where = {k: moved[v] for k, v in where.items()}
            how, merged = label, False
            if len(graph.nodes) <= limit:
                _map_edges(graph, edges, where)
                merged = True
                if len(graph.edges) <= max_edges or label.startswith("by largest"):
                    break
        if not merged:
            _map_edges(graph, edges, where)
        graph.notes.append(
            f"{graph.elements_total:,} elements and their links are more than this view's limit "
            f"({limit} elements, {max_edges} links): they are collapsed {how} into "
            f"{len(graph.nodes)} counted nodes (“N × type”); select fewer to see each one"
        )
    if len(graph.edges) > max_edges:
        dropped = len(graph.edges) - max_edges
        keep = sorted(graph.edges, key=lambda e: (-e.count, e.src, e.dst, e.type))[:max_edges]
        graph.edges = keep
        graph._edge_index = None
        graph.notes.append(f"{dropped:,} weaker links (fewest relations) are left out")
    _merge_opposites(graph)
    if graph.engine == "dot" and len(graph.nodes) + len(graph.edges) > DOT_BUDGET:
        graph.engine = "sfdp"
        graph.notes.append(
            "laid out with sfdp (force-directed): too many links for a layered layout"
        )
    graph.sort()
    return graph
