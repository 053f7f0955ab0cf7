# TillBook in server mode: waitress on port 8000, data (secret key, logs, exports) on /data.
# Build: docker build -t tillbook .   Run with PostgreSQL: see docker-compose.yml and docs/DEPLOY.md.
FROM python:3.11-slim

# TZ: a shop's day (its dashboard, Z-report, GST by day) and HQ's days are counted in the
# machine's zone, and a container's is UTC: a sale at 02:00 in India would land on the day
# before. Override TZ in compose for shops elsewhere. tzdata: the slim image has no zone files,
# without which TZ is silently UTC.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TILLBOOK_DATA_DIR=/data \
    TZ=Asia/Kolkata

RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them (all are wheels: no compiler).
COPY requirements.txt ./
RUN python -m pip install -r requirements.txt

COPY app.py ./
COPY posapp ./posapp
COPY templates ./templates
COPY static ./static

# A system user without a login shell owns only the data volume, never the code.
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin tillbook \
    && mkdir -p /data \
    && chown tillbook:tillbook /data
USER tillbook
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# --lan: inside a container 0.0.0.0 is the only way in; the port mapping decides who can reach it.
CMD ["python", "app.py", "serve", "--host", "0.0.0.0", "--port", "8000", "--lan"]
