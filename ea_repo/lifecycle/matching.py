"""Match the software a CMDB names to a product release of the lifecycle catalog.

``match("Red Hat Enterprise Linux 7.9", None, catalog)`` → ``rhel`` ``7``.

**The product** comes from the alias table (``aliases.yaml``, extendable by a
workspace file) and the catalog's own ids, titles and aliases: the longest
known name that starts the text wins (``Oracle Linux 8`` is Oracle Linux, not
Oracle Database); a leading vendor word is skipped when nothing else matches
(``Atlassian Confluence``). A name may stand for several products, tried in
order (``Windows``: Windows Server, then Windows). What follows the name is
the *version from the name*, once edition and filler words are dropped
(``2016 Standard`` → ``2016``); if other words come before the version, the
name is another product (``Oracle WebLogic 12.2`` is not Oracle Database) and
nothing is matched.

**The release** is looked up with the version field first (``8.6``,
``10.0.14393``, ``11.0.7001.0``: usually the most precise), else the version
from the name; when the name's version fits only some of the candidate
products (``Windows 2016``: only Windows Server), those alone are tried.
Within a product, in order:

1. the longest cycle or label that the version starts with, component by
   component (``7.9`` → ``7``; ``12.1.0.2`` → ``12.1``; ``2012 SP4`` →
   label ``2012 SP4``; ``2012 R2`` → ``2012-r2``); the product's own
   ``versions`` and ``patterns`` rewrite it first (``12c`` → ``12.1``,
   ``V7R4M0`` → ``7.4``), and ``15 SP4`` is also read as ``15.4``;
   when service-pack cycles share the base (``11.0``, ``11.0-sp1`` ...
   ``11.0-sp4``), a build number picks the one whose latest build is the first
   at or above it (``11.0.7001.0`` → ``11.0-sp4``);
2. a build number equal to a cycle's latest build (``10.0.14393`` → Windows
   Server ``2016``, ``6.3.9600`` → ``2012-r2``); releases sharing a build are
   told apart by edition words (Enterprise → ``-e``) then the plainest cycle
   (``2019`` before ``1809-sac``), and the Match says so;
3. a version that is the start of exactly one release (``2008 R2`` →
   ``2008-r2-sp1``, AIX ``7.1`` → ``7.1.5``); several → no match, the
   reason lists them (``Windows 10`` without its build).

Nothing is guessed beyond that: an unmatched fact gets an :class:`Unmatched`
with a reason a person can act on (unknown product, no version, no such
release, ambiguous version, product endoflife.date does not track).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import Problem, SourceError
from ..yamlio import LineDict, load_yaml, parse_yaml
from .catalog import Catalog, Product, Release

BUILTIN_ALIASES = "aliases.yaml"

# ------------------------------------------------------------------ text


_TOKEN = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
_NUMERIC = re.compile(r"\d+(?:\.\d+)*(?:\.x)?")
_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def tokens(text: str | None) -> list[str]:
    """The words of ``text`` as matching compares them: lower case, no punctuation.

    ``Microsoft(R) SQL Server 2012 Service Pack 4`` → ``microsoft sql server 2012 sp4``;
    dotted numbers stay whole (``10.0.14393``), ``2012R2`` becomes ``2012 r2``.
    """
    if not text:
        return []
    t = text.casefold().replace("®", " ").replace("™", " ")
    t = re.sub(r"\((?:r|tm)\)", " ", t)
    t = re.sub(r"service\s*pack\s*(\d+)", r" sp\1 ", t)
    t = re.sub(r"\bsp\s+(\d+)", r"sp\1", t)
    t = re.sub(r"\b(\d{4})r(\d)\b", r"\1 r\2", t)
    return _TOKEN.findall(t)


def normalize_name(name: str) -> str:
    """A name as the alias table keys it: ``Debian GNU/Linux`` → ``debian gnu linux``."""
    return " ".join(tokens(name))


def _num(token: str) -> tuple[int, ...] | None:
    """The components of a numeric token (``10.0.14393`` → (10, 0, 14393)), else None."""
    if not _NUMERIC.fullmatch(token):
        return None
    return tuple(int(p) for p in token.split(".") if p != "x")


def _leading_number(text: str | None) -> tuple[int, ...] | None:
    m = _LEADING_NUMBER.match(text or "")
    return tuple(int(p) for p in m.group().split(".")) if m else None


def _versionish(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _same(a: str, b: str) -> bool:
    na, nb = _num(a), _num(b)
    return na == nb if na is not None and nb is not None else a == b


# ------------------------------------------------------------------ alias table


@dataclass(frozen=True, eq=False)
class AliasTable:
    """Names CMDBs use → endoflife.date product ids, with version rewrites per product.

    Keys are normalised with :func:`normalize_name`. Compared and hashed by
    identity (it is loaded once and shared).
    """

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    uncovered: Mapping[str, str] = field(default_factory=dict)
    vendors: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    patterns: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]] = field(default_factory=dict)
    noise: frozenset[str] = frozenset()
    vendor_words: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    def extended(self, other: AliasTable) -> AliasTable:
        """This table with ``other`` laid over it: other's names replace, the rest add up."""
        versions = {k: dict(v) for k, v in self.versions.items()}
        for pid, table in other.versions.items():
            versions.setdefault(pid, {}).update(table)
        patterns = dict(self.patterns)
        for pid, pats in other.patterns.items():
            patterns[pid] = pats + patterns.get(pid, ())
        return AliasTable(
            names={**self.names, **other.names},
            uncovered={**self.uncovered, **other.uncovered},
            vendors={**self.vendors, **other.vendors},
            versions=versions,
            patterns=patterns,
            noise=self.noise | other.noise,
            vendor_words=self.vendor_words | other.vendor_words,
            sources=self.sources + other.sources,
        )


def builtin_aliases() -> AliasTable:
    """The alias table shipped with ea-repo (``ea_repo/lifecycle/aliases.yaml``)."""
    return _builtin_aliases()


@lru_cache(maxsize=1)
def _builtin_aliases() -> AliasTable:
    text = resources.files(__package__).joinpath(BUILTIN_ALIASES).read_text("utf-8")
    source = f"<builtin {BUILTIN_ALIASES}>"
    return parse_aliases(parse_yaml(text, source, SourceError), source)


def load_aliases(path: str | Path | None = None) -> AliasTable:
    """The built-in alias table, extended by the workspace file at ``path`` if given.

    Raises :class:`~ea_repo.errors.SourceError` naming ``file:line`` for a
    malformed file.
    """
    table = builtin_aliases()
    if path is None:
        return table
    return table.extended(parse_aliases(load_yaml(Path(path), SourceError), str(path)))


_TOP_KEYS = {"products", "uncovered", "noise", "vendor_words"}
_PRODUCT_KEYS = {"vendor", "names", "versions", "patterns"}


def parse_aliases(data: Any, source: str) -> AliasTable:
    """An :class:`AliasTable` from the parsed YAML of an alias file."""
    problems: list[Problem] = []

    def bad(where: Any, key: str | None, message: str) -> None:
        line = where.line_of(key) if isinstance(where, LineDict) and key else None
        if line is None and isinstance(where, LineDict):
            line = where.line
        problems.append(Problem(message, source, line))

    if data is None:
        data = LineDict()
    if not isinstance(data, dict):
        raise SourceError(f"{source}: an alias file is a mapping (products:, uncovered:...)")
    for key in data:
        if key not in _TOP_KEYS:
            bad(data, key, f"unknown key {key!r}; expected {', '.join(sorted(_TOP_KEYS))}")
    names: dict[str, list[str]] = {}
    vendors: dict[str, str] = {}
    versions: dict[str, dict[str, str]] = {}
    patterns: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {}
    products = data.get("products") or {}
    if not isinstance(products, dict):
        bad(data, "products", "products: expected a mapping of product ids")
        products = {}
    for pid, spec in products.items():
        if not isinstance(spec, dict):
            bad(products, pid, f"{pid}: expected a mapping (vendor, names, versions, patterns)")
            continue
        for key in spec:
            if key not in _PRODUCT_KEYS:
                bad(
                    spec,
                    key,
                    f"{pid}.{key}: unknown key; expected {', '.join(sorted(_PRODUCT_KEYS))}",
                )
        vendor = spec.get("vendor")
        if vendor is not None:
            if isinstance(vendor, str) and vendor.strip():
                vendors[pid] = vendor.strip()
            else:
                bad(spec, "vendor", f"{pid}.vendor: expected a name")
        raw_names = spec.get("names") or []
        if not isinstance(raw_names, list) or not all(isinstance(n, str) for n in raw_names):
            bad(spec, "names", f"{pid}.names: expected a list of names")
            raw_names = []
        for name in raw_names:
            key = normalize_name(name)
            if not key:
                bad(spec, "names", f"{pid}.names: {name!r} has no letters or digits")
            elif pid not in names.setdefault(key, []):
                names[key].append(pid)
        raw_versions = spec.get("versions") or {}
        if not isinstance(raw_versions, dict):
            bad(spec, "versions", f'{pid}.versions: expected a mapping ("12c": "12.1")')
            raw_versions = {}
        for written, lookup in raw_versions.items():
            if not isinstance(lookup, str | int) or isinstance(lookup, bool):
                bad(
                    raw_versions,
                    written,
                    f'{pid}.versions.{written}: quote the version, e.g. "12.1"',
                )
                continue
            versions.setdefault(pid, {})[normalize_name(written)] = str(lookup)
        raw_patterns = spec.get("patterns") or []
        compiled: list[tuple[re.Pattern[str], str]] = []
        if not isinstance(raw_patterns, list):
            bad(spec, "patterns", f"{pid}.patterns: expected a list of [regex, replacement]")
            raw_patterns = []
        for item in raw_patterns:
            if not (
                isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
            ):
                bad(spec, "patterns", f"{pid}.patterns: each entry is [regex, replacement]")
                continue
            try:
                compiled.append((re.compile(item[0]), item[1]))
            except re.error as exc:
                bad(
                    spec,
                    "patterns",
                    f"{pid}.patterns: {item[0]!r} is no regular expression ({exc})",
                )
        if compiled:
            patterns[pid] = tuple(compiled)
    uncovered: dict[str, str] = {}
    raw_uncovered = data.get("uncovered") or {}
    if not isinstance(raw_uncovered, dict):
        bad(data, "uncovered", "uncovered: expected a mapping of name: reason")
        raw_uncovered = {}
    for name, why in raw_uncovered.items():
        if not isinstance(why, str):
            bad(raw_uncovered, name, f"uncovered.{name}: expected the reason as text")
            continue
        uncovered[normalize_name(name)] = why
    word_sets: dict[str, frozenset[str]] = {}
    for key in ("noise", "vendor_words"):
        raw = data.get(key) or []
        if not isinstance(raw, list):
            bad(data, key, f"{key}: expected a list of words")
            raw = []
        word_sets[key] = frozenset(normalize_name(str(w)) for w in raw if normalize_name(str(w)))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise SourceError(
            str(problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            problems=problems,
            hint="see the header of ea_repo/lifecycle/aliases.yaml for the format",
        )
    return AliasTable(
        names={k: tuple(v) for k, v in names.items()},
        uncovered=uncovered,
        vendors=vendors,
        versions=versions,
        patterns=patterns,
        noise=word_sets["noise"],
        vendor_words=word_sets["vendor_words"],
        sources=(source,),
    )


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Match:
    """A fact matched to a product release.

    ``rule`` says how the release was found (``cycle``, ``label``, ``prefix``,
    ``service pack by build``, ``build``, ``only release``); ``version`` is the
    version text that matched; ``source`` is ``version`` (the version field)
    or ``name`` (the version read from the product name); ``alias`` the name
    that identified the product; ``note`` any choice made among equals.
    """

    product: Product
    release: Release
    rule: str
    version: str
    source: str
    alias: str
    note: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(product id, cycle)``."""
        return self.product.id, self.release.cycle

    def describe(self) -> str:
        """One line for people: ``rhel 7 (Red Hat Enterprise Linux 7): '7.9' from the name, prefix``."""
        text = (
            f"{self.product.id} {self.release.cycle} ({self.product.release_title(self.release)}): "
            f"{self.version!r} from the {'version field' if self.source == 'version' else 'name'}, "
            f"{self.rule}"
        )
        return text + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class Unmatched:
    """Why a fact matched nothing. Falsy, so ``if not result:`` reads naturally.

    ``product`` is set when the product was recognised but not the release.
    """

    reason: str
    product: Product | None = None

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class _Unknown(Unmatched):
    """No known name at all (as opposed to a product endoflife.date does not track)."""


# ------------------------------------------------------------------ matcher


@dataclass(frozen=True)
class _Rel:
    release: Release
    cycle: tuple[str, ...]
    label: tuple[str, ...]
    latest: tuple[int, ...] | None
    order: int


@dataclass
class _Found:
    rel: _Rel
    rule: str
    version: str
    note: str | None = None


@dataclass
class _Ambiguous:
    rels: list[_Rel]
    version: str


_HINTS = {
    "enterprise": "e",
    "ent": "e",
    "education": "e",
    "pro": "w",
    "professional": "w",
    "home": "w",
    "ltsc": "lts",
    "ltsb": "lts",
    "iot": "iot",
    "sac": "sac",
}


class Matcher:
    """Matches product/version texts against one catalog with one alias table.

    Build it once per catalog (it indexes names and releases); :func:`match`
    keeps a few at hand.
    """

    def __init__(self, catalog: Catalog, aliases: AliasTable | None = None) -> None:
        self.catalog = catalog
        self.aliases = aliases or builtin_aliases()
        # The alias table's names are authoritative; the catalog's own ids,
        # titles and aliases fill in the names the table does not list.
        names: dict[tuple[str, ...], list[str]] = {
            tuple(key.split()): [p for p in pids if p in catalog]
            for key, pids in self.aliases.names.items()
        }
        listed = set(names)
        for product in catalog:
            for raw in (product.id, product.id.replace("-", " "), product.title, *product.aliases):
                key_t = tuple(tokens(raw))
                if key_t and key_t not in listed and product.id not in names.setdefault(key_t, []):
                    names[key_t].append(product.id)
        self._names = {k: tuple(v) for k, v in names.items()}
        name_words: dict[str, set[str]] = {}
        for key_t, pids in self._names.items():
            for pid in pids:
                name_words.setdefault(pid, set()).update(key_t)
        self._name_words = {p: frozenset(w) for p, w in name_words.items()}
        self._uncovered = {tuple(k.split()): v for k, v in self.aliases.uncovered.items()}
        self._longest = max((len(k) for k in [*self._names, *self._uncovered]), default=1)
        self._vendor_words = {tuple(w.split()) for w in self.aliases.vendor_words}
        self._noise = self.aliases.noise
        self._rels: dict[str, list[_Rel]] = {}
        self._words: dict[str, frozenset[str]] = {}
        for product in catalog:
            title = set(tokens(product.title))
            rels = []
            for i, r in enumerate(product.releases):
                label = self._clean(tokens(r.label)) if r.label else []
                while label and label[0] in title:
                    label = label[1:]
                rels.append(
                    _Rel(r, tuple(tokens(r.cycle)), tuple(label), _leading_number(r.latest), i)
                )
            self._rels[product.id] = rels
            self._words[product.id] = frozenset(
                toks[0] for r in rels for toks in (r.cycle, r.label) if toks
            )

    # -------------------------------------------------------------- public

    def match(self, product_text: str, version_text: str | None = None) -> Match | Unmatched:
        """The release ``product_text`` (and ``version_text``) designate, or why none."""
        ptoks = tokens(product_text)
        if not ptoks:
            return Unmatched("no product name given")
        found = self._identify(ptoks, product_text)
        name_source, note = "name", None
        if isinstance(found, _Unknown) and version_text:
            # Packaged applications often say what they are in the version
            # field: "Product Search" / "Elasticsearch 7.17".
            fallback = self._identify(tokens(version_text), version_text)
            if not isinstance(fallback, Unmatched):
                found, version_text = fallback, None
                name_source, note = "version", "product read from the version field"
        if isinstance(found, Unmatched):
            return found
        pids, alias, rest = found
        products = [self.catalog[p] for p in pids]
        hints = {_HINTS[t] for t in [*ptoks, *tokens(version_text)] if t in _HINTS}
        from_name = self._clean(rest)
        from_field, ignored = self._version_field(version_text, pids)
        if not from_name and not from_field:
            why = f"{products[0].title}: no version given"
            if ignored:
                why += f" ({version_text!r} is not a version)"
            return Unmatched(why, products[0])

        by_name: dict[str, _Found | _Ambiguous | None] = (
            {p: self._in_product(p, from_name, hints) for p in pids} if from_name else {}
        )
        narrowed = [p for p in pids if by_name.get(p) is not None] or list(pids)
        by_field: dict[str, _Found | _Ambiguous | None] = {}
        if from_field:
            for p in narrowed:
                result = by_field[p] = self._in_product(p, from_field, hints)
                if isinstance(result, _Found):
                    return self._match(p, result, "version", alias)
        for p in narrowed:
            result = by_name.get(p)
            if isinstance(result, _Found):
                if note:
                    result.note = "; ".join(n for n in (note, result.note) if n)
                return self._match(p, result, name_source, alias)
        return Unmatched(
            self._reason(narrowed, by_field, by_name, from_field, from_name),
            self.catalog[narrowed[0]],
        )

    # -------------------------------------------------------------- product

    def _identify(
        self, ptoks: list[str], text: str
    ) -> tuple[tuple[str, ...], str, list[str]] | Unmatched:
        """(product ids, the name matched, the words after it), or why not."""
        starts = [0]
        for n in range(min(len(ptoks) - 1, 4), 0, -1):
            if tuple(ptoks[:n]) in self._vendor_words:
                starts.append(n)
                break
        rejected: str | None = None
        for start in starts:
            for n in range(min(self._longest, len(ptoks) - start), 0, -1):
                key = tuple(ptoks[start : start + n])
                if key in self._uncovered:
                    return Unmatched(f"{text!r}: {self._uncovered[key]}")
                pids = self._names.get(key)
                if pids is None:
                    continue
                alias = " ".join(key)
                if not pids:
                    return Unmatched(
                        f"{text!r} names a product the lifecycle catalog does not hold"
                    )
                rest = ptoks[start + n :]
                cleaned = self._clean(rest)
                if cleaned and not self._opens_version(cleaned[0], pids):
                    rejected = rejected or (
                        f"{text!r}: read as {self.catalog[pids[0]].title} (from {alias!r}), "
                        f"but {cleaned[0]!r} is no version of it; another product?"
                    )
                    break
                return pids, alias, rest
        if rejected:
            return Unmatched(rejected)
        return _Unknown(
            f"no lifecycle product is known as {text!r}; add the name to the alias file"
        )

    def _opens_version(self, token: str, pids: Sequence[str]) -> bool:
        """Whether ``token`` may begin a version: it has a digit, or begins a release name (XP)."""
        return _versionish(token) or any(token in self._words.get(p, ()) for p in pids)

    def _clean(self, toks: Sequence[str]) -> list[str]:
        out = []
        for t in toks:
            if t in self._noise:
                continue
            m = re.fullmatch(r"v(\d+(?:\.\d+)*)", t)
            out.append(m.group(1) if m else t)
        return out

    def _version_field(self, text: str | None, pids: Sequence[str]) -> tuple[list[str], bool]:
        """The version field's words, without a leading product name ("RHEL 7.9"); (words, ignored)."""
        toks = tokens(text)
        if not toks:
            return [], False
        # Words of the product's own names before the version: "RHEL 7.9", "EAP 7.2.0".
        words = set().union(*(self._name_words.get(p, frozenset()) for p in pids))
        while toks and toks[0] in words and not _versionish(toks[0]):
            toks = toks[1:]
        cleaned = self._clean(toks)
        if cleaned and not self._opens_version(cleaned[0], pids):
            return [], True
        return cleaned, False

    # -------------------------------------------------------------- release

    def _readings(self, pid: str, toks: list[str]) -> list[list[str]]:
        """The ways to read a version: rewritten by the product's tables first, then as written."""
        readings: list[list[str]] = []
        joined = " ".join(toks)
        table = self.aliases.versions.get(pid, {})
        if joined in table:
            readings.append(tokens(table[joined]))
        else:
            first = _num(toks[0])
            for written, lookup in table.items():
                key = _num(written)
                if first is not None and key is not None and first[: len(key)] == key:
                    rest = first[len(key) :]
                    new_first = ".".join([lookup, *(str(c) for c in rest)])
                    readings.append([new_first, *toks[1:]])
                    break
        for pattern, replacement in self.aliases.patterns.get(pid, ()):
            if pattern.search(joined):
                readings.append(tokens(pattern.sub(replacement, joined, count=1)))
        readings.append(list(toks))
        m = re.fullmatch(r"(\d+) sp(\d+)(?: .*)?", joined)
        if m:
            readings.append([f"{m[1]}.{m[2]}", *toks[2:]])
        return [r for r in readings if r]

    def _in_product(self, pid: str, toks: list[str], hints: set[str]) -> _Found | _Ambiguous | None:
        rels = self._rels[pid]
        readings = self._readings(pid, toks)
        for reading in readings:
            found = self._by_prefix(rels, reading, hints)
            if found:
                return found
        found = self._by_build(rels, toks, hints)
        if found:
            return found
        family = self._family(rels, toks)
        if family is not None:
            return _Found(family, "service pack by build", " ".join(toks))
        ambiguous: _Ambiguous | None = None
        for reading in readings:
            starts = [
                r
                for r in rels
                if _starts(reading, r.cycle) or (r.label and _starts(reading, r.label))
            ]
            if len(starts) == 1:
                return _Found(starts[0], "only release", " ".join(reading))
            if starts and ambiguous is None:
                ambiguous = _Ambiguous(starts, " ".join(reading))
        return ambiguous

    def _by_prefix(self, rels: list[_Rel], v: list[str], hints: set[str]) -> _Found | None:
        best: list[tuple[_Rel, str, tuple[str, ...]]] = []
        best_score: tuple[int, int] = (0, 0)
        for rel in rels:
            for what, ctoks in (("cycle", rel.cycle), ("label", rel.label)):
                score = _prefix_score(ctoks, v)
                if score is None:
                    continue
                if score > best_score:
                    best, best_score = [(rel, what, ctoks)], score
                elif score == best_score and all(b[0] is not rel for b in best):
                    best.append((rel, what, ctoks))
        if not best:
            return None
        version = " ".join(v)
        rel, what, ctoks = best[0]
        note = None
        if len(best) > 1:
            rel, note = self._pick([b[0] for b in best], hints, f"{version!r} fits")
            what, ctoks = next((w, c) for r, w, c in best if r is rel)
        if what == "cycle" and len(rel.cycle) == 1:
            sp = self._family(rels, v)
            if sp is not None and sp is not rel:
                return _Found(sp, "service pack by build", version)
        exact = len(ctoks) == len(v) and _same(ctoks[-1], v[-1])
        return _Found(rel, what if exact else "prefix", version, note)

    def _family(self, rels: list[_Rel], v: list[str]) -> _Rel | None:
        """The service-pack cycle a build number falls in (``11.0.7001.0`` → ``11.0-sp4``).

        The family is the cycles whose first part is the start of the build
        (``11.0``, ``11.0-sp1`` ... ``11.0-sp4``; with or without the base
        cycle, ``10.50-sp1`` ... ``10.50-sp3``); ordered by their latest build,
        the first whose latest build is at or above the version is it, else
        the newest. None unless there is such a family with latest builds.
        """
        build = _num(v[0]) if v else None
        if build is None:
            return None
        family: list[tuple[int, _Rel]] = []
        for r in rels:
            head = _num(r.cycle[0])
            if head is not None and len(head) < len(build) and build[: len(head)] == head:
                family.append((len(head), r))
        if not family:
            return None
        depth = max(d for d, _ in family)
        members = [r for d, r in family if d == depth]
        if len(members) < 2 or all(len(r.cycle) == 1 for r in members):
            return None
        if any(r.latest is None for r in members):
            return None
        members.sort(key=lambda r: (r.latest or (), r.order))
        return next((r for r in members if (r.latest or ()) >= build), members[-1])

    def _by_build(self, rels: list[_Rel], v: list[str], hints: set[str]) -> _Found | None:
        build = _num(v[0]) if v else None
        if build is None or len(build) < 3:
            return None
        same = [r for r in rels if r.latest is not None and r.latest[:3] == build[:3]]
        if not same:
            return None
        rel, note = self._pick(same, hints, f"build {v[0]} is the latest of")
        return _Found(rel, "build", v[0], note)

    def _pick(self, rels: list[_Rel], hints: set[str], what: str) -> tuple[_Rel, str | None]:
        """One of several equally good releases: edition words, then the plainest cycle."""
        if len(rels) == 1:
            return rels[0], None
        ranked = sorted(
            rels,
            key=lambda r: (
                -len(hints & set(r.cycle)),
                len(r.cycle),
                -(r.release.release_date.toordinal() if r.release.release_date else 0),
                r.order,
            ),
        )
        others = ", ".join(r.release.cycle for r in ranked[1:])
        return ranked[
            0
        ], f"{what} {len(rels)} releases; chose {ranked[0].release.cycle} over {others}"

    # -------------------------------------------------------------- results

    def _match(self, pid: str, found: _Found, source: str, alias: str) -> Match:
        return Match(
            self.catalog[pid],
            found.rel.release,
            found.rule,
            found.version,
            source,
            alias,
            found.note,
        )

    def _reason(
        self,
        pids: Sequence[str],
        by_field: Mapping[str, _Found | _Ambiguous | None],
        by_name: Mapping[str, _Found | _Ambiguous | None],
        from_field: list[str],
        from_name: list[str],
    ) -> str:
        parts = []
        for pid in pids:
            product = self.catalog[pid]
            for toks, results in ((from_field, by_field), (from_name, by_name)):
                if not toks:
                    continue
                result = results.get(pid)
                if isinstance(result, _Ambiguous):
                    names = ", ".join(r.release.cycle for r in result.rels[:8])
                    more = f" and {len(result.rels) - 8} more" if len(result.rels) > 8 else ""
                    parts.append(
                        f"{product.title}: version {result.version!r} could be {names}{more}; "
                        "give a more precise version (build, service pack, release)"
                    )
                    break
            else:
                versions = " / ".join(repr(" ".join(t)) for t in (from_field, from_name) if t)
                cycles = ", ".join(r.cycle for r in product.releases[:10])
                more = ", ..." if len(product.releases) > 10 else ""
                parts.append(
                    f"{product.title} has no release matching {versions} (releases: {cycles}{more})"
                )
        return "; ".join(parts)


def _prefix_score(c: Sequence[str], v: Sequence[str]) -> tuple[int, int] | None:
    """How much of version ``v`` cycle ``c`` covers, if ``c`` is a prefix of it; else None.

    Token by token; the last token of ``c`` may be a numeric prefix of the
    version's (``7`` of ``7.9``, ``12.1`` of ``12.1.0.2``, never ``1`` of ``10``).
    The score is (tokens, numeric components) matched: the longest prefix wins.
    """
    if not c or len(c) > len(v):
        return None
    parts = 0
    for i, (a, b) in enumerate(zip(c, v, strict=False)):
        na, nb = _num(a), _num(b)
        if na is not None and nb is not None:
            if na == nb or (i == len(c) - 1 and len(na) < len(nb) and nb[: len(na)] == na):
                parts += len(na)
                continue
            return None
        if a != b:
            return None
        parts += 1
    return len(c), parts


def _starts(v: Sequence[str], c: Sequence[str]) -> bool:
    """Whether version ``v`` is a proper start of cycle ``c`` (``2008 r2`` of ``2008 r2 sp1``)."""
    if not v or len(v) > len(c):
        return False
    for i, (a, b) in enumerate(zip(v, c, strict=False)):
        na, nb = _num(a), _num(b)
        last = i == len(v) - 1
        if na is not None and nb is not None:
            if na == nb:
                continue
            return last and len(na) < len(nb) and nb[: len(na)] == na
        if a != b:
            return False
    return len(v) < len(c)


@lru_cache(maxsize=8)
def matcher_for(catalog: Catalog, aliases: AliasTable | None = None) -> Matcher:
    """A :class:`Matcher` for ``catalog`` and ``aliases`` (default: built-in), built once."""
    return Matcher(catalog, aliases)


def match(
    product_text: str,
    version_text: str | None,
    catalog: Catalog,
    aliases: AliasTable | None = None,
) -> Match | Unmatched:
    """The release of ``catalog`` that ``product_text`` and ``version_text`` designate.

    Returns a :class:`Match`, or an :class:`Unmatched` (falsy) with the reason.

    >>> from ea_repo.lifecycle.catalog import load_builtin_catalog
    >>> m = match("Red Hat Enterprise Linux 7.9", None, load_builtin_catalog())
    >>> m.key
    ('rhel', '7')
    >>> match("Microsoft SQL Server 2012 SP4", None, load_builtin_catalog()).key
    ('mssqlserver', '11.0-sp4')
    >>> match("Oracle Database 12c Enterprise Edition", None, load_builtin_catalog()).key
    ('oracle-database', '12.1')
    """
    return matcher_for(catalog, aliases).match(product_text, version_text)


def match_all(
    pairs: Iterable[tuple[str, str | None]], catalog: Catalog, aliases: AliasTable | None = None
) -> list[Match | Unmatched]:
    """:func:`match` for many (product, version) pairs with one matcher."""
    m = matcher_for(catalog, aliases)
    return [m.match(p, v) for p, v in pairs]


__all__ = [
    "AliasTable",
    "Match",
    "Matcher",
    "Unmatched",
    "builtin_aliases",
    "load_aliases",
    "match",
    "match_all",
    "matcher_for",
    "normalize_name",
    "parse_aliases",
    "tokens",
]
