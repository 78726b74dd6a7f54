# SPDX-License-Identifier: ISC
"""timescale: SOTTO_TIME_SCALE, the one factor that stretches every test deadline.

Set it for slow runs (tests/run-all.sh sets 10 for the valgrind stage).
Unset, it is 10 when a command wrapper (SOTTO_RELAY_WRAPPER or
SOTTO_CLIENT_WRAPPER, e.g. valgrind, ~20x slower) is set, else 1.
"""
import os


def _scale():
    v = os.environ.get("SOTTO_TIME_SCALE", "")
    if v:
        return float(v)
    wrapped = os.environ.get("SOTTO_RELAY_WRAPPER") or os.environ.get("SOTTO_CLIENT_WRAPPER")
    return 10.0 if wrapped else 1.0


SCALE = _scale()


def scaled(seconds):
    """seconds stretched by SCALE."""
    return seconds * SCALE
