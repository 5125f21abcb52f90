"""The eol importer: vendor lifecycle dates for the software the repository already holds.

Its input is not a file but facts about the repository — which product and
version each installed software, server OS or packaged application is —
extracted read-only by the caller (:func:`software_facts`), so the importer
never touches the store. Each fact is matched to a release of a lifecycle
catalog in the endoflife.date format (:mod:`ea_repo.lifecycle`); the batch
then holds:

* one ``SoftwareProduct`` element per matched release, keyed
  ``eol:<product>:<cycle>`` (``eol:rhel:7``), named as people name it (``Red
  Hat Enterprise Linux 7``), with ``vendor``, ``product``, ``version``,
  ``release_date``, ``end_of_support``, ``end_of_life``,
  ``extended_support_end``, ``lts``, ``latest``, ``eol_product`` and
  ``eol_cycle`` — those the metamodel declares;
* one ``instance_of`` relation from each matched element to its release;
* for a fact that *is* a ``SoftwareProduct`` (a CMDB software catalog entry),
  no second product: that element is enriched in place with the lifecycle
  attributes and ``eol_product``/``eol_cycle`` (its name, product, version and
  vendor stay the CMDB's), so the instances the CMDB already links to it get
  the dates through their own ``instance_of``;
* ``unmatched``: every fact that matched nothing, with the reason, for the
  CLI to list — never silently dropped; ``skipped``: facts that cannot be
  linked at all under the metamodel (a ``Node`` while ``instance_of`` does
  not allow it), counted by reason.

Dates are never invented: a phase the data marks as ended without a date
(``true``) leaves the attribute unset, says so in the product's
``description`` and in a warning; a missing ``support`` phase is not copied
from ``eol``.

>>> from ea_repo.lifecycle import load_builtin_catalog          # doctest: +SKIP
>>> facts = software_facts(store.iter_elements(), mm)          # doctest: +SKIP
>>> batch = EolImporter(load_builtin_catalog(), mm).read(facts)  # doctest: +SKIP
>>> SyncEngine(store, mm).run("eol", batch)                   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem, SourceError
from ..lifecycle.catalog import ENDED, Catalog, PhaseEnd, Product, Release
from ..lifecycle.matching import AliasTable, Match, Matcher, builtin_aliases
from ..metamodel import Metamodel
from ..model import Element, Origin, Record, Status
from .base import ImportBatch

PRODUCT_TYPE = "SoftwareProduct"
LINK_TYPE = "instance_of"
KEY_PREFIX = "eol:"

LIFECYCLE_ATTRS = (
    "release_date",
    "end_of_support",
    "end_of_life",
    "extended_support_end",
    "lts",
    "latest",
    "eol_product",
    "eol_cycle",
)
"""What a match sets on a SoftwareProduct of the CMDB; a product of our own also gets
``vendor``, ``product``, ``version`` (and ``description`` when a date is missing)."""

_PHASES = (
    ("end_of_support", "support", "end of support"),
    ("end_of_life", "eol", "end of life"),
    ("extended_support_end", "extended_support", "end of extended support"),
)


@dataclass(frozen=True)
class SoftwareFact:
    """What the repository says one element runs: product and version as the CMDB wrote them.

    ``origin_text`` names the element for messages (``SystemSoftware sn-42
    (ORCL01)``); ``current`` holds the lifecycle attributes the element already
    carries (SoftwareProduct facts only), to warn when an import would change
    a value another source gave.
    """

    element_id: str
    element_type: str
    product_text: str
    version_text: str | None
    origin_text: str
    current: Mapping[str, Any] = field(default_factory=dict)


def software_facts(elements: Iterable[Element], metamodel: Metamodel) -> list[SoftwareFact]:
    """The software facts of ``elements`` (active ones, not the ``eol:`` releases), in order.

    * ``SystemSoftware``: ``product`` (+ ``edition``) and ``version``; the
      element name when ``product`` is empty, so an instance the CMDB left
      without a product is listed as unmatched rather than forgotten;
    * ``Node`` and subtypes: ``os`` and ``os_version`` (nodes without ``os`` are skipped);
    * ``SoftwareProduct``: ``product`` (else the name) and ``version``;
    * ``Application`` and ``ApplicationComponent``: ``product`` (else the name)
      and ``version``, only when a ``product`` or ``vendor`` says it is packaged
      software (in-house applications have no vendor lifecycle) and the
      version has a number (``SaaS`` has no release to support).
    """
    facts: list[SoftwareFact] = []
    for e in elements:
        if e.status is not Status.ACTIVE or e.id.startswith(KEY_PREFIX):
            continue
        a = e.attrs
        origin = f"{e.type} {e.id}" + (f" ({e.name})" if e.name and e.name != e.id else "")
        if metamodel.is_a(e.type, PRODUCT_TYPE):
            product = _text(a.get("product")) or e.name
            current = {k: a[k] for k in LIFECYCLE_ATTRS if a.get(k) not in (None, "")}
            facts.append(
                SoftwareFact(e.id, e.type, product, _text(a.get("version")), origin, current)
            )
        elif metamodel.is_a(e.type, "SystemSoftware"):
            product = _text(a.get("product")) or e.name
            edition = _text(a.get("edition"))
            if edition and edition.casefold() not in product.casefold():
                product = f"{product} {edition}"
            facts.append(SoftwareFact(e.id, e.type, product, _text(a.get("version")), origin))
        elif metamodel.is_a(e.type, "Node"):
            os_name = _text(a.get("os"))
            if os_name:
                facts.append(
                    SoftwareFact(e.id, e.type, os_name, _text(a.get("os_version")), origin)
                )
        elif metamodel.is_a(e.type, "Application") or metamodel.is_a(
            e.type, "ApplicationComponent"
        ):
            version, named = _text(a.get("version")), _text(a.get("product"))
            numbered = version is not None and any(c.isdigit() for c in version)  # not "SaaS"
            if numbered and (named or _text(a.get("vendor"))):
                facts.append(SoftwareFact(e.id, e.type, named or e.name, version, origin))
    return facts


@dataclass
class EolBatch(ImportBatch):
    """An :class:`ImportBatch` that also says what matched, what did not and why.

    ``matched`` pairs each fact with its :class:`~ea_repo.lifecycle.matching.Match`;
    ``unmatched`` each fact with the reason. As in every batch, ``skipped``
    counts facts left out on purpose by reason and ``warnings`` are for
    people; neither stops a sync.
    """

    matched: list[tuple[SoftwareFact, Match]] = field(default_factory=list)
    unmatched: list[tuple[SoftwareFact, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for people and scripts."""
        products = {m.key for _, m in self.matched}
        return {
            "facts": len(self.matched) + len(self.unmatched) + sum(self.skipped.values()),
            "matched": len(self.matched),
            "unmatched": len(self.unmatched),
            "skipped": dict(sorted(self.skipped.items())),
            "releases": len(products),
        }


class EolImporter:
    """Match software facts to a lifecycle catalog and turn the matches into records.

    ``metamodel`` says which attributes a ``SoftwareProduct`` declares (only
    those are set) and which element types ``instance_of`` may start from.
    ``aliases`` defaults to the built-in table (see :mod:`ea_repo.lifecycle.matching`).
    """

    def __init__(
        self, catalog: Catalog, metamodel: Metamodel, aliases: AliasTable | None = None
    ) -> None:
        self.catalog = catalog
        self.metamodel = metamodel
        self.aliases = aliases or builtin_aliases()
        self.matcher = Matcher(catalog, self.aliases)

    def read(self, facts: Iterable[SoftwareFact]) -> EolBatch:
        """The batch for ``facts``: products, links, enrichments, and what did not match.

        Raises :class:`~ea_repo.errors.SourceError` when the metamodel has no
        ``SoftwareProduct`` type or no ``instance_of`` relationship type.
        """
        product_type = self.metamodel.element_type(PRODUCT_TYPE)
        link = self.metamodel.relation_type(LINK_TYPE)
        if product_type is None or link is None:
            raise SourceError(
                f"the metamodel has no {PRODUCT_TYPE} element type or no {LINK_TYPE} relationship",
                hint="the eol importer needs both; see the built-in metamodel",
            )
        declared = set(product_type.attributes)
        batch = EolBatch(source_files=[self.catalog.source])
        products: dict[tuple[str, str], tuple[Product, Release]] = {}
        links: list[Record] = []
        enriched: list[Record] = []
        seen: set[str] = set()
        for fact in facts:
            if fact.element_id.startswith(KEY_PREFIX):
                continue  # a release this importer made: its own output, not a fact
            if fact.element_id in seen:
                batch.skipped["element given twice"] += 1
                continue
            seen.add(fact.element_id)
            is_product = self.metamodel.is_a(fact.element_type, PRODUCT_TYPE)
            if not is_product and fact.element_type not in link.sources:
                batch.skipped[f"{fact.element_type}: {LINK_TYPE} cannot start from it"] += 1
                continue
            result = self.matcher.match(fact.product_text, fact.version_text)
            if not isinstance(result, Match):
                batch.unmatched.append((fact, result.reason))
                continue
            batch.matched.append((fact, result))
            origin = Origin(fact.origin_text)
            if is_product:
                enriched.append(self._enrich(fact, result, declared, batch, origin))
                continue
            products[result.key] = (result.product, result.release)
            links.append(
                Record.relation(LINK_TYPE, fact.element_id, _key(*result.key), origin=origin)
            )
        for key in sorted(products):
            product, release = products[key]
            record, undated = self._release(product, release, declared)
            batch.records.append(record)
            if undated:
                batch.warnings.append(
                    _undated(product.release_title(release), undated, self.catalog.source)
                )
        batch.records.extend(enriched)
        batch.records.extend(links)
        self._warn(batch, link.sources)
        return batch

    # ------------------------------------------------------------------ records

    def release_record(self, product: Product, release: Release) -> Record:
        """The ``SoftwareProduct`` element record of one release (``eol:<product>:<cycle>``).

        Only the attributes the metamodel's ``SoftwareProduct`` declares are set.
        """
        et = self.metamodel.element_type(PRODUCT_TYPE)
        return self._release(product, release, set(et.attributes) if et else set())[0]

    def _release(
        self, product: Product, release: Release, declared: set[str]
    ) -> tuple[Record, list[str]]:
        """The record of a release and the phases it ended without a date."""
        attrs, undated = lifecycle_attributes(product, release)
        attrs |= {
            "vendor": self.aliases.vendors.get(product.id),
            "product": product.title,
            "version": product.version_name(release),
        }
        if undated:
            attrs["description"] = (
                f"endoflife.date gives no date for: {', '.join(undated)} (already ended)."
            )
        record = Record.element(
            PRODUCT_TYPE,
            _key(product.id, release.cycle),
            product.release_title(release),
            {k: v for k, v in attrs.items() if k in declared and v is not None},
            Origin(self.catalog.source),
        )
        return record, undated

    def _enrich(
        self, fact: SoftwareFact, m: Match, declared: set[str], batch: EolBatch, origin: Origin
    ) -> Record:
        """The lifecycle attributes for a SoftwareProduct the repository already holds."""
        # A subtype of SoftwareProduct inherits every attribute it declares.
        attrs, undated = lifecycle_attributes(m.product, m.release)
        attrs = {k: v for k, v in attrs.items() if k in declared and v is not None}
        changed = sorted(
            k for k, v in attrs.items() if k in fact.current and str(fact.current[k]) != str(v)
        )
        if changed:
            batch.warnings.append(
                Problem(
                    f"replaces {', '.join(changed)} with the dates of "
                    f"{m.product.release_title(m.release)}; if another source sets them too, "
                    "they will alternate — keep one source for them",
                    fact.origin_text,
                )
            )
        if undated:
            batch.warnings.append(
                _undated(m.product.release_title(m.release), undated, fact.origin_text)
            )
        return Record.element(fact.element_type, fact.element_id, None, attrs, origin)

    def _warn(self, batch: EolBatch, allowed: frozenset[str]) -> None:
        for reason, n in sorted(batch.skipped.items()):
            hint = None
            if LINK_TYPE in reason:
                hint = (
                    f"add the type to {LINK_TYPE}'s `from` in the metamodel "
                    f"(allowed now: {', '.join(sorted(allowed))})"
                )
            batch.warnings.append(
                Problem(f"skipped {n} fact{'s' if n != 1 else ''}: {reason}", hint=hint)
            )
        if batch.unmatched:
            n = len(batch.unmatched)
            batch.warnings.append(
                Problem(
                    f"{n} element{'s' if n != 1 else ''} matched no lifecycle release:",
                    hint="add names to a workspace alias file, or correct product/version in the CMDB",
                )
            )
            # One line per distinct reason, so that nothing is silently dropped.
            by_reason: dict[str, list[SoftwareFact]] = {}
            for fact, reason in batch.unmatched:
                by_reason.setdefault(reason, []).append(fact)
            for reason, facts in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                examples = ", ".join(sorted({f.element_id for f in facts})[:3])
                more = f" and {len(facts) - 3} more" if len(facts) > 3 else ""
                batch.warnings.append(
                    Problem(f"  unmatched ({len(facts)}): {reason} — e.g. {examples}{more}")
                )


def lifecycle_attributes(product: Product, release: Release) -> tuple[dict[str, Any], list[str]]:
    """The SoftwareProduct lifecycle attributes of ``release``, and the phases ended without date.

    Dates become ``YYYY-MM-DD``; :data:`~ea_repo.lifecycle.catalog.ENDED`
    leaves the attribute unset and names the phase in the second value;
    ``lts`` is True for an LTS release (or one that becomes LTS on a date).
    """
    attrs: dict[str, Any] = {
        "release_date": release.release_date.isoformat() if release.release_date else None,
        "lts": None if release.lts is None else bool(release.lts),
        "latest": release.latest,
        "eol_product": product.id,
        "eol_cycle": release.cycle,
    }
    undated: list[str] = []
    for attr, phase, words in _PHASES:
        value: PhaseEnd = getattr(release, phase)
        if isinstance(value, dt.date):
            attrs[attr] = value.isoformat()
        elif value is ENDED:
            undated.append(words)
    return attrs, undated


def _undated(title: str, undated: list[str], where: str) -> Problem:
    return Problem(
        f"{title}: {', '.join(undated)} already passed but endoflife.date gives no date; "
        "left unset",
        where,
    )


def _key(product_id: str, cycle: str) -> str:
    return f"{KEY_PREFIX}{product_id}:{cycle}"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


__all__ = [
    "LIFECYCLE_ATTRS",
    "EolBatch",
    "EolImporter",
    "SoftwareFact",
    "lifecycle_attributes",
    "software_facts",
]
