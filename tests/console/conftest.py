from collections.abc import Awaitable

import pytest

from tests.console.browser import browsing, chromium
from tests.gateway.stack import Stack, StackFactory, gateway_stack


@pytest.fixture
async def console(gateway_stack: StackFactory) -> Stack:
    """The services and the gateway, whose console the browser visits."""
    started: Awaitable[Stack] = gateway_stack()
    return await started


__all__ = ["browsing", "chromium", "console", "gateway_stack"]
