"""The hook (:mod:`.modelarts`), and the default connection id every task and trigger shares
(here, so that naming it imports no HTTP code)."""

DEFAULT_CONN_ID = "modelarts_default"
