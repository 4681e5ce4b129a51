# The worker and gateway image for docker-compose.yml (production-like: Temporal on PostgreSQL).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY warroom ./warroom
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
RUN pip install --no-cache-dir .
COPY runbooks ./runbooks
ENV WARROOM_RUNBOOKS=/app/runbooks WARROOM_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["warroom"]
