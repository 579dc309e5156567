"""Shapes and validation of every record and protocol message (marshmallow).

Knows nothing of databases, Flask or HTTP, so the same rules can be exported to the phone.
"""
