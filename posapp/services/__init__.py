"""The domain: plain functions over a SQLAlchemy session; nothing here knows about Flask."""
