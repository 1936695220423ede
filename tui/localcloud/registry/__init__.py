"""The local registry's writes: bento and model pushes, uploads streamed to disk, downloads.

`records` keeps the rows (in the control plane's SQLite store), `storage` the files under
`$BENTOTUI_HOME`, `views` renders the API schemas and `routes` is the APIRouter that
`server.py` includes.  Reads of bentos stay where they were (`server.py`), so the built-in
samples and pushed bentos are listed by the same routes.
"""
