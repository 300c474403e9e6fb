"""Panels: areas to the right add sections to pages of areas to their left, without imports.

``register_panel("person", render)`` where ``render(obj) -> Markup | str | None``;
the page's template calls ``{{ panels("person", person) }}``. A panel decides itself
whether the current user may see it (returns ``None`` when not).
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

_panels: dict[str, list[tuple[int, Callable]]] = {}


def register_panel(page: str, render: Callable, order: int = 50) -> None:
    entries = _panels.setdefault(page, [])
    if all(r is not render for _, r in entries):
        entries.append((order, render))
        entries.sort(key=lambda e: e[0])


def panels(page: str, obj) -> Markup:
    parts = [render(obj) for _, render in _panels.get(page, [])]
    # panels return the output of render_template (autoescaped), which is safe HTML
    return Markup("").join(Markup(p) for p in parts if p)  # noqa: S704
