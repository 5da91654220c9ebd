"""Contract suites for the mock and the client, and the pytest plugin integrators install."""
