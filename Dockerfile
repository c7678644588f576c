# The Return Interview Service on a slim Python base, as a non-root user.
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/rhi
# pango (and its fonts) for the board pack's PDF (weasyprint).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# The service's own dependencies only (no test or analysis tools), at requirements.lock's versions.
COPY requirements-runtime.lock pyproject.toml ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY alembic.ini ./
RUN pip install --no-cache-dir --no-deps -e . \
 && useradd --system --uid 10001 --home-dir /srv/rhi rhi \
 && mkdir -p /srv/rhi/var && chown rhi /srv/rhi/var
USER rhi
# prod: refuses to start without RHI_SECRET_KEY, RHI_PSEUDONYM_KEY and RHI_PUBLIC_URL.
# RHI_WORKERS: server processes. A container sees all its host's cores whatever its CPU limit,
# so not one per core but two, the machine the performance targets are set on: run with
# -e RHI_WORKERS=<the cores it is given>.
ENV RHI_ENV=prod RHI_WORKERS=2
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["rhi", "serve", "--host", "0.0.0.0", "--port", "8000"]
