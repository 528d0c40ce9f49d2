"""Compiled templates kept on disk between starts, as Python keeps .pyc files.

Compiling the templates of a public page (the layout, the form macros, the page) is most
of the first render's time, and every start of the app paid it again. Jinja's bytecode
cache stores each compiled template under instance/template-cache, keyed by the template's
name and file and checked against a checksum of its source, so an edited template is
compiled afresh. A per-host cache like the card files: a folder that cannot be written
only means templates are compiled as before.
"""

from __future__ import annotations

import logging
import os

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket

log = logging.getLogger(__name__)

FOLDER = "template-cache"


class TemplateCodeCache(FileSystemBytecodeCache):
    """Jinja's file system bytecode cache, creating its folder on first write and never
    failing a render over a file it cannot read or write."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError as exc:
            log.warning("template cache not read: %s", type(exc).__name__)

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.warning("template cache not written: %s", type(exc).__name__)


def init_app(app: Flask) -> None:
    """The disk cache, unless the app's Jinja options bring a bytecode cache of their own
    (the test suite shares one in memory between its apps: tests/support/templates.py)."""
    if app.jinja_env.bytecode_cache is None:
        app.jinja_env.bytecode_cache = TemplateCodeCache(os.path.join(app.instance_path, FOLDER))
