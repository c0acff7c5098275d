"""The support network: questions the assistant cannot answer, handed to volunteers."""
