"""OWL 2 Functional Syntax: the streaming reader from tokens to axioms.

:class:`FunctionalReader` consumes a token stream (``._ofn_lex.raw_tokens``) with one
token of lookahead and an explicit stack of open forms, and yields each axiom as soon as
its closing ``)`` is read -- at the top level or directly inside ``Ontology(...)`` -- so a
document is never held as tokens or as one term. ``Prefix(...)`` forms declare prefixes
as they are met.

Errors: with ``strict=True`` the first syntax error raises ``ParseError`` (machine
formats). With ``strict=False`` (Logseq fences) it is recorded in :attr:`errors` and the
reader skips the rest of the broken axiom -- up to the ``)`` that closes it, or up to the
next line that starts an axiom (an axiom keyword as the first token of a line while an
axiom is still open means that axiom was never closed) -- and goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from .._errors import ParseError
from .._owl import IRI, Expr, Integer, Literal, Term, render
from ._canonical import transform
from ._ofn_lex import (
    AXIOM_KEYWORDS,
    DTYPE,
    EQUALS,
    ERROR,
    IRIREF,
    LANG,
    LPAREN,
    NAME,
    NUMBER,
    PNAME,
    RPAREN,
    STRING,
    NameResolver,
    RawToken,
)
from ._ofn_lex import unescape as _unescape

_HASKEY_LIST = "HasKey"
#: The forms whose ')' makes no expression (see _close).
_NOT_EXPRS = frozenset({"Prefix", "Ontology"})
_BARE_LIST = "'(' must be followed by a name, as in (SubClassOf A B)"


class _Frame:
    __slots__ = ("args", "line", "name", "tokens")

    def __init__(self, name: str, line: int) -> None:
        self.name = sys.intern(name)  # shared by the axioms and rows named after it
        self.line = line
        self.args: list[Term] = []
        self.tokens: list[RawToken] = []  # the p: = <iri> of a Prefix(...)


class _Broken(Exception):  # noqa: N818 -- internal signal: the current axiom is broken
    def __init__(self, reason: str, line: int, opened: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.line, self.opened = reason, line, opened


class FunctionalReader:
    """Reads the axioms of one Functional Syntax text (see the module docstring).

    ``late_prefixes``: an axiom naming a prefix not declared (yet) is held back and
    resolved at the end, so a ``Prefix`` declared after its first use still applies;
    without it, names are resolved by the prefixes known when they are read (the Logseq
    parser declares a page's prefixes before reading it)."""

    def __init__(
        self,
        path: str,
        tokens: Iterator[RawToken],
        names: NameResolver,
        *,
        strict: bool = True,
        late_prefixes: bool = False,
    ) -> None:
        self.path = path
        self.strict = strict
        self.errors: list[ParseError] = []
        self.warnings: list[str] = []
        self._tokens = tokens
        self._names = names
        self._late = late_prefixes
        self._stack: list[_Frame] = []
        self._ahead: list[RawToken] = []  # pushed-back tokens, the next one last
        self._last_line = 0
        self._misses = names.misses
        self._held: list[tuple[Expr, int]] = []

    # -- tokens -----------------------------------------------------------------------
    def _next(self) -> RawToken | None:
        if self._ahead:
            return self._ahead.pop()
        return next(self._tokens, None)

    def _peek(self) -> RawToken | None:
        if not self._ahead:
            token = next(self._tokens, None)
            if token is None:
                return None
            self._ahead.append(token)
        return self._ahead[-1]

    # -- the loop -----------------------------------------------------------------------
    def axioms(self) -> Iterator[tuple[Expr, int]]:
        """Each axiom (``Import``/``Annotation`` of an ontology included) with the line
        its form starts on; ``Ontology(...)`` itself is unwrapped."""
        # the hot loop: names bound once; the commonest tokens handled here without a
        # call -- a prefixed name inside a form (looked up in the resolver's cache
        # first), ``Name(`` opening a form, and a ')' closing one -- and an axiom that
        # names no unknown prefix given out here; the rest goes through _step. (Measured:
        # the reader's time over the benchmark's Logseq fences 20.8 ms -> 19.0 ms)
        ahead, tokens, stack, step = self._ahead, self._tokens, self._stack, self._step
        term, known, names, close = (
            self._names.term,
            self._names.known.get,
            self._names,
            self._close,
        )
        keywords, last_line = AXIOM_KEYWORDS, self._last_line
        while True:
            token = ahead.pop() if ahead else next(tokens, None)
            if token is None:
                break
            kind, text, line = token
            starts_line = line != last_line
            last_line = line
            if stack:
                top = stack[-1]
                if kind == PNAME and top.name != "Prefix":
                    iri = known(text)
                    top.args.append(term(text) if iri is None else iri)
                    continue
                if kind == RPAREN and top.name not in _NOT_EXPRS:
                    del stack[-1]
                    expr = Expr(top.name, tuple(top.args))
                    if stack and stack[-1].name != "Ontology":
                        stack[-1].args.append(expr)
                        continue
                    if names.misses == self._misses or self._emits(expr, top.line):
                        yield expr, top.line
                    continue
            if kind == NAME:
                # ``Name(`` opens a form (as in _step, the '(' does not move last_line)
                following = ahead.pop() if ahead else next(tokens, None)
                if following is not None and following[0] == LPAREN:
                    if starts_line and stack and text in keywords:
                        self._open(text, line, starts_line)  # it may close an unclosed one
                    else:
                        stack.append(_Frame(text, line))
                    continue
                if following is not None:
                    ahead.append(following)
            try:
                done = close(stack.pop()) if kind == RPAREN and stack else step(token, starts_line)
            except _Broken as broken:
                self._last_line = last_line
                self._fail(broken)
                last_line = self._last_line
                continue
            if done is None:
                continue
            if names.misses == self._misses or self._emits(*done):
                yield done
        self._last_line = last_line
        self._finish()
        for expr, line in self._held:
            resolved = transform(expr, self._names.retry)
            assert isinstance(resolved, Expr)
            yield resolved, line

    def _step(self, token: RawToken, starts_line: bool) -> tuple[Expr, int] | None:
        kind, text, line = token
        stack = self._stack
        if kind == ERROR:
            raise _Broken(text, line)
        if kind == LPAREN:
            if self._opens_list():
                stack.append(_Frame("", line))
                return None
            following = self._next()
            if following is None or following[0] != NAME:
                if following is not None:
                    self._ahead.append(following)
                raise _Broken(_BARE_LIST, line, opened=1)
            self._open(following[1], line, starts_line)
            return None
        if kind == NAME:
            following = self._next()
            if following is None or following[0] != LPAREN:
                if following is not None:
                    self._ahead.append(following)
                raise _Broken(f"expected '(' after {text}", line)
            self._open(text, line, starts_line)
            return None
        if kind == RPAREN:
            if not stack:
                raise _Broken("unbalanced ')'", line)
            return self._close(stack.pop())
        if not stack:
            raise _Broken(f"unexpected {text!r} outside an axiom", line)
        top = stack[-1]
        if top.name == "Prefix":
            top.tokens.append(token)
        else:
            top.args.append(self._leaf(token))
        return None

    def _opens_list(self) -> bool:
        """Whether the ``(`` just read opens one of ``HasKey``'s two property lists: it
        does unless a Lisp form ``(Name arg ...)`` starts there (``(Name(`` opens a list
        whose first member is written ``Name(...)``)."""
        if not self._stack or self._stack[-1].name != _HASKEY_LIST:
            return False
        following = self._peek()
        if following is None or following[0] != NAME:
            return True
        self._ahead.pop()
        after = self._peek()
        self._ahead.append(following)
        return after is not None and after[0] == LPAREN

    def _base(self) -> int:
        """How many open forms are not part of an axiom (an enclosing ``Ontology``)."""
        return 1 if self._stack and self._stack[0].name == "Ontology" else 0

    def _open(self, name: str, line: int, starts_line: bool) -> None:
        stack = self._stack
        # a keyword starting a line while an axiom is open: that axiom was never closed
        if starts_line and stack and name in AXIOM_KEYWORDS and len(stack) > self._base():
            base = self._base()
            unclosed = stack[base]
            del stack[base:]
            self._report(f"'(' of {unclosed.name} is never closed", unclosed.line)
        stack.append(_Frame(name, line))

    def _close(self, frame: _Frame) -> tuple[Expr, int] | None:
        if frame.name == "Prefix":
            self._declare(frame)
            return None
        if frame.name == "Ontology":
            for arg in frame.args:
                if not isinstance(arg, IRI):
                    self.warnings.append(f"ignored {render(arg)} in Ontology(...)")
            return None
        expr = Expr(frame.name, tuple(frame.args))
        if not self._stack or self._stack[-1].name == "Ontology":
            return expr, frame.line
        self._stack[-1].args.append(expr)
        return None

    def _declare(self, frame: _Frame) -> None:
        parts = frame.tokens
        kinds = tuple(t[0] for t in parts)
        if kinds != (PNAME, EQUALS, IRIREF) or not parts[0][1].endswith(":"):
            raise _Broken("malformed prefix declaration: expected Prefix(p:=<iri>)", frame.line)
        self._names.declare(parts[0][1][:-1], parts[2][1][1:-1], parts[0][2])

    def _leaf(self, token: RawToken) -> Term:
        kind, text, line = token
        if kind == IRIREF:
            return IRI(sys.intern(text[1:-1]))
        if kind == PNAME:
            return self._names.term(text)
        if kind == NUMBER:
            return Integer(int(text))
        if kind == STRING:
            return self._literal(text)
        raise _Broken(f"unexpected {text!r}", line)

    def _literal(self, text: str) -> Literal:
        lexical = _unescape(text[1:-1])
        following = self._peek()
        if following is not None and following[0] == LANG:
            self._next()
            return Literal(lexical, lang=following[1][1:])
        if following is not None and following[0] == DTYPE:
            self._next()
            datatype = self._next()
            if datatype is not None and datatype[0] == IRIREF:
                return Literal(lexical, datatype=datatype[1][1:-1])
            if datatype is not None and datatype[0] == PNAME:
                iri = self._names.term(datatype[1])
                if isinstance(iri, IRI):
                    return Literal(lexical, datatype=iri.value)
            if datatype is not None:
                self._ahead.append(datatype)
            raise _Broken("expected a datatype IRI after '^^'", following[2])
        return Literal(lexical)

    def _emits(self, expr: Expr, line: int) -> bool:
        """Whether axiom ``expr`` is given out now (else it is held until the end)."""
        missed, self._misses = self._names.misses != self._misses, self._names.misses
        if self._late and missed:
            self._held.append((expr, line))  # a later Prefix(...) may still resolve its names
            return False
        return True

    # -- errors -------------------------------------------------------------------------
    def _report(self, reason: str, line: int) -> None:
        error = ParseError(self.path, reason, line=line)
        if self.strict:
            raise error
        self.errors.append(error)

    def _fail(self, broken: _Broken) -> None:
        """Report ``broken``; skip the rest of the axiom it happened in."""
        self._report(broken.reason, broken.line)
        base = self._base()
        unclosed = len(self._stack) - base + broken.opened
        del self._stack[base:]
        self._skip(unclosed)
        self._misses = self._names.misses

    def _skip(self, unclosed: int) -> None:
        while unclosed > 0 and (token := self._next()) is not None:
            starts_line = token[2] != self._last_line
            self._last_line = token[2]
            if starts_line and self._starts_axiom(token):
                self._ahead.append(token)
                self._last_line = token[2] - 1
                return
            if token[0] == LPAREN:
                unclosed += 1
            elif token[0] == RPAREN:
                unclosed -= 1

    def _starts_axiom(self, token: RawToken) -> bool:
        if token[0] == NAME:
            return token[1] in AXIOM_KEYWORDS
        if token[0] != LPAREN:
            return False
        following = self._peek()
        return following is not None and following[0] == NAME and following[1] in AXIOM_KEYWORDS

    def _finish(self) -> None:
        if not self._stack:
            return
        base = 0 if self.strict else min(self._base(), len(self._stack) - 1)
        unclosed = self._stack[base]
        self._stack.clear()
        self._report(f"'(' of {unclosed.name} is never closed", unclosed.line)


__all__ = ["FunctionalReader"]
