"""Screens: pure functions from a view model to a PIL image."""
