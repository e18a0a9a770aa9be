# Running ``python -m skfa`` is the command line, not a module to import.
collect_ignore = ["skfa/__main__.py"]
