"""Build hook for compiled parts; all metadata lives in pyproject.toml."""

from setuptools import setup

setup()
