"""Library behind the course notebooks on how neural networks learn.

Every formula lives here once; the notebooks import it.
"""
