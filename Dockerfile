# The helpdesk server image: `helpdesk serve` as a non-root user, data in /var/lib/helpdesk.
# Build: docker build -t helpdesk:0.1.0 .    Run: see deploy/compose.yaml and docs/deploy.md.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/helpdesk
COPY pyproject.toml README.md ./
COPY core core
COPY tickets tickets
COPY kb kb
COPY flows flows
COPY bot bot
COPY api api
COPY web web
COPY jira_link jira_link
COPY app app
RUN /opt/helpdesk/bin/pip install . && /opt/helpdesk/bin/python -m compileall -q /opt/helpdesk

FROM python:3.11-slim-bookworm
# tzdata for HELPDESK_TIMEZONE; nothing to build with in this stage
RUN apt-get update && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --gid 0 --home-dir /var/lib/helpdesk --create-home helpdesk \
    && chmod 0700 /var/lib/helpdesk
COPY --from=build /opt/helpdesk /opt/helpdesk
ENV PATH=/opt/helpdesk/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HELPDESK_DATA_DIR=/var/lib/helpdesk
USER 10001
WORKDIR /var/lib/helpdesk
VOLUME ["/var/lib/helpdesk"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["helpdesk"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
