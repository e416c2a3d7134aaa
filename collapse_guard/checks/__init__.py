"""Built-in checks. Each module registers its check through ``register_checks``.

To add a check: copy the shape of a sibling (a class with ``name``, ``description``, ``metrics``,
``options``, ``default_enabled`` and ``run(ctx)``), put its statistics in ``collapse_guard/stats``,
and list the module in ``plugins.DEFAULT_PLUGINS``.
"""
