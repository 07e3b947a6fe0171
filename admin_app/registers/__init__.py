"""The machinery every register screen inherits, kept apart from the screens themselves.

``base.RegisterView`` is the view each register subclasses (``admin_app.views``); it is built from
mixins, one module each: ``access`` (least access: a case manager's scope), ``seen`` (the access
log), ``versions`` (no lost edits), ``export`` (the list as xlsx or CSV), ``paging`` (lists that
stay fast at a national register's size), ``archive`` (archiving instead of deleting), ``list_args`` (a list's
query string checked before it reaches the database). Beside them:
``fields`` (form fields and the converter), ``shared`` (what the case-work registers share) and
``stored_files`` (handing out a stored file).

May import ``models``, ``exports`` and the app-wide modules of ``admin_app`` (``i18n``, ``errors``,
``access_rules``, ``background``, ``export_slots``); never ``admin_app.views``. Imported by the
register views, and by tests."""
