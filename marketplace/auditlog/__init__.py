"""Reading the audit log: the filtered, sealed-aware presentation that the page, the API and the
XLSX export share. It reads every area (to know whether an entry is still sealed), so it sits at
the top of the layers beside search, while recording events (marketplace.audit) stays at the
bottom where every area can use it."""
