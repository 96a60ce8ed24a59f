"""Sluice: Sesam-style dataset pipelines for keeping business systems in sync."""
