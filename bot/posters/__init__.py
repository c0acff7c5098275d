"""Printable posters: a city's, or one topic's, with a QR code that opens the bot there."""
