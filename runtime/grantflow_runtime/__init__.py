"""The shared service runtime every Grantflow service is built on.

Configuration, logging, the gRPC server bootstrap, the database and its migrations, and the
event plumbing (outbox, relay, inbox consumers) are written here once and imported by the services.
"""
