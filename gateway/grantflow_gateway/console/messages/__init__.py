"""The console's texts, one module per area (see `grantflow_gateway.console.i18n`)."""
