"""Share graphics on the site: views.public (bp "graphics") and views.manage (bp
"graphics_manage", its pages built by views.manage_pages), and init_app, which sets the
request size limit for logo uploads and reads the fonts' recorded digest. Whether complex
scripts will render is logged by the renderer when a process first lays card text out
(cardrender.raqm_available), not here: saying it at start-up loaded Pillow's FreeType and
Raqm into every web process, most of which never draw."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask import Flask, Request

from campaign import cardrender
from campaign.graphics.services.theme import LOGO_MAX_BYTES

# Uploads are at most 5 MB; the rest is room for the multipart envelope and the form fields.
MAX_REQUEST_BYTES = LOGO_MAX_BYTES + 512 * 1024
# In the instance folder: the fonts' digest and the file facts it was computed for.
FONT_DIGEST_MEMO = "font-digest.json"


class UploadClosingRequest(Request):
    """A request that closes every upload buffer it opened, even for a malformed body.

    Werkzeug's multipart parser drops the buffers of parts it had already read when a later
    part is malformed (request.files is never set, so request.close() cannot reach them);
    they would linger until garbage collection. Logo uploads are the app's only file field.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        stream = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.pop("_upload_streams", []):
            stream.close()


def init_app(app: Flask) -> None:
    """Request size limit for logo uploads, and the fonts' digest (every card key holds it)
    from the last start's record."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if app.request_class is Request:  # leave a customised request class alone
        app.request_class = UploadClosingRequest
    cardrender.remember_font_digest(Path(app.instance_path) / FONT_DIGEST_MEMO)
