"""Who may call: the verified identity of the current call, checked against the roles a method allows."""

from __future__ import annotations

from grantflow_runtime.context import Identity, Role, current_identity
from grantflow_runtime.errors import PermissionDenied, Unauthenticated


def require(*roles: Role) -> Identity:
    """The caller's identity, if it has one of `roles`; UNAUTHENTICATED or PERMISSION_DENIED otherwise."""
    identity = current_identity()
    if identity is None:
        raise Unauthenticated("the call carries no verified identity")
    if roles and identity.role not in roles and identity.role is not Role.SYSTEM:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(f"role {identity.role.value} may not do this (allowed: {allowed})")
    return identity
