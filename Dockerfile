# Production image: a builder stage resolves the locked environment with uv, and a
# slim runtime stage receives only the finished virtual environment.

# uv at an exact version, as a named stage so update bots can see and bump it.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# The builder shares the runtime's base so the venv's interpreter path is identical.
FROM python:3.13-slim AS builder
# uv comes from its own image; it never reaches the runtime stage.
COPY --from=uv /uv /usr/local/bin/uv
# Copy out of the cache mount instead of hard-linking into it, use the base image's
# Python and never download one, and put the venv outside /app so nothing mounted over
# the project can hide it. (Bytecode comes from warm_bytecode.py, not from uv.)
ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/opt/venv
# The project is built here; the runtime stage never sees this directory.
WORKDIR /src
# Packages that fastapi's standard extra brings for development only: the HTTP clients
# that TestClient uses, nothing the server imports. Left out of the runtime venv. (The
# extra without FastAPI Cloud's CLI, in pyproject.toml, already leaves out that CLI with
# its telemetry and archiving packages.)
ARG DEV_ONLY_PACKAGES="httpx httpcore httpx2 httpcore2 truststore"
# email-validator (and its dnspython) serve Pydantic's EmailStr, which no model here
# declares; installed, FastAPI imports it on every start (docs/performance.md has the cost).
# A model that declares EmailStr fails at import without it (a unit test says so first):
# remove both names from this list then.
ARG UNUSED_PACKAGES="email-validator dnspython"
# Dependencies alone, from the lock file: this layer is reused until pyproject.toml or
# uv.lock change. --locked fails the build when the lock is stale. Then the compiled
# extensions lose the debug data the server never reads (most of their size), and
# the modules a running server imports get their bytecode, so it starts without compiling.
# The $(for ...) output is split into words on purpose: a flag and a name per package
# (and nothing at all for an empty list).
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=docker,target=/tmp/docker \
    uv sync --locked --no-install-project --no-dev --no-editable \
        $(for p in $DEV_ONLY_PACKAGES $UNUSED_PACKAGES; do echo --no-install-package "$p"; done) \
    && python3 /tmp/docker/strip_extensions.py /opt/venv \
    && /opt/venv/bin/python /tmp/docker/warm_bytecode.py
# Then the project itself, installed as a regular (non-editable) package so the runtime
# needs no source tree. Bind mounts keep the sources out of every layer. uv would reuse
# the project's wheel from its cache while pyproject.toml is unchanged, whatever the
# sources say: --reinstall-package builds it from these sources every time this step
# runs (only when they change). (Words split on purpose, as above.)
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=README.md,target=README.md \
    --mount=type=bind,source=src,target=src \
    uv sync --locked --no-dev --no-editable --reinstall-package fastapi-service \
        $(for p in $DEV_ONLY_PACKAGES $UNUSED_PACKAGES; do echo --no-install-package "$p"; done) \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib/python3.13/site-packages/app

# What every image that runs the service shares: the same slim base, the venv, and
# nothing else of the build.
FROM python:3.13-slim AS base
# A fixed non-root UID/GID, so volumes and Kubernetes securityContext can name it.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
# Owned by root and read-only to the service: the code cannot be changed at run time.
COPY --from=builder /opt/venv /opt/venv
# The venv's executables (fastapi, python) come first; logs go out unbuffered, one
# JSON object per line. Each worker keeps its metrics in files under /tmp (a tmpfs or
# emptyDir where the root filesystem is read-only), so /metrics adds up every worker.
# Where telemetry is on, an export (with its retries) gives up after 2 s, in seconds as
# the Python exporter reads it: with a collector down, a stop still ends within docker
# stop's 10 s, the queued spans given up instead of retried.
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

# Development (compose.dev.yaml): the sources at /app/src shadow the installed package,
# compose's watch syncs edits into them, and `fastapi dev` reloads.
FROM base AS dev
# Owned by the service user, so that synced edits can overwrite them.
COPY --chown=10001:10001 src /app/src
# Found before site-packages, so the synced sources are what runs; logs for people.
ENV PYTHONPATH=/app/src \
    APP_LOG_FORMAT=text
# By name here: compose's sync copies files as the container user and looks it up in
# /etc/passwd, which knows "app" but not the "10001:10001" pair. Same UID either way.
# hadolint ignore=DL3066
USER app
# The reloader watches the working directory.
WORKDIR /app/src
# Reload on change, listening beyond the container's loopback.
CMD ["fastapi", "dev", "--host", "0.0.0.0", "--entrypoint", "app.main:app"]

# The development container (.devcontainer/): the same base and Python as the image,
# the pinned uv, and git; the project's own venv is made in the workspace by `uv sync`.
FROM python:3.13-slim AS devcontainer
# git for commits and pre-commit. Versions follow the base image's Debian release, so
# none is pinned; apt's lists and packages stay in cache mounts.
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
# Exec form: the server is PID 1 and receives docker stop's SIGTERM itself, so the
# lifespan shutdown runs. The entrypoint is named because pyproject.toml is not shipped.
CMD ["fastapi", "run", "--entrypoint", "app.main:app"]
