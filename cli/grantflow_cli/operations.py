"""Operator commands: competitions, organisations, experts, assignment, awards, exports."""

from __future__ import annotations

import click

commands: list[click.Command] = []
