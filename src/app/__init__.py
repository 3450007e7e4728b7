"""A FastAPI service packaged as a production container image."""
