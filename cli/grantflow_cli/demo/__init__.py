"""The demo round: a realistic, seeded grant round driven through the public API."""

from __future__ import annotations

import click

from grantflow_cli.demo.command import demo

commands: list[click.Command] = [demo]
