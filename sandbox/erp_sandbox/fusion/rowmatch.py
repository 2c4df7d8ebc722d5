"""Framework version 2+ ``q``: row-match expressions.

Grammar (keywords case-insensitive)::

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expression ")" | comparison
    comparison := operand ( OP literal
                          | "is" ["not"] "null"
                          | ["not"] "like" literal
                          | ["not"] "between" literal "and" literal
                          | ["not"] "in" "(" literal ("," literal)* ")" )
    operand    := ATTRIBUTE | ("upper" | "lower") "(" ATTRIBUTE ")"
    literal    := 'text' | NUMBER | ("upper" | "lower") "(" 'text' ")"
    OP         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="

``ATTRIBUTE`` is ``Name`` or ``child.Name``; a quote inside text is doubled (``'O''Brien'``).
Anything else, such as version 1's ``A=1;B=2``, is a syntax error (reference B2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from erp_sandbox.fusion.predicates import AllOf, AnyOf, Comparison, Condition, Negation

KEYWORDS = {"and", "or", "not", "is", "null", "like", "between", "in", "upper", "lower"}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<text>'(?:[^']|'')*')
    |(?P<number>-?\d+(?:\.\d+)?(?![\w.]))
    |(?P<op><=|>=|<>|!=|=|<|>)
    |(?P<punct>[(),])
    |(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)
    """,
    re.VERBOSE,
)


class RowMatchSyntaxError(ValueError):
    """The text is not a row-match expression."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    @property
    def word(self) -> str:
        """The lower-cased text of a name token ("" otherwise)."""
        return self.text.lower() if self.kind == "name" else ""


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found:
            raise RowMatchSyntaxError(f"unexpected {text[position]!r} at {position}")
        kind = found.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, found.group()))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise RowMatchSyntaxError("unexpected end of the expression")
        self.index += 1
        return token

    def accept_word(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.word == word:
            self.index += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text.lower() != text):
            raise RowMatchSyntaxError(f"expected {text or kind}, found {token.text!r}")
        return token

    def parse(self) -> Condition:
        condition = self.expression()
        if self.peek() is not None:
            raise RowMatchSyntaxError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return condition

    def expression(self) -> Condition:
        parts = [self.term()]
        while self.accept_word("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def term(self) -> Condition:
        parts = [self.factor()]
        while self.accept_word("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def factor(self) -> Condition:
        if self.accept_word("not"):
            return Negation(self.factor())
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.expression()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def attribute(self) -> tuple[str, str | None]:
        token = self.take()
        if token.word in ("upper", "lower"):
            self.expect("punct", "(")
            name = self.attribute_name()
            self.expect("punct", ")")
            return name, token.word
        self.index -= 1
        return self.attribute_name(), None

    def attribute_name(self) -> str:
        token = self.take()
        if token.kind != "name" or token.word in KEYWORDS:
            raise RowMatchSyntaxError(f"expected an attribute, found {token.text!r}")
        return token.text

    def literal(self) -> str:
        token = self.take()
        if token.word in ("upper", "lower"):
            self.expect("punct", "(")
            value = self.literal()
            self.expect("punct", ")")
            return value.upper() if token.word == "upper" else value.lower()
        if token.kind == "text":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "number":
            return token.text
        raise RowMatchSyntaxError(f"expected a value, found {token.text!r}")

    def comparison(self) -> Comparison:
        name, function = self.attribute()
        token = self.take()
        if token.kind == "op":
            op = "!=" if token.text == "<>" else token.text
            return Comparison(name, op, (self.literal(),), function=function)
        if token.word == "is":
            negated = self.accept_word("not")
            self.expect("name", "null")
            return Comparison(name, "is null", negated=negated, function=function)
        negated = token.word == "not"
        if negated:
            token = self.take()
        if token.word == "like":
            return Comparison(name, "like", (self.literal(),), negated, function)
        if token.word == "between":
            low = self.literal()
            self.expect("name", "and")
            return Comparison(name, "between", (low, self.literal()), negated, function)
        if token.word == "in":
            self.expect("punct", "(")
            values = [self.literal()]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                values.append(self.literal())
            self.expect("punct", ")")
            return Comparison(name, "in", tuple(values), negated, function)
        raise RowMatchSyntaxError(f"expected a comparison after {name}, found {token.text!r}")


def parse_rowmatch(text: str) -> Condition:
    """The condition of a version 2+ ``q``; raises :class:`RowMatchSyntaxError`."""
    if not text.strip():
        raise RowMatchSyntaxError("empty query")
    return _Parser(text).parse()
