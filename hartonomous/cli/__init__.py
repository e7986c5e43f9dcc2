"""The ``hartonomous`` command line."""
