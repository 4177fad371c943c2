"""Go's text/template language: lexer, parser, executor and predefined functions."""

from kaiun.templating.gotemplate.funcs import Func, func
from kaiun.templating.gotemplate.template import Template, parse

__all__ = ["Func", "Template", "func", "parse"]
