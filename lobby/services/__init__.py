"""Use cases: what a patient, a clinician, an operator or an integration can do."""
