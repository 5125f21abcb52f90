"""What stands on a place: an element and everything hosted in it.

The metamodel marks the relationship types that place an element on another
(``hosting: true``: runs on, hosted on, member of, located in, stores); their
dependent end stands on the other. An element is *hosted in* X when it stands
on X through them and on nothing else: an application whose servers are all in
a datacenter is in it; one with a server in each of two datacenters is in
neither, and neither is a cluster stretched over both. Other dependencies - an
application using a database, receiving a data flow, being an instance of a
catalog release - never place anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..metamodel import Metamodel
from ..model import CURRENT, ElementId, Lens
from ..store import GraphStore


def hosted_in(
    store: GraphStore, metamodel: Metamodel, starts: Iterable[str], *, lens: Lens = CURRENT
) -> set[ElementId]:
    """``starts`` and every element that stands wholly on them through the hosting relationships.

    An element joins when it has at least one host and all its hosts (as the
    lens shows them) have joined, so it is reached level by level from the
    starts; a guest whose other host is elsewhere, or nowhere known, stays out.
    With no hosting relationship type in the metamodel, the answer is ``starts``.

    >>> # hosted_in(store, mm, ["dc-lyon"])  # the DC, its servers, their VMs, the apps on them
    """
    inside = {ElementId(s) for s in starts}
    types = metamodel.hosting_types
    if not types:
        return inside
    to_guests = metamodel.impact_steps(types)
    to_hosts = metamodel.dependency_steps(types)
    hosts: dict[str, set[str]] = {}  # guests met so far, not yet inside, and all their hosts
    frontier: list[str] = sorted(inside)
    while frontier:
        met = {h.target for h in store.neighbors(frontier, to_guests, lens, exclude=inside)}
        new = sorted(met - hosts.keys())
        hosts.update((g, set()) for g in new)
        for hop in store.neighbors(new, to_hosts, lens) if new else ():
            hosts[hop.origin].add(hop.target)
        joined = sorted(g for g, of in hosts.items() if of <= inside)
        for g in joined:
            del hosts[g]
        inside.update(ElementId(g) for g in joined)
        frontier = joined
    return inside
