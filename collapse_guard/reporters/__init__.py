"""Built-in reporters. Each module registers its reporter through ``register_reporters``."""
