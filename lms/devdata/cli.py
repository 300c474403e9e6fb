"""``flask lms demo``, ``flask lms demo-history`` and ``flask lms synth``, and the demo's ``lms setup`` steps."""

from __future__ import annotations

from flask.cli import AppGroup

from . import demo, history, synth


def register(group: AppGroup) -> None:
    demo.register(group)
    history.register(group)
    synth.register(group)
