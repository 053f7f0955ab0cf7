"""Database upkeep around the app, in four parts that import one way.

- `database`: the SQLite file, schema revisions, number marks and the audit anchor (shared);
- `jobs`: backups on request (background jobs with progress) and the off-site copy;
- `gate`: the request gate a restore closes, and "no restore while a backup runs";
- `startup`: backups at start, numbers carried forward, the restore, close_database.

`startup -> gate -> jobs -> database`; none of them imports the app factory (create_app hands
its builder over) and none writes the settings table or the audit log other than through
services (settings, backups, audit).
"""
