"""Renderers of a :class:`ViewGraph`: one base with header / group / element / relationship hooks.

:class:`DotRenderer` writes Graphviz DOT — deterministic: ids are hashes of
element ids, everything is sorted, so the same repository gives byte-identical
DOT that diffs well in git. :func:`render` turns it into SVG, PNG or PDF
through the ``graphviz`` package. :class:`HtmlRenderer` draws the same view
as an HTML section: the SVG inline, then its elements and relationships as
tables.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from itertools import pairwise

from markupsafe import Markup

from ..errors import EaError
from .graph import Edge, Group, LegendItem, Node, ViewGraph

FONT = "Helvetica,Arial,sans-serif"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class DiagramFormat(StrEnum):
    """What a view can be written as."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"
    HTML = "html"


BINARY = (DiagramFormat.PNG, DiagramFormat.PDF)


class RenderError(EaError):
    """Graphviz could not draw a view (missing `dot`, or it failed)."""


def _hash(text: str, size: int = 12) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:size]


def html_label_text(text: object) -> str:
    """Text for a Graphviz HTML-like label: XML-escaped, control characters dropped."""
    clean = _CONTROL.sub(" ", str(text)).replace("\n", " ").replace("\t", " ")
    return (
        clean.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def quoted(text: object) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, no line breaks)."""
    clean = _CONTROL.sub(" ", str(text)).replace("\n", " ")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrap(text: str, width: int = 26) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _classes(kind: str, mark: str) -> str:
    """The SVG class of a node or an edge: its kind, then its mark if it has one."""
    return f"{kind} {mark}" if mark else kind


class Renderer(ABC):
    """Walks a view graph and calls one hook per part, in a fixed order.

    ``header`` → for each cluster ``group_start``, its ``element``s,
    ``group_end`` → elements outside clusters → ``relationship`` for each
    edge → ``legend`` → ``footer``. Subclasses append text to ``self.out``.
    """

    def __init__(self) -> None:
        self.out: list[str] = []

    def render(self, graph: ViewGraph) -> str:
        """The whole view as text."""
        self.out = []
        self.header(graph)
        members = graph.members()
        for key, group in graph.groups.items():
            if members.get(key):
                self.group_start(group)
                for node in members[key]:
                    self.element(node)
                self.group_end(group)
        for node in members.get(None, []):
            self.element(node)
        for edge in graph.edges:
            self.relationship(edge, graph)
        self.legend(graph.legend)
        self.footer(graph)
        return "".join(self.out)

    @abstractmethod
    def header(self, graph: ViewGraph) -> None:
        """The start: title, description, drawing defaults."""

    def group_start(self, group: Group) -> None:  # noqa: B027 - optional hook
        """A cluster opens."""

    def group_end(self, group: Group) -> None:  # noqa: B027 - optional hook
        """A cluster closes."""

    @abstractmethod
    def element(self, node: Node) -> None:
        """One node."""

    @abstractmethod
    def relationship(self, edge: Edge, graph: ViewGraph) -> None:
        """One edge."""

    def legend(self, items: list[LegendItem]) -> None:  # noqa: B027 - optional hook
        """The legend."""

    def footer(self, graph: ViewGraph) -> None:  # noqa: B027 - optional hook
        """The end."""


class DotRenderer(Renderer):
    """Graphviz DOT text of a view; ``link`` (an element id -> a URL) makes each element's
    node a link (the web explorer's views)."""

    def __init__(self, link: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.link = link

    def node_id(self, key: str) -> str:
        """A stable DOT id for a node key: ``n`` + a hash (element ids may hold anything)."""
        if key not in self.ids:
            size = 12
            candidate = "n" + _hash(key, size)
            while candidate in self.ids.values():
                size += 4
                candidate = "n" + _hash(key, size)
            self.ids[key] = candidate
        return self.ids[key]

    def header(self, graph: ViewGraph) -> None:
        self.ids = {}
        for key in graph.nodes:  # ids fixed in node order, whatever order edges come in
            self.node_id(key)
        layered = graph.engine == "dot"
        head = [
            f"// {html_label_text(graph.title)} — drawn by ea-repo",
            'digraph "view" {',
            "  graph ["
            + ", ".join(
                [
                    'charset="UTF-8"',
                    f"layout={graph.engine}",
                    f"rankdir={graph.direction}",
                    f'fontname="{FONT}"',
                    "fontsize=11",
                    f"label=<{self.title_label(graph)}>",
                    "labelloc=t",
                    "labeljust=l",
                    "compound=true",
                    "newrank=true",
                    "pad=0.3",
                    'bgcolor="white"',
                    'nodesep="0.25"',
                    'ranksep="0.5"',
                    *(["splines=true"] if layered else ["overlap=prism", "splines=false"]),
                ]
            )
            + "];",
            f'  node [fontname="{FONT}", fontsize=10, margin="0.12,0.05", penwidth=1.2];',
            f'  edge [fontname="{FONT}", fontsize=8, arrowsize=0.7, fontcolor="#333333"];',
        ]
        self.out.append("\n".join(head) + "\n")

    def title_label(self, graph: ViewGraph) -> str:
        rows = [
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="16"><B>{html_label_text(graph.title)}</B></FONT></TD></TR>'
        ]
        if graph.description:
            rows.append(
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="#444444">{html_label_text(graph.description)}</FONT></TD></TR>'
            )
        for note in graph.notes:
            rows.append(
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#8A4B00"><I>{html_label_text(note)}</I></FONT></TD></TR>'
            )
        if graph.legend:
            rows.append(f'<TR><TD ALIGN="LEFT">{self.legend_table(graph.legend)}</TD></TR>')
        return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">{"".join(rows)}</TABLE>'

    @staticmethod
    def legend_table(items: list[LegendItem], per_row: int = 5) -> str:
        cells = [
            f'<TD BGCOLOR="{i.look.fill}" BORDER="1" COLOR="{i.look.border}" WIDTH="14" HEIGHT="10"> </TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{html_label_text(i.label)}</FONT></TD>'
            for i in items
        ]
        rows = [
            "<TR>" + "".join(cells[i : i + per_row]) + "</TR>"
            for i in range(0, len(cells), per_row)
        ]
        return (
            '<TABLE ID="legend" BORDER="0" CELLSPACING="3" CELLPADDING="2">'
            '<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT POINT-SIZE="9"><B>Legend</B></FONT></TD></TR>'
            + "".join(rows)
            + "</TABLE>"
        )

    def group_start(self, group: Group) -> None:
        look = group.look
        fill = look.fill if look else "#F7F7F7"
        border = look.border if look else "#999999"
        self.out.append(
            f"  subgraph cluster_{_hash(group.key, 10)} {{\n"
            f'    id="cluster_{_hash(group.key, 10)}"; class="group";\n'
            f"    label=<<B>{html_label_text(group.label)}</B>>; fontsize=11; labeljust=l;\n"
            f'    style="rounded,filled"; fillcolor="{fill}"; color="{border}"; penwidth=1;\n'
        )

    def group_end(self, group: Group) -> None:
        self.out.append("  }\n")

    def element(self, node: Node) -> None:
        nid = self.node_id(node.key)
        indent = "    " if node.group else "  "
        if node.anchor:
            self.out.append(f'{indent}{nid} [shape=point, width=0.05, style=invis, label=""];\n')
            return
        name = "<BR/>".join(html_label_text(line) for line in _wrap(node.name))
        parts = [f"<B>{name}</B>"]
        kind = node.type if node.count == 1 else "collapsed group"
        parts.append(f'<FONT POINT-SIZE="8" COLOR="#555555">«{html_label_text(kind)}»</FONT>')
        for line in node.lines:
            text = "<BR/>".join(html_label_text(x) for x in _wrap(line, 34))
            parts.append(f'<FONT POINT-SIZE="8">{text}</FONT>')
        attrs = [
            f"label=<{'<BR/>'.join(parts)}>",
            f"shape={node.look.shape}",
            f'style="{node.look.style}"',
            f'fillcolor="{node.look.fill}"',
            f'color="{node.look.border}"',
            f"tooltip={quoted((node.element_id and f'{node.type} {node.element_id}') or node.name)}",
            f'class="{_classes("collapsed" if node.count > 1 else "element", node.mark)}"',
        ]
        if node.count > 1:
            attrs.append("peripheries=2")
        if self.link is not None and node.element_id and node.count == 1:
            attrs.append(f"href={quoted(self.link(node.element_id))}")
            attrs.append('target="_top"')
        self.out.append(f"{indent}{nid} [{', '.join(attrs)}];\n")

    def relationship(self, edge: Edge, graph: ViewGraph) -> None:
        src, dst = graph.nodes[edge.src], graph.nodes[edge.dst]
        attrs = [
            f'color="{edge.color}"',
            f"style={edge.style}",
            f'class="{_classes(edge.type.split(":")[0], edge.mark)}"',
        ]
        if edge.label:
            attrs.append(
                f"label=<{'<BR/>'.join(html_label_text(x) for x in _wrap(edge.label, 30))}>"
            )
        if edge.both:
            attrs.append("dir=both")
        if edge.count > 1:
            attrs.append(f"penwidth={min(4.0, 1 + edge.count**0.5 / 2):.1f}")
        if graph.engine == "dot":
            if src.anchor and src.group:
                attrs.append(f"ltail=cluster_{_hash(src.group, 10)}")
            if dst.anchor and dst.group:
                attrs.append(f"lhead=cluster_{_hash(dst.group, 10)}")
        self.out.append(
            f"  {self.node_id(edge.src)} -> {self.node_id(edge.dst)} [{', '.join(attrs)}];\n"
        )

    def footer(self, graph: ViewGraph) -> None:
        if not graph.edges and graph.engine == "dot":
            self.grid(graph)
        self.out.append("}\n")

    def grid(self, graph: ViewGraph) -> None:
        """Invisible edges laying a view without relationships out as a grid of clusters.

        Without edges `dot` puts every node on one rank: one very long row.
        """
        blocks = [nodes for nodes in graph.members().values() if nodes]
        if not blocks:
            return
        for nodes in blocks:
            cols = math.ceil(math.sqrt(len(nodes)))
            for i in range(len(nodes) - cols):
                self.invisible(nodes[i].key, nodes[i + cols].key)
        # Each row of clusters starts below the bottom of every cluster of the row above
        # (linking only the cluster straight above lets dot slide rows side by side).
        per_row = math.ceil(math.sqrt(len(blocks)))
        rows = [blocks[i : i + per_row] for i in range(0, len(blocks), per_row)]
        for upper, lower in pairwise(rows):
            for above in upper:
                for below in lower:
                    for top in below[: math.ceil(math.sqrt(len(below)))]:  # its first row
                        self.invisible(above[-1].key, top.key)

    def invisible(self, src: str, dst: str) -> None:
        self.out.append(f"  {self.node_id(src)} -> {self.node_id(dst)} [style=invis];\n")


def to_dot(graph: ViewGraph, link: Callable[[str], str] | None = None) -> str:
    """The DOT text of a view (``link``: see :class:`DotRenderer`)."""
    return DotRenderer(link).render(graph)


def run_graphviz(dot: str, engine: str, fmt: str) -> bytes:
    """Lay out and draw DOT text with Graphviz; RenderError if it is missing or fails."""
    import graphviz

    try:
        return graphviz.pipe(engine, fmt, dot.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise RenderError(
            f"Graphviz's `{engine}` program is not installed",
            hint="install the graphviz system package (`make setup` does), or use -f dot",
        ) from exc
    except graphviz.CalledProcessError as exc:
        raise RenderError(f"Graphviz failed to draw the view: {exc.stderr!r}") from exc


def svg_fragment(svg: bytes) -> Markup:
    """Graphviz SVG without its XML prolog and doctype, to inline in HTML."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return Markup(text[start:] if start >= 0 else text)


class HtmlRenderer(Renderer):
    """The view as an HTML section: heading, inline SVG, notes, element and relation tables."""

    def __init__(self, svg: Markup) -> None:
        super().__init__()
        self.svg = svg
        self.relations: list[str] = []

    def header(self, graph: ViewGraph) -> None:
        self.relations = []
        self.out.append(
            Markup('<section class="view"><h2>{}</h2>').format(graph.title)
            + (
                Markup('<p class="lead">{}</p>').format(graph.description)
                if graph.description
                else ""
            )
            + Markup('<div class="diagram">{}</div>').format(self.svg)
            + Markup("").join(Markup('<p class="note">{}</p>').format(n) for n in graph.notes)
            + Markup(
                '<details><summary>Elements shown</summary><table class="elements">'
                "<thead><tr><th>group</th><th>name</th><th>type</th><th>layer</th><th>details</th></tr></thead><tbody>"
            )
        )
        self.group_label = ""

    def group_start(self, group: Group) -> None:
        self.group_label = group.label

    def group_end(self, group: Group) -> None:
        self.group_label = ""

    def element(self, node: Node) -> None:
        if node.anchor:
            return
        self.out.append(
            Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
                self.group_label,
                node.name,
                node.type if node.count == 1 else f"{node.count:,} elements",
                node.layer,
                "; ".join(node.lines),
            )
        )

    def relationship(self, edge: Edge, graph: ViewGraph) -> None:
        self.relations.append(
            Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
                graph.nodes[edge.src].name,
                edge.type.split(":")[0].replace("_", " "),
                graph.nodes[edge.dst].name,
                edge.label,
            )
        )

    def footer(self, graph: ViewGraph) -> None:
        self.out.append(
            Markup(
                "</tbody></table></details><details><summary>Relationships shown</summary>"
                '<table class="relations"><thead><tr><th>from</th><th>relation</th><th>to</th>'
                "<th>label</th></tr></thead><tbody>"
            )
            + Markup("").join(self.relations)
            + Markup("</tbody></table></details></section>")
        )


def html_section(graph: ViewGraph) -> Markup:
    """The view as an HTML section with its SVG inline (for pages and reports)."""
    svg = svg_fragment(run_graphviz(to_dot(graph), graph.engine, "svg"))
    return Markup(HtmlRenderer(svg).render(graph))


def render(
    graph: ViewGraph,
    fmt: DiagramFormat | str,
    name: str = "",
    link: Callable[[str], str] | None = None,
) -> bytes:
    """The view in ``fmt``: DOT text, SVG, PNG, PDF, or a self-contained HTML page.

    ``name`` (the view's name) heads the HTML page; the graph's title when empty.
    ``link`` makes the elements links in DOT, SVG and PDF (:class:`DotRenderer`).
    """
    fmt = DiagramFormat(fmt)
    if fmt is DiagramFormat.HTML:
        from .report import view_page

        return view_page(graph, name).encode("utf-8")
    dot = to_dot(graph, link)
    if fmt is DiagramFormat.DOT:
        return dot.encode("utf-8")
    return run_graphviz(dot, graph.engine, fmt.value)
