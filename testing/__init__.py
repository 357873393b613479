"""Test-only support, kept out of the runtime packages (loaded by pytest.ini)."""
