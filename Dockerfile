# The Venterom app image: one server process; run two or more behind nginx with Redis.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY lobby ./lobby
COPY signaling ./signaling
RUN pip install --no-cache-dir .
COPY web ./web
RUN cd web && npm ci --omit=dev --no-audit --no-fund

RUN useradd --system --home /data venterom && mkdir -p /data && chown venterom /data
USER venterom
ENV VENTEROM_HOST=0.0.0.0 VENTEROM_PORT=8080 VENTEROM_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["venterom", "serve"]
