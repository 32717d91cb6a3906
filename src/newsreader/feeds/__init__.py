"""Feeds: parsing (feedparser, and the lxml reader for well-formed feeds) and finding the feeds of a site."""
