"""The web UI: static ES modules and CSS under ``/assets/``, and the HTML shell of every UI
route with a server-rendered first view. ``kaiun.cli`` mounts it on the API server's app
(server and ui are independent rooms of the same layer)."""

from kaiun.ui.mount import mount
from kaiun.ui.security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "mount"]
