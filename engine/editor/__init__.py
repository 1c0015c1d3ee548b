"""The browser editor: `knitflow serve` (`engine.editor.serve`) runs the app `engine.editor.app`
builds over one workspace.

`workspace` (path confinement, listings) · `security` (Host/Origin/token middleware) · `routes/`
(one FastAPI router per resource) · `session` (one open workflow) with its collaborators `runs`
(run control), `results` + `paging` (output ports, table pages), `dialog` (node dialogs) and
`events` (fan-out to WebSockets) · `hooks` (what the editor adds to an `Execution`) · `graph` ·
`catalog` · `web/` (the front end). Importing this package needs no web framework.
"""
