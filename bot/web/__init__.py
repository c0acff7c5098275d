"""The staff console: Starlette pages for city staff (see app.py)."""
