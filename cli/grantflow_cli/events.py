"""`grantflow events ...`: tail, replay, dead letters and lag of the event stream."""

from __future__ import annotations

import click

commands: list[click.Command] = []
