"""The controllers room (L5): long-running reconcilers built on the rooms below.

Owns ``runtime/`` (de-duplicating rate-limited work queue, the Reconciler protocol and its
outcomes, informers) and one package per controller (``application/``...), which are
mutually independent. May import engine and everything below it; never server, ui or cli.
"""

__all__: list[str] = []
