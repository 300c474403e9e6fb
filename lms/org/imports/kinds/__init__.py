"""The org area's import kinds, one module each (its runner and its :class:`~lms.org.imports.engine.ImportKind`),
registered in :data:`~lms.org.imports.engine.KINDS` when this package is imported (``lms.org.imports`` does).

The order below is the order of the import page and of ``KINDS``; other areas register theirs after (certificates).
"""

from __future__ import annotations

from ..engine import register_kind
from . import cases, mediators, supporters, trainers, units

ORG_KINDS = (units.KIND, mediators.KIND, trainers.KIND, supporters.KIND, cases.KIND)

for _kind in ORG_KINDS:
    register_kind(_kind)
