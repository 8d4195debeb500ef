"""HTTP routes: guest session exchange, clinician login, operations, pages."""
