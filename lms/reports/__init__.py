"""Read-only metrics against the plan's targets, dashboards, exports. Owns no tables; nothing imports it."""
