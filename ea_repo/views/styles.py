"""ArchiMate-like styling: colours and shapes per layer and type, status colours for overlays."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..metamodel import Metamodel


@dataclass(frozen=True)
class Look:
    """How a node is drawn: fill and border colours, graphviz shape, extra style words."""

    fill: str
    border: str
    shape: str = "box"
    style: str = "filled"


# The ArchiMate convention colours layers: yellow business, blue application,
# green technology; strategy in wheat, motivation in lilac, implementation in pink.
LAYER_LOOKS: dict[str, Look] = {
    "motivation": Look("#CCCCFF", "#6A5ACD", "box", "rounded,filled"),
    "strategy": Look("#F5DEAA", "#A0782C", "box", "rounded,filled"),
    "business": Look("#FFFFB5", "#A6A600", "box", "rounded,filled"),
    "application": Look("#B5FFFF", "#3A8FA8", "box", "filled"),
    "data": Look("#D6E9FF", "#4A78B0", "note", "filled"),
    "technology": Look("#C9E7B7", "#5B8C3E", "box3d", "filled"),
    "physical": Look("#A8D08D", "#3F6E2A", "box3d", "filled"),
    "implementation": Look("#FFE0E0", "#B06060", "box", "filled"),
    "operations": Look("#FFD9B3", "#C0602A", "octagon", "filled"),
}
UNKNOWN_LOOK = Look("#EEEEEE", "#888888")
LAYER_LABELS = {
    "motivation": "Motivation",
    "strategy": "Strategy (capabilities)",
    "business": "Business",
    "application": "Application",
    "data": "Data",
    "technology": "Technology",
    "physical": "Physical (sites)",
    "implementation": "Implementation",
    "operations": "Operations (incidents, alerts)",
}

# A few types get the shape ArchiMate's notation suggests.
TYPE_SHAPES = {
    "Application": "component",
    "ApplicationComponent": "component",
    "DataObject": "note",
    "Database": "cylinder",
    "SystemSoftware": "box",
    "SoftwareProduct": "tab",
    "Datacenter": "house",
    "Facility": "house",
    "Location": "house",
    "OrganizationUnit": "folder",
    "BusinessActor": "folder",
}

RISK_LOOKS: dict[str, Look] = {
    "obsolete": Look("#F4A6A6", "#B03030"),
    "warning": Look("#FFD8A0", "#C77A12"),
    "ok": Look("#CDEBC5", "#4E8A3E"),
    "unknown": Look("#F0F0F0", "#9A9A9A"),
}
RISK_LABELS = {
    "obsolete": "obsolete technology beneath",
    "warning": "support ends within the horizon",
    "ok": "supported",
    "unknown": "no lifecycle data",
}
HEALTH_LOOKS: dict[str, Look] = {
    "red": Look("#E86B6B", "#9E1F1F", "box", "filled,bold"),
    "amber": Look("#FFC966", "#B36B00"),
    "green": Look("#BFE3B4", "#4E8A3E"),
}
HEALTH_LABELS = {
    "red": "red: down, or an open critical/high incident",
    "amber": "amber: degraded, a lesser incident, or obsolete technology",
    "green": "green",
}
CRITICALITY_LOOKS: dict[str, Look] = {
    "critical": Look("#F4A6A6", "#B03030"),
    "high": Look("#FFD8A0", "#C77A12"),
    "medium": Look("#FFF3B0", "#A68B00"),
    "low": Look("#CDEBC5", "#4E8A3E"),
    "unknown": Look("#F0F0F0", "#9A9A9A"),
}
# Impact states and decommission roles: what happens to each element.
STATE_LOOKS: dict[str, Look] = {
    "start": Look("#FFFFFF", "#000000", "box", "filled,bold"),
    "down": Look("#F4A6A6", "#B03030"),
    "degraded": Look("#FFE3B8", "#C77A12", "box", "filled,dashed"),
    "freed": Look("#DDDDDD", "#777777", "box", "filled,dashed"),
    "stays": Look("#CDEBC5", "#4E8A3E"),
    "reroute": Look("#B5FFFF", "#3A8FA8", "box", "filled,dashed"),
    "data": Look("#D6E9FF", "#4A78B0", "note", "filled"),
    "unsupported": Look("#F4A6A6", "#B03030", "box", "rounded,filled,bold"),
    "partly": Look("#FFD8A0", "#C77A12", "box", "rounded,filled"),
    "touched": Look("#FFF3B0", "#A68B00", "box", "filled,dashed"),
}
STATE_LABELS = {
    "start": "the element studied",
    "down": "stops working",
    "degraded": "degraded (loses a feed or redundancy)",
    "freed": "freed: nothing else needs it",
    "stays": "shared: stays, others need it",
    "reroute": "interface partner: re-route or cut",
    "data": "data to migrate or purge",
    "unsupported": "left without support",
    "partly": "loses part of its support",
    "touched": "stays, linked to what moves: re-point, test, warn",
}

# What a scenario changes, in the diagrams of the two states: added in the after one,
# removed in the before one, changed in both; edges take the border colour and style.
CHANGE_LOOKS: dict[str, Look] = {
    "added": Look("#C8E6C9", "#2E7D32", "box", "filled,bold"),
    "removed": Look("#F8D0D0", "#B03030", "box", "filled,dashed"),
    "changed": Look("#FFE0B2", "#C77A12", "box", "filled,bold"),
}
CHANGE_LABELS = {
    "added": "added by the scenario (after only; green, bold)",
    "removed": "removed by the scenario (before only; red, dashed)",
    "changed": "changed (both; orange)",
}


def layer_of(metamodel: Metamodel, type_name: str) -> str:
    """The layer of an element type, ``unknown`` for a type the metamodel lacks."""
    et = metamodel.element_types.get(type_name)
    return et.layer if et else "unknown"


@cache
def element_look(layer: str, type_name: str) -> Look:
    """The layer's colours with the shape of the type when it has one."""
    look = LAYER_LOOKS.get(layer, UNKNOWN_LOOK)
    shape = TYPE_SHAPES.get(type_name)
    if shape is None:
        return look
    style = look.style.replace("rounded,", "") if shape != "box" else look.style
    return Look(look.fill, look.border, shape, style)


@cache
def recolour(look: Look, by: Look) -> Look:
    """``look``'s shape with ``by``'s colours and style words (dashes, bold)."""
    extra = [w for w in by.style.split(",") if w not in look.style.split(",")]
    return Look(by.fill, by.border, look.shape, ",".join([look.style, *extra]))
