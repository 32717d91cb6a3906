"""Modal screens: help and the pickers."""
