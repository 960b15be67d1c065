"""The demo round: a realistic, seeded grant round driven through the public API."""

from __future__ import annotations

import click

commands: list[click.Command] = []
