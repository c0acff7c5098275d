"""Guichet: a multilingual help desk for newly arrived migrants and refugees."""
