"""Lifecycle data in the endoflife.date formats: products, release cycles, support dates.

Three inputs give the same :class:`Catalog`:

* **our shipped snapshot** (:func:`load_builtin_catalog`): the products a CMDB
  typically holds, produced by ``tools/make_eol_snapshot.py`` from a dated
  endoflife.date extract (MIT licence; provenance in ``data/LICENSE-endoflife.txt``);
* **a snapshot-format file**: ``{"meta": {...}, "products": {"rhel": {"title",
  "category", "aliases", "releases": [...]}}}``;
* **an endoflife.date API file** for one product: the v0 list of cycles
  (``https://endoflife.date/api/rhel.json``, the product id taken from the file
  name or given), or the v1 product document
  (``https://endoflife.date/api/v1/products/rhel``, ``{"result": {...}}``).

How a date field is read — the part the formats make easy to get wrong:

* a ``YYYY-MM-DD`` string is that date (:class:`datetime.date`);
* ``true`` means the phase **has ended** but no date was published: it
  becomes the marker :data:`ENDED`, never a made-up date;
* ``false`` means **not ended / no date announced yet**, and a missing field
  means the product does not track that phase: both become ``None``.

The v0 API keeps the *old* meaning of two booleans for compatibility: there,
``support: true`` means "still actively supported" and ``extendedSupport:
true`` "extended support available, no end date" — the opposite of the
snapshot and of ``eol``. :func:`parse_api` turns them round, so a
:class:`Release` means the same whatever the file it came from. (A v0
``extendedSupport: false`` can mean "ended" or "never offered"; it becomes
``None``: no end is claimed that the data does not state.)

Malformed input raises :class:`~ea_repo.errors.SourceError` naming the file
and the position: ``line:column`` for JSON syntax, the JSON path
(``products.rhel.releases[3].eol``) for content, every problem listed.

>>> catalog = load_builtin_catalog()
>>> catalog["rhel"].release("7").eol
datetime.date(2024, 6, 30)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeAlias

from ..errors import SourceError
from ..importers.tabular import parse_json
from ..yamlio import Collector


class Ended(Enum):
    """The type of :data:`ENDED`: a phase that is over although no date was published."""

    ENDED = "ended"

    def __repr__(self) -> str:
        return "ENDED"

    def __str__(self) -> str:
        return "ended (no date published)"


ENDED: Final = Ended.ENDED
"""A phase end given as ``true``: the phase is over, its date is unknown."""

PhaseEnd: TypeAlias = dt.date | Ended | None
"""When a phase (active support, security support, extended support) ends:
a date, :data:`ENDED` (over, date unknown), or None (not announced / not tracked)."""

BUILTIN_DATA = "data/endoflife.json"
"""The shipped snapshot, relative to this package."""

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_PRODUCT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_HTML_TAG = re.compile(r"<[^>]*>")
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Release:
    """One release cycle of a product (``rhel`` ``7``, ``mssqlserver`` ``11.0-sp4``).

    ``support`` is the end of active (standard) support, ``eol`` the end of
    security fixes for the standard offer, ``extended_support`` the end of paid
    extended support; each is a :data:`PhaseEnd`. ``lts`` is True/False, the
    date the release becomes LTS, or None when the data does not say.
    """

    cycle: str
    label: str | None = None
    release_date: dt.date | None = None
    support: PhaseEnd = None
    eol: PhaseEnd = None
    extended_support: PhaseEnd = None
    lts: bool | dt.date | None = None
    latest: str | None = None

    @property
    def name(self) -> str:
        """The label people use (``2012 SP4``, ``12c Release 1``), else the cycle."""
        return self.label or self.cycle


@dataclass(frozen=True)
class Product:
    """A product at endoflife.date: its id (``rhel``), title, aliases and releases.

    Releases keep the order of the data (newest first at endoflife.date).
    """

    id: str
    title: str
    category: str | None = None
    aliases: tuple[str, ...] = ()
    releases: tuple[Release, ...] = ()

    def release(self, cycle: str) -> Release | None:
        """The release whose cycle is ``cycle``, or None."""
        return next((r for r in self.releases if r.cycle == cycle), None)

    def version_name(self, release: Release) -> str:
        """The release's name without the product's words it repeats.

        ``Windows Server 2012 R2`` of Microsoft Windows Server → ``2012 R2``;
        ``IBM MQ 9.4 LTS`` → ``9.4 LTS``; ``12c Release 1`` stays.
        """
        words = release.name.split()
        title = [w.casefold() for w in self.title.split()]
        for n in range(min(len(words) - 1, len(title)), 0, -1):
            if [w.casefold() for w in words[:n]] == title[-n:]:
                return " ".join(words[n:])
        return release.name

    def release_title(self, release: Release) -> str:
        """How people name the release: ``Microsoft Windows Server 2012 R2``, ``Oracle Database 19c``."""
        return f"{self.title} {self.version_name(release)}"


@dataclass(frozen=True, eq=False)
class Catalog:
    """Products by id, with where the data came from.

    ``source`` names the file (or the shipped snapshot); ``snapshot_date`` and
    ``commit`` are the provenance a snapshot declares in its ``meta``.
    Compared and hashed by identity: a catalog is loaded once and shared.
    """

    products: Mapping[str, Product] = field(default_factory=dict)
    source: str = "<memory>"
    snapshot_date: str | None = None
    commit: str | None = None

    def __getitem__(self, product_id: str) -> Product:
        return self.products[product_id]

    def __contains__(self, product_id: object) -> bool:
        return product_id in self.products

    def __iter__(self) -> Iterator[Product]:
        return iter(self.products[k] for k in sorted(self.products))

    def __len__(self) -> int:
        return len(self.products)

    def get(self, product_id: str) -> Product | None:
        """The product called ``product_id``, or None."""
        return self.products.get(product_id)

    def merged(self, *others: Catalog) -> Catalog:
        """This catalog with the products of ``others``; a later catalog's product wins whole.

        Used to lay a user's API files (fresher data for a few products) over
        the shipped snapshot.
        """
        products = dict(self.products)
        sources = [self.source]
        for other in others:
            products.update(other.products)
            sources.append(other.source)
        return Catalog(products, " + ".join(sources), self.snapshot_date, self.commit)


# ------------------------------------------------------------------ loading


def load_builtin_catalog() -> Catalog:
    """The snapshot shipped with ea-repo (see ``data/LICENSE-endoflife.txt``)."""
    return _builtin()


@lru_cache(maxsize=1)
def _builtin() -> Catalog:
    text = resources.files(__package__).joinpath(BUILTIN_DATA).read_text("utf-8")
    return parse_catalog_text(text, f"<builtin {BUILTIN_DATA}>")


def load_catalog(path: str | Path, *, product: str | None = None) -> Catalog:
    """Read lifecycle data from a file in any of the formats above.

    The format is recognised from the content: an object with ``products`` is
    a snapshot, an object with ``result`` a v1 API document, a list a v0 API
    file. ``product`` is the product id of a v0 file (default: the file name
    without ``.json``, as the API names it: ``rhel.json`` → ``rhel``).

    Raises :class:`~ea_repo.errors.SourceError` when the file cannot be read
    or holds anything malformed, naming the file and the position.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{p}: file not found") from None
    except OSError as exc:
        raise SourceError(f"{p}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{p}: not UTF-8 text (byte {exc.start})",
            hint="endoflife.date files are UTF-8 JSON; download it again",
        ) from exc
    return parse_catalog_text(text, str(p), product=product or _stem(p))


def parse_catalog_text(text: str, source: str, *, product: str | None = None) -> Catalog:
    """Parse JSON ``text`` (any of the formats) read from ``source``."""
    data = parse_json(text, source, hint="the file is truncated or not JSON; download it again")
    if isinstance(data, dict) and "products" in data:
        return parse_snapshot(data, source)
    if isinstance(data, dict) and "result" in data:
        return parse_api_v1(data, source)
    if isinstance(data, list):
        if not product:
            raise SourceError(
                f"{source}: an endoflife.date API file does not name its product",
                hint="name the file after the product (rhel.json) or give the product id",
            )
        return parse_api(data, product, source)
    raise SourceError(
        f'{source}: not lifecycle data: expected a snapshot ({{"products": ...}}), '
        'an endoflife.date API list of cycles, or an API v1 document ({"result": ...})',
        hint="download https://endoflife.date/api/<product>.json",
    )


def parse_snapshot(data: Any, source: str) -> Catalog:
    """A catalog from the snapshot format (``{"meta": {...}, "products": {...}}``)."""
    col = _Collector(source)
    products: dict[str, Product] = {}
    meta = data.get("meta") if isinstance(data, dict) else None
    if meta is not None and not isinstance(meta, dict):
        col.at("meta", "expected an object")
        meta = None
    raw_products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(raw_products, dict):
        col.at("products", "expected an object mapping product ids to products")
        raw_products = {}
    for pid, raw in raw_products.items():
        where = f"products.{pid}"
        if not _PRODUCT_ID.match(pid):
            col.at(where, f"{pid!r} is not a product id (letters, digits, '.', '-', '_')")
            continue
        if not isinstance(raw, dict):
            col.at(where, "expected an object")
            continue
        title = _text(raw.get("title"), f"{where}.title", col) or pid
        category = _text(raw.get("category"), f"{where}.category", col)
        aliases = _strings(raw.get("aliases"), f"{where}.aliases", col)
        raw_releases = raw.get("releases")
        if not isinstance(raw_releases, list):
            col.at(f"{where}.releases", "expected a list of release cycles")
            continue
        releases = _releases(
            raw_releases, f"{where}.releases", col, _classic_phases(inverted=False)
        )
        products[pid] = Product(pid, title, category, aliases, releases)
    col.raise_if_any()
    return Catalog(
        products,
        source,
        _meta_text(meta, "snapshot_date"),
        _meta_text(meta, "commit"),
    )


def parse_api(data: Any, product: str, source: str, *, title: str | None = None) -> Catalog:
    """A one-product catalog from the v0 API format: a JSON list of cycles.

    The v0 booleans of ``support`` and ``extendedSupport`` are turned round
    (see the module docstring); ``title`` defaults to the product id.
    """
    col = _Collector(source)
    if not _PRODUCT_ID.match(product):
        raise SourceError(
            f"{source}: {product!r} is not a product id",
            hint="give the endoflife.date id, e.g. rhel, mssqlserver, oracle-database",
        )
    if not isinstance(data, list):
        col.at("", "expected a list of release cycles")
        col.raise_if_any()
    releases = _releases(data, "", col, _classic_phases(inverted=True))
    col.raise_if_any()
    return Catalog({product: Product(product, title or product, None, (), releases)}, source)


def parse_api_v1(data: Any, source: str) -> Catalog:
    """A catalog from a v1 API document: one product, or a list of them (``products/full``)."""
    col = _Collector(source)
    result = data.get("result")
    items = result if isinstance(result, list) else [result]
    products: dict[str, Product] = {}
    for i, raw in enumerate(items):
        where = f"result[{i}]" if isinstance(result, list) else "result"
        if not isinstance(raw, dict):
            col.at(where, "expected a product object")
            continue
        pid = raw.get("name")
        if not isinstance(pid, str) or not _PRODUCT_ID.match(pid):
            col.at(f"{where}.name", "expected the product id")
            continue
        title = _text(raw.get("label"), f"{where}.label", col) or pid
        category = _text(raw.get("category"), f"{where}.category", col)
        aliases = _strings(raw.get("aliases"), f"{where}.aliases", col)
        raw_releases = raw.get("releases")
        if not isinstance(raw_releases, list):
            col.at(f"{where}.releases", "expected a list of releases")
            continue
        releases = _releases(raw_releases, f"{where}.releases", col, _v1_phases, "name")
        products[pid] = Product(pid, title, category, aliases, releases)
    col.raise_if_any()
    return Catalog(products, source)


# ------------------------------------------------------------------ labels


def render_label(label: str | None, cycle: str, codename: str | None = None) -> str | None:
    """A release label as people read it.

    endoflife.date labels are templates (``2012 '__CODENAME__' SP4``,
    ``OS X __RELEASE_CYCLE__ (__CODENAME__)``) and may hold HTML
    (``<abbr title='Short Term Support'>STS</abbr>``): placeholders are
    filled (a missing codename disappears with its quotes or brackets), tags
    removed. None when nothing is left.
    """
    if not label:
        return None
    text = _HTML_TAG.sub("", label).replace("__RELEASE_CYCLE__", cycle)
    if codename:
        text = text.replace("__CODENAME__", codename)
    else:
        text = re.sub(r"""['"(\[]?__CODENAME__['")\]]?""", "", text)
    text = re.sub(r"__[A-Z_]+__", "", text)
    text = re.sub(r"\s+", " ", text).strip(" -,")
    return text or None


# ------------------------------------------------------------------ helpers


class _Collector(Collector):
    """The problems of one JSON file, each at a JSON path (JSON has no lines to give)."""

    def at(self, where: str, message: str) -> None:
        """Record a problem at the JSON path ``where``; past 50 the rest are dropped."""
        if len(self.problems) < _MAX_PROBLEMS:
            self.add(f"{where}: {message}" if where else message, None)

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        first = self.problems[0]
        more = len(self.problems) - 1
        raise SourceError(
            f"{first}" + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""),
            problems=self.problems,
            hint="dates are YYYY-MM-DD, true (ended, no date) or false (not announced)",
        )


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(".json")] if name.lower().endswith(".json") else path.stem


def _meta_text(meta: Mapping[str, Any] | None, key: str) -> str | None:
    value = meta.get(key) if meta else None
    return str(value) if isinstance(value, str | int) else None


def _text(value: Any, where: str, col: _Collector) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        col.at(where, f"expected text, got {_kind(value)}")
        return None
    return str(value).strip() or None


def _strings(value: Any, where: str, col: _Collector) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        col.at(where, "expected a list of names")
        return ()
    return tuple(v for v in value if v.strip())


def _cycle(value: Any, where: str, col: _Collector) -> str | None:
    if isinstance(value, bool) or value is None:
        col.at(where, 'every release needs its cycle (e.g. "7", "2019", "12.1")')
        return None
    if isinstance(value, float):
        # JSON 3.10 reads as 3.1: a cycle must be written as text to survive.
        col.at(where, f'write the cycle as a string ("{value}"), a number loses digits')
        return None
    if not isinstance(value, str | int) or not str(value).strip():
        col.at(where, f"expected the release cycle as text, got {_kind(value)}")
        return None
    return str(value).strip()


def _plain_date(value: Any, where: str, col: _Collector) -> dt.date | None:
    if value is None or value is False:
        return None
    if isinstance(value, str):
        parsed = _iso(value)
        if parsed is not None:
            return parsed
    col.at(where, f"expected a date as YYYY-MM-DD, got {value!r}")
    return None


def _phase_end(value: Any, where: str, col: _Collector, *, inverted: bool = False) -> PhaseEnd:
    """A date field: a date, True = ended (or, ``inverted``, False = ended), else None."""
    if value is None:
        return None
    if isinstance(value, bool):
        ended = (not value) if inverted else value
        return ENDED if ended else None
    if isinstance(value, str):
        parsed = _iso(value)
        if parsed is not None:
            return parsed
    col.at(where, f"expected a date (YYYY-MM-DD), true or false, got {value!r}")
    return None


def _iso(text: str) -> dt.date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _lts(value: Any, where: str, col: _Collector) -> bool | dt.date | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        parsed = _iso(value)
        if parsed is not None:
            return parsed
    col.at(where, f"expected true, false or a date, got {value!r}")
    return None


def _releases(
    raw_releases: list[Any],
    where: str,
    col: _Collector,
    phases: Callable[[Mapping[str, Any], str, _Collector], dict[str, Any]],
    cycle_key: str = "cycle",
) -> tuple[Release, ...]:
    """Release cycles of one product: what every format shares (the cycle under
    ``cycle_key``, once each; label; release date), the phase ends by ``phases``."""
    releases: list[Release] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_releases):
        rwhere = f"{where}[{i}]"
        if not isinstance(raw, dict):
            col.at(rwhere, "expected an object")
            continue
        cycle = _cycle(raw.get(cycle_key), f"{rwhere}.{cycle_key}", col)
        if cycle is None:
            continue
        if cycle in seen:
            col.at(f"{rwhere}.{cycle_key}", f"release {cycle!r} is given twice")
            continue
        seen.add(cycle)
        codename = raw.get("codename")
        releases.append(
            Release(
                cycle=cycle,
                label=render_label(
                    _text(raw.get("label"), f"{rwhere}.label", col),
                    cycle,
                    codename if isinstance(codename, str) else None,
                ),
                release_date=_plain_date(raw.get("releaseDate"), f"{rwhere}.releaseDate", col),
                **phases(raw, rwhere, col),
            )
        )
    return tuple(releases)


def _classic_phases(
    *, inverted: bool
) -> Callable[[Mapping[str, Any], str, _Collector], dict[str, Any]]:
    """Phase ends in the snapshot and v0 API format (``inverted``: v0's support booleans)."""

    def phases(raw: Mapping[str, Any], where: str, col: _Collector) -> dict[str, Any]:
        return {
            "support": _phase_end(raw.get("support"), f"{where}.support", col, inverted=inverted),
            "eol": _phase_end(raw.get("eol"), f"{where}.eol", col),
            "extended_support": _extended(raw, where, col, inverted=inverted),
            "lts": _lts(raw.get("lts"), f"{where}.lts", col),
            "latest": _text(raw.get("latest"), f"{where}.latest", col),
        }

    return phases


def _v1_phases(raw: Mapping[str, Any], where: str, col: _Collector) -> dict[str, Any]:
    """Phase ends in the v1 API format."""
    latest = raw.get("latest")
    return {
        "support": _v1_end(raw, "Eoas", where, col),
        "eol": _v1_end(raw, "Eol", where, col),
        "extended_support": _v1_end(raw, "Eoes", where, col),
        "lts": _v1_lts(raw, where, col),
        "latest": _text(
            latest.get("name") if isinstance(latest, dict) else None, f"{where}.latest.name", col
        ),
    }


def _extended(raw: Mapping[str, Any], where: str, col: _Collector, *, inverted: bool) -> PhaseEnd:
    value = raw.get("extendedSupport")
    if inverted and value is False:
        return None  # v0: "ended" and "never offered" look the same; claim no end
    return _phase_end(value, f"{where}.extendedSupport", col, inverted=inverted)


def _v1_end(rel: Mapping[str, Any], phase: str, where: str, col: _Collector) -> PhaseEnd:
    """v1 gives ``is<Phase>`` (bool) and ``<phase>From`` (date or null)."""
    key_from = phase[0].lower() + phase[1:] + "From"
    date = _plain_date(rel.get(key_from), f"{where}.{key_from}", col)
    if date is not None:
        return date
    flag = rel.get(f"is{phase}")
    if flag is not None and not isinstance(flag, bool):
        col.at(f"{where}.is{phase}", f"expected true or false, got {flag!r}")
        return None
    return ENDED if flag else None


def _v1_lts(rel: Mapping[str, Any], where: str, col: _Collector) -> bool | dt.date | None:
    since = _plain_date(rel.get("ltsFrom"), f"{where}.ltsFrom", col)
    if since is not None:
        return since
    flag = rel.get("isLts")
    return flag if isinstance(flag, bool) else None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


__all__ = [
    "ENDED",
    "Catalog",
    "Ended",
    "PhaseEnd",
    "Product",
    "Release",
    "load_builtin_catalog",
    "load_catalog",
    "parse_api",
    "parse_api_v1",
    "parse_catalog_text",
    "parse_snapshot",
    "render_label",
]
