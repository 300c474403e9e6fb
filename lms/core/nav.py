"""The main menu: areas register their entries; the base template shows those the user may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_login import current_user

from .roles import Role


@dataclass(frozen=True)
class NavItem:
    title: str
    endpoint: str
    roles: tuple[Role, ...]
    order: int = 50
    #: Endpoint prefixes under which this entry shows as active (default: its own endpoint).
    match: tuple[str, ...] = ()
    #: A count shown beside the title (e.g. unread notifications), computed per request.
    badge: Callable[[], int] | None = None

    def active_for(self, endpoint: str | None) -> bool:
        return bool(endpoint) and any(endpoint.startswith(m) for m in (self.match or (self.endpoint,)))


_items: list[NavItem] = []


def register_nav(title: str, endpoint: str, roles, order: int = 50, match: tuple[str, ...] = (), badge=None) -> None:
    item = NavItem(title, endpoint, tuple(roles), order, tuple(match), badge)
    if all((i.title, i.endpoint) != (item.title, item.endpoint) for i in _items):
        _items.append(item)


def nav_items() -> list[dict]:
    from flask import request

    if not current_user.is_authenticated:
        return []
    items = sorted((i for i in _items if current_user.role in i.roles), key=lambda i: i.order)
    return [
        {"title": i.title, "url": url_for(i.endpoint), "active": i.active_for(request.endpoint), "badge": i.badge() if i.badge else 0}
        for i in items
    ]
