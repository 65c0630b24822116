"""The `assay` command: deciding cases from files, and running and administering the service."""
