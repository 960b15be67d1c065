"""The operator commands of `grantflow` and the plain functions behind them.

Parsing, validation, summaries and file writing live in modules that know nothing of HTTP or
click, so they are tested without servers; the `*_cmd` modules are the thin click layer.
"""
