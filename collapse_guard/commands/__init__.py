"""Built-in sub-commands added through the ``register_commands`` hook."""
