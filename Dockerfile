# Production image: uv builds the locked venv; a slim stage runs it (docs/performance.md).

# uv at an exact version, as a named stage so update bots can see and bump it.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# The builder shares the runtime's base so the venv's interpreter path is identical.
FROM python:3.13-slim AS builder
# uv comes from its own image; it never reaches the runtime stage.
COPY --from=uv /uv /usr/local/bin/uv
# Copy out of the cache mount, use the base image's Python, keep the venv out of /app.
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/opt/venv
# The project is built here; the runtime stage never sees this directory.
WORKDIR /src
# TestClient's HTTP clients, from fastapi[standard]: the server never imports them.
ARG DEV_ONLY_PACKAGES="httpx httpcore httpx2 httpcore2 truststore"
# Only EmailStr needs these, and no model declares it (a unit test says when one does).
ARG UNUSED_PACKAGES="email-validator dnspython"
# Locked dependencies alone, cached until the lock changes; then strip and warm them.
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=docker,target=/tmp/docker \
    uv sync --locked --no-install-project --no-dev --no-editable \
        $(for p in $DEV_ONLY_PACKAGES $UNUSED_PACKAGES; do echo --no-install-package "$p"; done) \
    && python3 /tmp/docker/strip_extensions.py /opt/venv \
    && /opt/venv/bin/python /tmp/docker/warm_bytecode.py
# The project, non-editable and rebuilt from these sources (not uv's cached wheel).
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=README.md,target=README.md \
    --mount=type=bind,source=src,target=src \
    uv sync --locked --no-dev --no-editable --reinstall-package fastapi-service \
        $(for p in $DEV_ONLY_PACKAGES $UNUSED_PACKAGES; do echo --no-install-package "$p"; done) \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib/python3.13/site-packages/app

# What every image that runs the service shares: the slim base and the venv alone.
FROM python:3.13-slim AS base
# A fixed non-root UID/GID, so volumes and Kubernetes securityContext can name it.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
# Owned by root: the service cannot change its own code.
COPY --from=builder /opt/venv /opt/venv
# The venv first; JSON logs, unbuffered; metrics across workers; exports capped at 2 s.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    OTEL_EXPORTER_OTLP_TIMEOUT=2
# Every process from here on runs as the unprivileged user.
USER 10001:10001
# fastapi run listens on 8000 unless PORT says otherwise; the health check follows PORT.
EXPOSE 8000
# Poll readiness without curl; probe every second while starting, then every 30 s.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --start-interval=1s --retries=3 \
    CMD ["python", "-m", "app.healthcheck"]

# Development (compose.dev.yaml): synced sources shadow the package; fastapi dev reloads.
FROM base AS dev
# Owned by the service user, so that synced edits can overwrite them.
COPY --chown=10001:10001 src /app/src
# The synced sources before site-packages; logs for people.
ENV PYTHONPATH=/app/src \
    APP_LOG_FORMAT=text
# By name: compose's sync looks the user up in /etc/passwd (the same UID).
# hadolint ignore=DL3066
USER app
# The reloader watches the working directory.
WORKDIR /app/src
# Reload on change, listening beyond the container's loopback.
CMD ["fastapi", "dev", "--host", "0.0.0.0", "--entrypoint", "app.main:app"]

# The development container (.devcontainer/): the image's base, the pinned uv and git.
FROM python:3.13-slim AS devcontainer
# git for commits and pre-commit, as the base's Debian release has it.
# hadolint ignore=DL3008
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends git >/dev/null
# The same uv as the builder, from the same pinned image.
COPY --from=uv /uv /uvx /usr/local/bin/
# The same UID as the service, with a home for uv's cache and the shell.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --create-home --shell /bin/bash app
# Use the image's Python, never a downloaded one; copy out of uv's cache.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_LINK_MODE=copy
# Work as the unprivileged user, as the service runs.
USER 10001:10001

# Production, and the default target: the server itself.
FROM base AS runtime
# Exec form: the server is PID 1 and gets SIGTERM; named, as pyproject.toml is not shipped.
CMD ["fastapi", "run", "--entrypoint", "app.main:app"]
