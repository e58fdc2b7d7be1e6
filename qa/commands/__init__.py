"""Subcommands of `qa`: each module registers its parser and runs it."""
