"""Channels translate between a messaging world and the conversation. They hold no logic."""
