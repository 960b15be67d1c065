"""Operator commands: competitions, organisations, experts, assignment, awards, exports.

Each lives in `grantflow_cli.ops`, thin click code over plain functions; this list is what
`main._register` adds to the `grantflow` group.
"""

from __future__ import annotations

import click

from grantflow_cli.ops.competition_cmd import competition
from grantflow_cli.ops.import_cmd import experts, organisations
from grantflow_cli.ops.report_cmd import alerts, export, summary
from grantflow_cli.ops.review_cmd import assign, coverage, decide

commands: list[click.Command] = [
    competition,
    organisations,
    experts,
    assign,
    coverage,
    decide,
    export,
    summary,
    alerts,
]
