"""A FastAPI service packaged as a production container image."""

# The distribution (`name` in pyproject.toml) whose metadata gives the version and the
# telemetry's service name.
DISTRIBUTION = "fastapi-service"
