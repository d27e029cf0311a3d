# Slim image running ProdOps Bot as a non-root user (uid 10001, gid 10001). Everything pip
# installs is hash-locked: the dependencies from requirements.lock, the build backend
# (setuptools) from requirements-build.lock, the project itself without build isolation.
#
# Base image: pin it by digest so the OS and Python layers are the same every build too. The
# digest is not in this file yet; resolve the current one where Docker can reach Docker Hub:
#    docker pull python:3.11-slim
#    docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim
# which prints python@sha256:<64 hex digits>; then build with
#    docker build --build-arg PYTHON_DIGEST=sha256:<64 hex digits> -t prodops-bot .
# or write it as the default below (ARG PYTHON_DIGEST=sha256:…) to pin it for every build.
# Left empty, the build takes whatever python:3.11-slim is that day.
ARG PYTHON_DIGEST=
FROM python:3.11-slim${PYTHON_DIGEST:+@}${PYTHON_DIGEST} AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000

WORKDIR /app
COPY requirements.lock requirements-build.lock ./
RUN pip install --require-hashes -r requirements.lock \
    && pip install --require-hashes --only-binary :all: -r requirements-build.lock

COPY pyproject.toml README.md LICENSE alembic.ini manifest.yml ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-build-isolation --no-deps . \
    && groupadd --system --gid 10001 prodops \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app prodops \
    && mkdir -p /data && chown 10001:10001 /data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# The probe goes straight to the bot: HTTP(S)_PROXY, if set for Slack, must not catch 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request as u; u.build_opener(u.ProxyHandler({})).open(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4)"
ENTRYPOINT ["prodops-bot"]
CMD ["run"]
