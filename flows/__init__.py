"""Prefect flows and deployments: thin wrappers around ``sluice.project.Project``."""
