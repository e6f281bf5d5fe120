"""Our own NLU pipeline components (registered in config.yml)."""
