"""The HTTP client every download goes through: limits, timeouts, the size cap, proxies, error kinds."""
