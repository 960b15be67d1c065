from tests.gateway.stack import gateway_stack

__all__ = ["gateway_stack"]
