"""Renderers: one module per config management tool, each ``render(ctx) -> Rendered``.

``detect`` chooses the tool (Argo CD's precedence); ``context`` carries what every
renderer needs. Renderers read only inside ``ctx.root`` and write only to ``ctx.work_dir``.
"""

from kaiun.repo.render.context import RenderContext, Rendered, build_environment
from kaiun.repo.render.detect import SourceType, detect_source_type

__all__ = ["RenderContext", "Rendered", "SourceType", "build_environment", "detect_source_type"]
