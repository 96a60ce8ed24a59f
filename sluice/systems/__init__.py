"""Systems: one client per external system (``http`` is the shared transport)."""

__all__: list[str] = []
