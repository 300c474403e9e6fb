"""Development and benchmark data: the demo province (``make run``), its training history, and the synthetic
rosters of the benchmarks. Only the command line (``flask lms demo``, ``demo-history``, ``synth``, and the
``lms setup`` steps) imports this area; no other area does.
"""
