"""Tokens of Go's text/template: text, actions (``{{ }}``), trim markers and comments."""

from __future__ import annotations

from dataclasses import dataclass

from kaiun.templating.errors import TemplateParseError

KEYWORDS = frozenset(
    [
        "block",
        "break",
        "continue",
        "define",
        "else",
        "end",
        "if",
        "range",
        "nil",
        "template",
        "with",
    ]
)
_SPACE = " \t\r\n"
_TERMINATORS = frozenset(" \t\r\n.,|:)(")
_PUNCT = {"=": "assign", ":": "declare", "|": "pipe", ",": "comma", "(": "lparen", ")": "rparen"}


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical item; ``pos`` is the byte-ish offset Go reports columns from."""

    kind: str
    val: str
    pos: int
    line: int


class Lexer:
    """Turns template text into a list of tokens (eagerly; templates are small)."""

    def __init__(self, name: str, text: str, left: str = "{{", right: str = "}}") -> None:
        self.name = name
        self.text = text
        self.left = left
        self.right = right
        self.tokens: list[Token] = []
        self.pos = 0
        self.line = 1
        self.paren = 0

    def fail(self, msg: str) -> TemplateParseError:
        return TemplateParseError(f"template: {self.name}:{self.line}: {msg}")

    def emit(self, kind: str, start: int, end: int) -> None:
        val = self.text[start:end]
        self.tokens.append(Token(kind, val, start, self.line))
        self.line += val.count("\n")

    def run(self) -> list[Token]:
        text, left = self.text, self.left
        while True:
            j = text.find(left, self.pos)
            if j < 0:
                if self.pos < len(text):
                    self.emit("text", self.pos, len(text))
                break
            after = j + len(left)
            trim = (
                text.startswith("-", after) and after + 1 < len(text) and text[after + 1] in _SPACE
            )
            end = j
            if trim:
                while end > self.pos and text[end - 1] in _SPACE:
                    end -= 1
            if end > self.pos:
                self.emit("text", self.pos, end)
            self.line += text.count("\n", end, j)
            self.pos = after + (2 if trim else 0)
            if text.startswith("/*", self.pos):
                self.comment()
            else:
                self.tokens.append(Token("left", left, j, self.line))
                self.action()
        self.tokens.append(Token("eof", "", len(text), self.line))
        return self.tokens

    def _skip_after_right(self, trim: bool) -> None:
        if trim:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1

    def comment(self) -> None:
        end = self.text.find("*/", self.pos)
        if end < 0:
            raise self.fail("unclosed comment")
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end + 2
        trim, ok = self.at_right()
        if not ok:
            raise self.fail("comment ends before closing delimiter")
        self.pos += len(self.right) + (2 if trim else 0)
        self._skip_after_right(trim)

    def at_right(self) -> tuple[bool, bool]:
        t, p = self.text, self.pos
        if (
            p + 1 < len(t)
            and t[p] in _SPACE
            and t[p + 1] == "-"
            and t.startswith(self.right, p + 2)
        ):
            return True, True
        return False, t.startswith(self.right, p)

    def action(self) -> None:
        t = self.text
        while True:
            trim, at = self.at_right()
            if at and self.paren == 0:
                start = self.pos
                self.pos += len(self.right) + (2 if trim else 0)
                self.tokens.append(Token("right", self.right, start, self.line))
                self._skip_after_right(trim)
                return
            if self.pos >= len(t):
                raise self.fail("unclosed action")
            c = t[self.pos]
            if c in _SPACE:
                start = self.pos
                while self.pos < len(t) and t[self.pos] in _SPACE:
                    if self.at_right()[0]:
                        break
                    self.pos += 1
                self.emit("space", start, self.pos)
            elif c in _PUNCT:
                self.punctuation(c)
            else:
                self.operand(c)

    def punctuation(self, c: str) -> None:
        start = self.pos
        if c == ":":
            if not self.text.startswith(":=", self.pos):
                raise self.fail("expected :=")
            self.pos += 2
            self.emit("declare", start, self.pos)
            return
        self.pos += 1
        if c == "(":
            self.paren += 1
        elif c == ")":
            self.paren -= 1
            if self.paren < 0:
                raise self.fail(f"unexpected right paren {_rune(c)}")
        self.emit(_PUNCT[c], start, self.pos)

    def operand(self, c: str) -> None:
        t = self.text
        start = self.pos
        if c == '"':
            self.quote()
        elif c == "`":
            end = t.find("`", self.pos + 1)
            if end < 0:
                raise self.fail("unterminated raw quoted string")
            self.pos = end + 1
            self.emit("rawstring", start, self.pos)
        elif c == "'":
            self.char()
        elif c == "$":
            self.pos += 1
            self.word()
            self.emit("variable", start, self.pos)
            self.check_terminator()
        elif c == "." and not (self.pos + 1 < len(t) and t[self.pos + 1].isdigit()):
            self.pos += 1
            self.word()
            self.emit("field" if self.pos - start > 1 else "dot", start, self.pos)
            self.check_terminator()
        elif c in "+-." or c.isdigit():
            self.number()
        elif c.isalpha() or c == "_":
            self.word()
            w = t[start : self.pos]
            kind = "keyword" if w in KEYWORDS else "identifier"
            if w in ("true", "false"):
                kind = "bool"
            self.emit("nil" if w == "nil" else kind, start, self.pos)
            self.check_terminator()
        elif c.isascii() and c.isprintable():
            # Go lexes stray printable ASCII as a token, so the parser names it in context.
            self.pos += 1
            self.emit("punct", start, self.pos)
        else:
            raise self.fail(f"unrecognized character in action: {_rune(c)}")

    def word(self) -> None:
        t = self.text
        while self.pos < len(t) and (t[self.pos].isalnum() or t[self.pos] == "_"):
            self.pos += 1

    def check_terminator(self) -> None:
        t = self.text
        if self.pos >= len(t) or t[self.pos] in _TERMINATORS:
            return
        if t.startswith(self.right, self.pos):
            return
        raise self.fail(f"bad character {_rune(t[self.pos])}")

    def quote(self) -> None:
        t = self.text
        p = self.pos + 1
        while True:
            if p >= len(t) or t[p] == "\n":
                raise self.fail("unterminated quoted string")
            if t[p] == "\\":
                p += 2
                continue
            if t[p] == '"':
                break
            p += 1
        start = self.pos
        self.pos = p + 1
        self.emit("string", start, self.pos)

    def char(self) -> None:
        t = self.text
        p = self.pos + 1
        while True:
            if p >= len(t) or t[p] == "\n":
                raise self.fail("unterminated character constant")
            if t[p] == "\\":
                p += 2
                continue
            if t[p] == "'":
                break
            p += 1
        start = self.pos
        self.pos = p + 1
        self.emit("char", start, self.pos)

    def number(self) -> None:
        """Go's ``scanNumber``: sign, base prefix, digits, fraction, exponent, no trailing alnum."""
        t = self.text
        start = p = self.pos

        def run(chars: str, at: int) -> int:
            while at < len(t) and t[at] in chars:
                at += 1
            return at

        if p < len(t) and t[p] in "+-":
            p += 1
        digits = "0123456789_"
        if t.startswith("0", p):
            p += 1
            prefix = t[p : p + 1].lower()
            if prefix and prefix in "xob":
                p += 1
                digits = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}[prefix]
        p = run(digits, p)
        if t.startswith(".", p):
            p = run(digits, p + 1)
        if digits == "0123456789_" and p < len(t) and t[p] in "eE":
            p = run("0123456789_", p + 1 + (t[p + 1 : p + 2] in ("+", "-")))
        if len(digits) == 23 and p < len(t) and t[p] in "pP":
            p = run("0123456789_", p + 1 + (t[p + 1 : p + 2] in ("+", "-")))
        if p < len(t) and t[p] == "i":
            p += 1
        if p < len(t) and (t[p].isalnum() or t[p] == "_"):
            raise self.fail(f'bad number syntax: "{t[start : p + 1]}"')
        self.pos = p
        self.emit("number", start, p)


def _rune(c: str) -> str:
    return f"U+{ord(c):04X} '{c}'"
