"""knitflow's built-in nodes, one module per node family. Each module imports only `engine.api`
(and `engine.core.table`); the registry finds every `Node` subclass that sets a `type_name`."""
