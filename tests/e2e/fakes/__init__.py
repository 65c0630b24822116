"""Platform fakes over real HTTP for the end-to-end tests."""
