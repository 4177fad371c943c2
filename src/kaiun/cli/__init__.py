"""The ``kaiun`` command (L7): one module per noun; may import every room below it."""
