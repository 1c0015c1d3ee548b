"""The editor's HTTP and WebSocket API, one router per resource: the workspace (`workspace`), KNIME
archives to import (`importing`), one workflow's document (`workflow`), node types and a node's
dialog (`nodes`), runs and their live events (`runs`), what a node's output ports hold (`tables`)."""
