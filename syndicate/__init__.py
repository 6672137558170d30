"""syndicate: press-release syndication and translation."""

__version__ = "0.1.0"
