"""ProdOps Bot: product operations in Slack."""

__version__ = "0.1.0"
