"""The assistant's core: language, knowledge, matching and replies. Never imports a channel."""
