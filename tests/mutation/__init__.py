"""`make mutate`: mutation testing of the money and permission paths (see __main__.py)."""
