"""Working agreements (issue 18): process metrics from the bot's own data, agreed targets on them."""
