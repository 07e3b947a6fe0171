"""Made-up data, never the domain: the demo municipality (``demo`` and its ``demo_*`` parts, loaded by
``flask seed-demo``) and a national register's worth of rows for benchmarks (``scale``, written in
bulk by ``bulk``). They build records through the domain's rules in ``models`` and may import it;
nothing in ``models`` imports them. Users are made by a ``new_user`` callable the caller hands in
(``admin_app.auth.new_user``), because nothing under ``models`` imports the web layer. Imported by
the CLI (``admin_app.cli``), the tests and the benchmarks."""
