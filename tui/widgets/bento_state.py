"""A pushed bento's upload and image-build state in a few words (no Textual)."""

from __future__ import annotations

from rich.text import Text

from tui.api import models as m

_UPLOAD = {
    m.UploadStatus.PENDING: ("uploading", "yellow"),
    m.UploadStatus.UPLOADING: ("uploading", "yellow"),
    m.UploadStatus.FAILED: ("upload failed", "red"),
}
_BUILD = {
    m.ImageBuildStatus.PENDING: ("not built yet", "dim"),
    m.ImageBuildStatus.BUILDING: ("building", "yellow"),
    m.ImageBuildStatus.SUCCESS: ("built", "green"),
    m.ImageBuildStatus.FAILED: ("build failed", "red"),
}


def bento_state(bento: m.BentoSchema) -> Text:
    """"pushed · built", "uploading", "upload failed", "pushed · build failed", ..."""
    upload = _UPLOAD.get(bento.upload_status)
    if upload is not None:
        return Text(upload[0], style=upload[1])
    build, style = _BUILD[bento.image_build_status]
    text = Text("pushed · ", style="dim")
    text.append(build, style=style)
    return text


def unpickable(bento: m.BentoSchema) -> str | None:
    """Why `bento` cannot be deployed (its upload did not finish), or None."""
    tag = bento.version
    if bento.upload_status == m.UploadStatus.FAILED:
        reason = bento.upload_finished_reason or "no reason recorded"
        return f"{tag}: its upload failed ({reason}); push it again"
    if bento.upload_status != m.UploadStatus.SUCCESS:
        return f"{tag} is still uploading; pick it once its push has finished"
    return None
