"""newsreader: a terminal news reader that files every story under the countries it is about."""

__version__ = "0.1.0"
