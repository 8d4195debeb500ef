"""The domain: the visit's states and rules, values and errors. No I/O, no framework."""
