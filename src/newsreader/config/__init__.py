"""feeds.toml: where it is, what it holds (load.py validates it, edit.py changes it), and OPML."""

from newsreader.config.load import ConfigError, load_config, parse_config
from newsreader.config.locations import CACHE_FILENAME, CONFIG_FILENAME, config_directory, data_directory, find_config
from newsreader.config.types import Config, FeedConfig, Settings

__all__ = [
    "CACHE_FILENAME",
    "CONFIG_FILENAME",
    "Config",
    "ConfigError",
    "FeedConfig",
    "Settings",
    "config_directory",
    "data_directory",
    "find_config",
    "load_config",
    "parse_config",
]
