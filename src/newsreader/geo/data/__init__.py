"""Data files of newsreader.geo: curated.toml (reviewed by hand) and places.json.gz (generated)."""
