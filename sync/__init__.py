"""The sync engine: exactly-once push, gap-free pull, field-level merge, forced resync.

Works on a SQLAlchemy session; knows nothing of Flask, HTTP, users' roles or Vietnamese.
The app registers its collections (model, schema, scope rule) with it.
"""
