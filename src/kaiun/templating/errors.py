"""The templating room's exception tree.

::

    TemplatingError
    ├── TemplateError            Go text/template
    │   ├── TemplateParseError   ``template: name:line: ...``
    │   └── TemplateExecError    ``template: name:line:col: executing "name" at <...>: ...``
    ├── FastTemplateError        legacy ``{{param}}`` substitution
    └── ExprError                expr-lang
        ├── ExprSyntaxError      compile time, points at the column
        └── ExprRuntimeError     evaluation time
"""

from __future__ import annotations


class TemplatingError(Exception):
    """Base of every error the templating room raises."""


class TemplateError(TemplatingError):
    """A Go template failed to parse or execute; the message is Go's."""


class TemplateParseError(TemplateError):
    """The template text is not a valid Go template."""


class TemplateExecError(TemplateError):
    """The template parsed but failed while executing against data."""


class FastTemplateError(TemplatingError):
    """A legacy ``{{param}}`` template could not be rendered."""


class ExprError(TemplatingError):
    """An expr-lang expression failed to compile or run."""


class ExprSyntaxError(ExprError):
    """The expression text is not valid expr-lang."""


class ExprRuntimeError(ExprError):
    """The expression compiled but failed on the given environment."""


class FuncError(Exception):
    """Raised by a template function; the executor wraps it as ``error calling f: msg``."""
