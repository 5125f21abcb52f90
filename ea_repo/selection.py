"""The selector language: which elements an analysis or a view is about.

Text is parsed into a small spec tree (after dbt's ``graph/selector_spec``),
and the tree is evaluated against a store, one :class:`SelectorMethod` per
kind of atom. The tree does not depend on the metamodel or the store, so the
same tree can be written on the command line or held in a YAML view spec.

Grammar (``,`` binds looser than a space)::

    selector     := intersection ( "," intersection )*        union: either
    intersection := term ( SPACE term )*                       intersection: both
    term         := [ [DEPTH] "+" ] atom [ "+" [DEPTH] ]       graph operators
    atom         := "type:" VALUE | "layer:" VALUE | "name:" VALUE
                  | "id:" VALUE | "in:" VALUE | "attr." KEY "=" VALUE | VALUE
    VALUE        := WORD | '"' text with \\" and \\\\ escapes '"'

So ``type:Server layer:technology,type:Application`` is (Server ∩ technology)
∪ Application. ``+X`` is X and everything that depends on it (what an outage
of X would reach), ``X+`` X and everything it depends on, ``2+X`` and ``X+3``
stop after that many levels, ``+X+`` goes both ways. ``in:X`` is X and what
stands on it wholly through the metamodel's hosting relationships (a
datacenter's servers, their VMs, the software on them): where ``+X`` also
reaches what merely uses X or receives its data, ``in:X`` is what is *in* X.
A bare VALUE, and the value of ``in:``, is an element id or, failing that, a
unique display name (ignoring case). A WORD
stops at a space, a comma, a quote or a ``+``: quote a value that contains
one. A leading ``DIGITS+`` is read as a depth when an atom follows it.

>>> parse_selector("2+app-crm type:Server,name:*oracle*").to_text()
'2+app-crm type:Server,name:*oracle*'
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from .analysis.hosting import hosted_in
from .analysis.traversal import Way, traverse
from .errors import InternalError, NotFoundError, Problem, SelectorError
from .metamodel import IDENTIFIER, LAYERS, AttrType, Metamodel
from .model import CURRENT, EVERYTHING, Element, ElementId, Lens
from .store import GraphStore

# -- the spec tree -------------------------------------------------------------


class Method(StrEnum):
    """The kinds of atom. ``element`` is the bare word: an id or a unique name."""

    TYPE = "type"
    LAYER = "layer"
    ATTR = "attr"
    NAME = "name"
    ID = "id"
    IN = "in"
    ELEMENT = "element"


_PREFIXED = (Method.TYPE, Method.LAYER, Method.NAME, Method.ID, Method.IN)
"""Methods written ``METHOD:VALUE``; ``attr`` has its own form, ``element`` none."""

_EXAMPLES = {
    Method.TYPE: "type:Server",
    Method.LAYER: "layer:technology",
    Method.NAME: "name:*crm*",
    Method.ID: "id:app-crm",
    Method.IN: 'in:"DC Lyon Sud"',
    Method.ATTR: "attr.environment=production",
}


class Selector(ABC):
    """A node of the spec tree: :class:`Union`, :class:`Intersection` or :class:`Atom`."""

    @abstractmethod
    def atoms(self) -> Iterator[Atom]:
        """Every atom of the tree, left to right."""

    def to_text(self) -> str:
        """The selector as text that :func:`parse_selector` reads back to an equal tree.

        A tree that nests a union inside an intersection (possible from YAML,
        not from text) is written in its distributed form, which selects the
        same elements: ``(a,b) c`` becomes ``a c,b c``.
        """
        return ",".join(" ".join(atom.to_text() for atom in group) for group in _dnf(self))

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class Union(Selector):
    """The elements any of the parts selects (``a,b``)."""

    parts: tuple[Selector, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", _check_parts(self.parts, "a union"))

    def atoms(self) -> Iterator[Atom]:
        """Every atom of the tree, left to right."""
        for part in self.parts:
            yield from part.atoms()


@dataclass(frozen=True)
class Intersection(Selector):
    """The elements every part selects (``a b``)."""

    parts: tuple[Selector, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", _check_parts(self.parts, "an intersection"))

    def atoms(self) -> Iterator[Atom]:
        """Every atom of the tree, left to right."""
        for part in self.parts:
            yield from part.atoms()


@dataclass(frozen=True)
class Atom(Selector):
    """One criterion, with optional graph operators (as dbt's parents/children).

    ``dependents``: add what depends on the matches (``+X``), up to
    ``dependents_depth`` levels when given (``2+X``); ``dependencies``: add
    what they depend on (``X+``, ``X+3``). ``key`` is the attribute of an
    ``attr`` atom. Building an inconsistent atom raises SelectorError, so a
    tree from YAML is checked like one from text.
    """

    method: Method
    value: str
    key: str | None = None
    dependents: bool = False
    dependents_depth: int | None = None
    dependencies: bool = False
    dependencies_depth: int | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "method", Method(self.method))
        except ValueError:
            raise SelectorError(
                f"unknown selector method {self.method!r}",
                hint="methods: " + ", ".join(Method),
            ) from None
        if not isinstance(self.value, str) or not self.value:
            raise SelectorError(
                f"the {self.method} selector has no value", hint=_example(self.method)
            )
        if (self.method is Method.ATTR) != (self.key is not None):
            raise SelectorError(
                "an attribute selector needs a key, and only it has one",
                hint=_example(Method.ATTR),
            )
        if self.key is not None and not IDENTIFIER.match(self.key):
            raise SelectorError(
                f"{self.key!r} is not an attribute name", hint=_example(Method.ATTR)
            )
        for name, wanted, depth in (
            ("dependents", self.dependents, self.dependents_depth),
            ("dependencies", self.dependencies, self.dependencies_depth),
        ):
            if depth is None:
                continue
            if not wanted:
                raise SelectorError(f"a {name} depth is given without {name}")
            if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
                raise SelectorError(
                    f"the {name} depth must be a whole number of at least 1, not {depth!r}"
                )

    def atoms(self) -> Iterator[Atom]:
        """This atom."""
        yield self

    def to_text(self) -> str:
        """The atom as text, quoting its value when it needs it."""
        if self.method is Method.ELEMENT:
            body = _quote(self.value, bare=True)
        elif self.method is Method.ATTR:
            body = f"attr.{self.key}={_quote(self.value)}"
        else:
            body = f"{self.method}:{_quote(self.value)}"
        before = f"{self.dependents_depth or ''}+" if self.dependents else ""
        after = f"+{self.dependencies_depth or ''}" if self.dependencies else ""
        return before + body + after


def _check_parts(parts: Iterable[Selector], what: str) -> tuple[Selector, ...]:
    checked = tuple(parts)
    if not checked:
        raise SelectorError(f"{what} needs at least one part")
    for part in checked:
        if not isinstance(part, Selector):
            raise SelectorError(f"{what} can only hold selectors, not {part!r}")
    return checked


def _dnf(selector: Selector) -> list[list[Atom]]:
    """The selector as a union of intersections of atoms: what text can express."""
    if isinstance(selector, Atom):
        return [[selector]]
    if isinstance(selector, Union):
        return [group for part in selector.parts for group in _dnf(part)]
    if isinstance(selector, Intersection):
        groups: list[list[Atom]] = [[]]
        for part in selector.parts:
            groups = [left + right for left in groups for right in _dnf(part)]
        return groups
    raise TypeError(f"not a selector: {selector!r}")


_MUST_QUOTE = re.compile(r'[\s,"+]')  # what ends a word, see _ends_word


def _quote(value: str, *, bare: bool = False) -> str:
    # A bare word with a colon or an attr. prefix would be read as a method.
    needs = (
        not value
        or _MUST_QUOTE.search(value) is not None
        or (bare and (":" in value or value.lower().startswith("attr.")))
    )
    if not needs:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _example(method: Method) -> str:
    return f"e.g. {_EXAMPLES.get(method, 'app-crm')}"


# -- parsing ---------------------------------------------------------------------

_DEPTH_HINT = (
    "a depth is a whole number: 2+X (dependents up to 2 levels), X+3 (dependencies "
    "up to 3 levels); quote a value that contains '+'"
)
_PLUS_HINT = "+X selects X and its dependents, X+ X and its dependencies"
_PREFIX = re.compile(r"([0-9]*)\+")
_DIGITS = re.compile(r"[0-9]*")


def _ends_term(char: str) -> bool:
    return not char or char == "," or char.isspace()


def _ends_word(char: str) -> bool:
    return _ends_term(char) or char in '"+'


def parse_selector(text: str) -> Selector:
    """Parse selector text into its spec tree.

    Returns an :class:`Atom` for a single criterion, an :class:`Intersection`
    for terms separated by spaces, a :class:`Union` when there are commas.
    Raises SelectorError, with the column and a hint, on malformed text.
    The metamodel and the store are not consulted: an unknown type is only
    found when the selector is checked or evaluated.

    >>> parse_selector("type:Server layer:technology,type:Application") == Union((
    ...     Intersection((Atom(Method.TYPE, "Server"), Atom(Method.LAYER, "technology"))),
    ...     Atom(Method.TYPE, "Application"),
    ... ))
    True
    """
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, problem: str, hint: str | None = None) -> SelectorError:
        return SelectorError(f'selector "{self.text}": {problem}', hint=hint)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_term_end(self) -> bool:
        return _ends_term(self.peek())

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def parse(self) -> Selector:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.error(
                "empty selector", hint="e.g. type:Server, layer:technology, name:*crm*, +app-crm"
            )
        groups = [self.intersection(after=None)]
        while self.peek() == ",":
            comma = self.pos + 1
            self.pos += 1
            groups.append(self.intersection(after=comma))
        return groups[0] if len(groups) == 1 else Union(tuple(groups))

    def intersection(self, after: int | None) -> Selector:
        self.skip_space()
        if self.pos >= len(self.text) or self.peek() == ",":
            where = f"after the ',' at column {after}" if after else f"at column {self.pos + 1}"
            raise self.error(
                f"expected a selector {where}",
                hint="a comma separates alternatives: type:Server,type:VirtualMachine",
            )
        terms = [self.term()]
        self.skip_space()
        while self.pos < len(self.text) and self.peek() != ",":
            terms.append(self.term())
            self.skip_space()
        return terms[0] if len(terms) == 1 else Intersection(tuple(terms))

    def term(self) -> Atom:
        dependents, dependents_depth = False, None
        prefix = _PREFIX.match(self.text, self.pos)
        if prefix:
            following = self.text[prefix.end() : prefix.end() + 1]
            if following == "+":
                raise self.error(f"unexpected '+' at column {prefix.end() + 1}", hint=_PLUS_HINT)
            # "2+" alone is the element 2 with its dependencies, not a depth.
            if not _ends_term(following):
                dependents = True
                dependents_depth = self.depth(prefix[1], self.pos + 1)
                self.pos = prefix.end()
        method, key, value = self.atom()
        dependencies, dependencies_depth = False, None
        if self.peek() == "+":
            start = self.pos
            self.pos += 1
            digits = _DIGITS.match(self.text, self.pos)
            assert digits is not None  # [0-9]* always matches
            self.pos = digits.end()
            dependencies = True
            dependencies_depth = self.depth(digits[0], start + 2)
            if not self.at_term_end():
                raise self.error(
                    f"unexpected {self.peek()!r} after '+' at column {self.pos + 1}",
                    hint=_DEPTH_HINT,
                )
        if not self.at_term_end():
            raise self.error(
                f"unexpected {self.peek()!r} at column {self.pos + 1}",
                hint="separate terms with a space (both) or a comma (either)",
            )
        return Atom(
            method,
            value,
            key,
            dependents=dependents,
            dependents_depth=dependents_depth,
            dependencies=dependencies,
            dependencies_depth=dependencies_depth,
        )

    def depth(self, digits: str, column: int) -> int | None:
        if not digits:
            return None
        if int(digits) < 1:
            raise self.error(f"depth {digits} at column {column} is less than 1", hint=_DEPTH_HINT)
        return int(digits)

    def atom(self) -> tuple[Method, str | None, str]:
        start = self.pos
        while not _ends_word(self.peek()):
            self.pos += 1
        head = self.text[start : self.pos]
        if not head and self.peek() == "+":
            if _ends_term(self.text[self.pos + 1 : self.pos + 2]):
                raise self.error(
                    f"expected a selector after the '+' at column {start + 1}", _PLUS_HINT
                )
            raise self.error(f"unexpected '+' at column {start + 1}", hint=_PLUS_HINT)
        method, key, value = self.classify(head, start)
        if self.peek() == '"':
            if value:
                raise self.error(
                    f"unexpected '\"' at column {self.pos + 1}",
                    hint='quote the whole value: name:"Order Management"',
                )
            value = self.quoted()
            if not value:
                raise self.error(f"empty value at column {start + 1}", hint=_example(method))
        elif not value:
            raise self.error(f"'{head}' has no value at column {start + 1}", hint=_example(method))
        return method, key, value

    def classify(self, head: str, start: int) -> tuple[Method, str | None, str]:
        if head[:5].lower() == "attr.":
            key, equals, value = head[5:].partition("=")
            if not equals:
                raise self.error(
                    f"expected attr.KEY=VALUE at column {start + 1}", hint=_example(Method.ATTR)
                )
            if not IDENTIFIER.match(key):
                raise self.error(
                    f"{key!r} at column {start + 6} is not an attribute name",
                    hint=_example(Method.ATTR),
                )
            return Method.ATTR, key, value
        name, colon, value = head.partition(":")
        if not colon:
            return Method.ELEMENT, None, head
        found = next((m for m in _PREFIXED if m.value == name.lower()), None)
        if found is None:
            close = _did_you_mean(name, [*(m.value for m in _PREFIXED), "attr"])
            methods = "methods: type:, layer:, name:, id:, in:, attr.KEY=VALUE"
            raise self.error(
                f"unknown selector method {name!r} at column {start + 1}",
                hint=(f"{close} " if close else "") + f"{methods}; quote an id that contains ':'",
            )
        return found, None, value

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] in '"\\':
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                return "".join(chars)
            chars.append(char)
        raise self.error(
            f"unbalanced quote: the '\"' at column {start + 1} is never closed",
            hint='close it: name:"Order Management"',
        )


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt or cut-short word, ignoring case; None if nothing is close."""
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.casefold(), choice)
    key = word.casefold()
    close = [c for c in sorted(folded) if c.startswith(key) and c != key][:3]
    close = close or difflib.get_close_matches(key, list(folded), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(folded[c]) for c in close) + "?"


# -- evaluation -------------------------------------------------------------------


@dataclass
class SelectionContext:
    """What every selector method reads: the store, the metamodel, the lens, and the text for errors."""

    store: GraphStore | None  # None while only checking against the metamodel
    metamodel: Metamodel
    lens: Lens = CURRENT
    text: str = ""
    read: dict[str, Element] = field(default_factory=dict)
    """The elements the methods read on the way, by id: :func:`select_elements` hands them
    on instead of reading them again."""

    def error(
        self, problem: str, hint: str | None = None, problems: list[Problem] | None = None
    ) -> SelectorError:
        """A SelectorError naming the whole selector."""
        return SelectorError(f'selector "{self.text}": {problem}', hint=hint, problems=problems)


class SelectorMethod(ABC):
    """How one kind of atom selects elements (without its graph operators)."""

    method: ClassVar[Method]

    def __init__(self, context: SelectionContext) -> None:
        self.context = context

    @property
    def store(self) -> GraphStore:
        """The store to search; checks run without one and must not ask for it."""
        if self.context.store is None:
            raise InternalError(f"{type(self).__name__} read the store while checking")
        return self.context.store

    def check(self, atom: Atom) -> None:  # noqa: B027 - most methods have nothing to check
        """Raise SelectorError if the atom is wrong for the metamodel; no store access."""

    @abstractmethod
    def search(self, atom: Atom) -> set[ElementId]:
        """The ids of the elements the atom matches, as the lens shows them."""

    def kept(self, elements: Iterable[Element]) -> set[ElementId]:
        """The ids of ``elements``, read through the lens, which the context keeps."""
        read, ids = self.context.read, set()
        for e in elements:
            read[e.id] = e
            ids.add(e.id)
        return ids


class TypeSelector(SelectorMethod):
    """``type:Node``: elements of the type or of any subtype; type names ignore case."""

    method = Method.TYPE

    def types(self, atom: Atom) -> list[str]:
        """The type named by the atom and its subtypes."""
        mm = self.context.metamodel
        et = mm.element_type(atom.value)
        if et is None:
            raise self.context.error(
                f"unknown element type {atom.value!r}",
                hint=_did_you_mean(atom.value, mm.element_types)
                or "`ea metamodel show` lists the types",
            )
        return sorted(t for t in mm.element_types if mm.is_a(t, et.name))

    def check(self, atom: Atom) -> None:
        """The type must exist."""
        self.types(atom)

    def search(self, atom: Atom) -> set[ElementId]:
        """Elements of the type or a subtype."""
        return self.kept(self.store.find_elements(types=self.types(atom), lens=self.context.lens))


class LayerSelector(SelectorMethod):
    """``layer:technology``: elements whose type is in the layer."""

    method = Method.LAYER

    def layer(self, atom: Atom) -> str:
        """The layer named by the atom, lower-cased."""
        layer = atom.value.lower()
        if layer not in LAYERS:
            close = _did_you_mean(atom.value, LAYERS)
            raise self.context.error(
                f"unknown layer {atom.value!r}",
                hint=(f"{close} " if close else "") + "layers: " + ", ".join(LAYERS),
            )
        return layer

    def check(self, atom: Atom) -> None:
        """The layer must be one of LAYERS."""
        self.layer(atom)

    def search(self, atom: Atom) -> set[ElementId]:
        """Elements of the types in the layer."""
        types = self.context.metamodel.types_in_layer(self.layer(atom))
        if not types:
            return set()
        return self.kept(self.store.find_elements(types=types, lens=self.context.lens))


@dataclass(frozen=True)
class _AttrQuery:
    """One store query of an attribute atom: the value as some element types read it."""

    key: str
    value: Any
    is_list: bool
    types: tuple[str, ...] | None  # None: every type declaring the key reads it alike


class AttrSelector(SelectorMethod):
    """``attr.KEY=VALUE``: attribute equality, the value read as the attribute's declared type.

    An enum or a boolean matches whatever its case; a date may be written in
    any form the metamodel reads; text is compared exactly. On a list
    attribute the element's list must contain the value (or every item of
    ``"a,b"``). When element types declare KEY with different types, each is
    matched with the value read its way; it is an error only if no type can
    read it. KEY is matched exactly, then ignoring case.
    """

    method = Method.ATTR

    def queries(self, atom: Atom) -> list[_AttrQuery]:
        """The store queries the atom needs, one per distinct reading of the value."""
        assert atom.key is not None  # Atom guarantees a key for ATTR
        mm = self.context.metamodel
        declared = sorted({k for t in mm.element_types.values() for k in t.attributes})
        key = atom.key
        if key not in declared:
            key = next((k for k in declared if k.lower() == key.lower()), key)
        if key not in declared:
            raise self.context.error(
                f"no element type has an attribute {atom.key!r}",
                hint=_did_you_mean(atom.key, declared)
                or "`ea metamodel show TYPE` lists the attributes",
            )
        readings: dict[tuple[bool, Any], tuple[Any, list[str]]] = {}
        failures: list[str] = []
        for name, et in sorted(mm.element_types.items()):
            spec = et.attributes.get(key)
            if spec is None:
                continue
            try:
                value = spec.coerce(atom.value)
            except ValueError as exc:
                failures.append(str(exc))
                continue
            is_list = spec.type is AttrType.LIST
            if is_list and not value:
                failures.append("expected at least one item")
                continue
            # Keyed by type too: 1 == 1.0 == True, but they are different readings.
            reading = (is_list, tuple(value) if is_list else (type(value).__name__, value))
            readings.setdefault(reading, (value, []))[1].append(name)
        if not readings:
            kinds = sorted(
                {
                    str(t.attributes[key].type)
                    for t in mm.element_types.values()
                    if key in t.attributes
                }
            )
            raise self.context.error(
                f"attribute {key!r}: {failures[0]}",
                hint=f"{key} is declared as {' or '.join(kinds)}",
            )
        agree = len(readings) == 1 and not failures
        return [
            _AttrQuery(key, value, is_list, None if agree else tuple(types))
            for (is_list, _), (value, types) in readings.items()
        ]

    def check(self, atom: Atom) -> None:
        """The key must be declared and the value readable as its type."""
        self.queries(atom)

    def search(self, atom: Atom) -> set[ElementId]:
        """Elements whose attribute equals (or, for a list, contains) the value."""
        store, lens = self.store, self.context.lens
        found: set[ElementId] = set()
        for query in self.queries(atom):
            if not query.is_list:
                rows = store.find_elements(
                    types=query.types, attrs={query.key: query.value}, lens=lens
                )
                found |= self.kept(rows)
                continue
            # A list is stored whole and the store only tests equality; its
            # text search (which sees list items) narrows the candidates.
            wanted = set(query.value)
            longest = max(query.value, key=len)
            for e in store.find_elements(types=query.types, text=longest, lens=lens):
                items = e.attrs.get(query.key)
                if isinstance(items, list) and wanted <= {str(i) for i in items}:
                    found.add(e.id)
        return found


_GLOB = re.compile(r"[*?\[]")


class NameSelector(SelectorMethod):
    """``name:CRM`` (exact) or ``name:*crm*`` (glob: ``*``, ``?``, ``[...]``), ignoring case."""

    method = Method.NAME

    def search(self, atom: Atom) -> set[ElementId]:
        """Elements whose display name equals or matches the pattern."""
        pattern = atom.value
        if not _GLOB.search(pattern):
            return {e.id for e in _named(self.store, pattern, self.context.lens)}
        # The store's text search (id, name or attributes) narrows the candidates.
        piece = _ascii_run(pattern.split("[", 1)[0], glob=True)
        folded = pattern.casefold()
        return {
            e.id
            for e in _containing(self.store, piece, self.context.lens)
            if fnmatch.fnmatchcase(e.name.casefold(), folded)
        }


def _named(store: GraphStore, name: str, lens: Lens) -> list[Element]:
    """The elements called ``name``, ignoring case, non-ASCII letters included."""
    if name.isascii():
        return store.elements_named([name], lens).get(name.casefold(), [])
    # The store folds ASCII case only; compare here, after its text search.
    folded = name.casefold()
    return [e for e in _containing(store, _ascii_run(name), lens) if e.name.casefold() == folded]


def _containing(store: GraphStore, text: str, lens: Lens) -> Iterable[Element]:
    """Elements whose id, name or attributes contain ``text`` (ASCII case ignored); all if empty."""
    return store.find_elements(text=text, lens=lens) if text else store.iter_elements(lens)


def _ascii_run(text: str, *, glob: bool = False) -> str:
    """The longest run of ``text`` that is plain ASCII (and no glob wildcard): what the store can search.

    The store ignores case for ASCII letters only, so a run with other
    letters could miss a name that differs only in their case. Callers cut
    a glob at its first ``[``, bracket sets being subtle to split.
    """
    runs = re.split(r"[*?]|[^\x00-\x7f]" if glob else r"[^\x00-\x7f]", text)
    return max(runs, key=len)


def elements_called(store: GraphStore, text: str, lens: Lens = EVERYTHING) -> list[Element]:
    """The elements ``text`` refers to, as ``lens`` shows them: the element with this id,
    else every element with this display name (ignoring case).

    One element is the answer; several mean an ambiguous name; none, that nothing
    visible is called so. An id the lens hides (a retired element) refers to
    nothing, whatever visible element bears it as a name.

    >>> # elements_called(store, "WMS Reflex", CURRENT)  # [Element(id='app-wms', ...)]
    """
    by_id = store.get_elements([text], EVERYTHING).get(text)
    if by_id is not None:
        return [by_id] if by_id.status in lens.statuses else []
    return _named(store, text, lens)


NAMESAKE_FACTS = 5
"""How many of the facts that tell namesakes apart each candidate shows."""

_TELLING_FIRST = ("location", "serial_number", "source", "status", "environment", "hostname")
"""Among facts with as many distinct values, those people tell CIs apart by come first."""


def ambiguous_name(store: GraphStore, text: str, named: Iterable[Element]) -> NotFoundError:
    """The error of a name several elements bear: every one of them, by id, with what
    tells it apart from the others (see :func:`namesakes`).

    >>> # ambiguous_name(store, "MacBook Pro 17\"", called).problems[0]
    >>> # Problem('mbp-0001 (Device): serial_number=C02FK1, location=London')
    """
    candidates = list(named)
    return NotFoundError(
        f"{len(candidates)} elements are named {text!r}",
        hint="use one of these ids instead of the name (`ea show ID` shows one in full)",
        problems=namesakes(store, candidates),
    )


def namesakes(store: GraphStore, named: Iterable[Element]) -> list[Problem]:
    """One line per element of an ambiguous name, ordered by id: its id, its type, and
    the facts whose values differ between them (attributes, the sources asserting
    it, its status), those with the most distinct values first (then location,
    serial number, source...), at most :data:`NAMESAKE_FACTS` of them; ``(none)``
    where an element lacks one."""
    elements = sorted(named, key=lambda e: e.id)
    sources: dict[str, list[str]] = {}
    for assertion in store.assertions("element", [e.id for e in elements]):
        sources.setdefault(assertion.item_id, []).append(assertion.source)
    facts = [
        {
            **{k: _fact(v) for k, v in e.attrs.items() if v not in (None, "", [])},
            "source": ", ".join(sorted(sources.get(e.id, ()))) or None,
            "status": str(e.status),
        }
        for e in elements
    ]
    distinct = {key: len({f.get(key) for f in facts}) for f in facts for key in f}
    first = {k: i for i, k in enumerate(_TELLING_FIRST)}
    telling = sorted(
        (k for k, n in distinct.items() if n > 1),
        key=lambda k: (-distinct[k], first.get(k, len(first)), k),
    )
    telling = telling[:NAMESAKE_FACTS]
    lines = []
    for e, fact in zip(elements, facts, strict=True):
        shown = ", ".join(f"{k}={fact.get(k) or '(none)'}" for k in telling)
        lines.append(Problem(f"{e.id} ({e.type})" + (f": {shown}" if shown else "")))
    return lines


def _fact(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def suggest_elements(store: GraphStore, word: str) -> str | None:
    """A 'did you mean' hint of ids and names near ``word``, retired ones included; None if none is near
    (nothing is near a blank word)."""
    if not word.strip():
        return None
    near: dict[str, Element] = {}
    for probe in dict.fromkeys((word, word[: max(3, len(word) // 2)])):
        for e in store.find_elements(text=probe, lens=EVERYTHING, limit=200):
            near[e.id] = e
    return _did_you_mean(word, [*near, *(e.name for e in near.values())])


class _ReferenceSelector(SelectorMethod):
    """Shared by ``id:`` and the bare word: a reference to one element."""

    def hidden(self, element_id: str) -> bool:
        """Whether the element exists but the lens hides it (a retired element)."""
        return element_id in self.store.get_elements([element_id], EVERYTHING)

    def suggestions(self, word: str) -> str | None:
        """'did you mean' ids and names near ``word``, retired ones included."""
        return suggest_elements(self.store, word)


class IdSelector(_ReferenceSelector):
    """``id:app-crm``: the element with exactly this id (no name lookup)."""

    method = Method.ID

    def search(self, atom: Atom) -> set[ElementId]:
        """The element, or nothing if the lens hides it; an unknown id is an error."""
        store, lens = self.store, self.context.lens
        if atom.value in store.get_elements([atom.value], lens):
            return {ElementId(atom.value)}
        if self.hidden(atom.value):
            return set()
        named = _named(store, atom.value, EVERYTHING)
        hint = (
            f"{atom.value!r} is the name of {', '.join(e.id for e in named)}; "
            "without 'id:' a unique name is accepted"
            if named
            else self.suggestions(atom.value)
        )
        raise self.context.error(f"no element with id {atom.value!r}", hint=hint)


class ElementSelector(_ReferenceSelector):
    """A bare word: the element with this id or, failing that, this unique name (ignoring case).

    A retired element resolves to nothing rather than an error, so a saved
    view keeps working when something it names is retired.
    """

    method = Method.ELEMENT

    def search(self, atom: Atom) -> set[ElementId]:
        """The element referred to; unknown or ambiguous references are errors."""
        store, lens, value = self.store, self.context.lens, atom.value
        called = elements_called(store, value, lens)
        if len(called) == 1:
            return {called[0].id}
        if called:
            error = ambiguous_name(store, value, called)
            raise self.context.error(error.message, hint=error.hint, problems=error.problems)
        if lens != EVERYTHING and elements_called(store, value, EVERYTHING):
            return set()
        hint = self.suggestions(value)
        if _GLOB.search(value):
            hint = f"to match names by pattern, write name:{value}"
        raise self.context.error(
            f"no element with id or name {value!r}",
            hint=hint or "`ea find TEXT` searches ids, names and attributes",
        )


class InSelector(ElementSelector):
    """``in:"DC Lyon Sud"``: the element referred to and what is hosted in it (see
    :func:`~ea_repo.analysis.hosting.hosted_in`): what stands on it wholly through the
    relationship types the metamodel marks ``hosting: true``."""

    method = Method.IN

    def check(self, atom: Atom) -> None:
        """The metamodel must mark at least one relationship type as hosting."""
        if not self.context.metamodel.hosting_types:
            raise self.context.error(
                f"in:{_quote(atom.value)} needs hosting relationships, and the metamodel "
                "marks none",
                hint="mark the types that place an element (runs_on, located_in...) "
                "with `hosting: true`",
            )

    def search(self, atom: Atom) -> set[ElementId]:
        """The element and what stands wholly on it; unknown or ambiguous references are errors."""
        places = super().search(atom)
        return hosted_in(self.store, self.context.metamodel, places, lens=self.context.lens)


METHODS: Mapping[Method, type[SelectorMethod]] = {
    cls.method: cls
    for cls in (
        TypeSelector,
        LayerSelector,
        AttrSelector,
        NameSelector,
        IdSelector,
        InSelector,
        ElementSelector,
    )
}
"""The method class evaluating each kind of atom."""


@dataclass
class _Evaluator:
    context: SelectionContext
    methods: dict[Method, SelectorMethod] = field(default_factory=dict)
    cache: dict[Atom, set[ElementId]] = field(default_factory=dict)

    def method(self, atom: Atom) -> SelectorMethod:
        if atom.method not in self.methods:
            self.methods[atom.method] = METHODS[atom.method](self.context)
        return self.methods[atom.method]

    def check(self, selector: Selector) -> None:
        for atom in selector.atoms():
            self.method(atom).check(atom)

    def ids(self, selector: Selector) -> set[ElementId]:
        if isinstance(selector, Atom):
            if selector not in self.cache:
                self.cache[selector] = self.atom(selector)
            return set(self.cache[selector])
        if isinstance(selector, Union):
            found: set[ElementId] = set()
            for part in selector.parts:
                found |= self.ids(part)
            return found
        if isinstance(selector, Intersection):
            common = self.ids(selector.parts[0])
            for part in selector.parts[1:]:
                common &= self.ids(part)
            return common
        raise TypeError(f"not a selector: {selector!r}")

    def atom(self, atom: Atom) -> set[ElementId]:
        method = self.method(atom)
        matches = method.search(atom)
        selected = set(matches)
        for wanted, way, depth in (
            (atom.dependents, Way.IMPACT, atom.dependents_depth),
            (atom.dependencies, Way.DEPENDENCIES, atom.dependencies_depth),
        ):
            if wanted and matches:
                # Structural dependence: a cluster member's dependents depend on
                # it even though the cluster survives its loss (that nuance is
                # the impact analysis's, not the selector's).
                result = traverse(
                    method.store,
                    self.context.metamodel,
                    sorted(matches),
                    way=way,
                    max_depth=depth,
                    lens=self.context.lens,
                    redundancy=False,
                )
                selected |= result.reached.keys()
        return selected


def _as_selector(selector: Selector | str) -> tuple[Selector, str]:
    if isinstance(selector, str):
        return parse_selector(selector), selector
    return selector, selector.to_text()


def check_selector(selector: Selector | str, metamodel: Metamodel) -> Selector:
    """Parse (if text) and check a selector against the metamodel, without reading elements.

    Unknown types, layers and attributes and unreadable attribute values raise
    SelectorError; element references are only resolved by :func:`select`.
    Returns the tree, for a view spec to keep.
    """
    tree, text = _as_selector(selector)
    context = SelectionContext(store=None, metamodel=metamodel, text=text)
    _Evaluator(context).check(tree)
    return tree


def select_ids(
    store: GraphStore,
    metamodel: Metamodel,
    selector: Selector | str,
    *,
    lens: Lens = CURRENT,
) -> set[ElementId]:
    """The ids of the elements a selector selects, as ``lens`` shows them (active only by default).

    Raises SelectorError for malformed text, for an unknown type, layer or
    attribute (before any element is read), and for an unknown or ambiguous
    element reference.

    >>> # select_ids(store, mm, "type:Application +srv-db01")  # applications hit by srv-db01
    """
    return _selected(store, metamodel, selector, lens).ids


def _selected(
    store: GraphStore, metamodel: Metamodel, selector: Selector | str, lens: Lens
) -> _Selected:
    tree, text = _as_selector(selector)
    context = SelectionContext(store, metamodel, lens, text)
    evaluator = _Evaluator(context)
    evaluator.check(tree)
    return _Selected(evaluator.ids(tree), context.read)


@dataclass(frozen=True)
class _Selected:
    ids: set[ElementId]
    read: dict[str, Element]  # what the methods read on the way, some not selected


def select_elements(
    store: GraphStore,
    metamodel: Metamodel,
    selector: Selector | str,
    *,
    lens: Lens = CURRENT,
) -> dict[str, Element]:
    """The elements a selector selects, by id in id order; see :func:`select_ids`.

    The elements its atoms read (types, layers, attribute values) are handed
    on as read; only those found otherwise (references, graph operators) are
    read again, in one call.
    """
    selected = _selected(store, metamodel, selector, lens)
    read = dict(selected.read)
    missing = selected.ids - read.keys()
    if missing:
        read.update(store.get_elements(missing, lens))
    return {i: read[i] for i in sorted(selected.ids) if i in read}


def select(
    store: GraphStore,
    metamodel: Metamodel,
    selector: Selector | str,
    *,
    lens: Lens = CURRENT,
) -> list[Element]:
    """The elements a selector selects, ordered by id; see :func:`select_ids`."""
    return list(select_elements(store, metamodel, selector, lens=lens).values())
