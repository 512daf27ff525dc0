# syntax=docker/dockerfile:1
#
# qx10-mqtt: Sony QX10 (Camera Remote API) <-> MQTT bridge.
#
#   docker build -t qx10-mqtt .
#   docker run --init --network host -e QX10_MQTT__URL=mqtt://127.0.0.1:1883 qx10-mqtt
#
# Or with Mosquitto: docker compose up -d (see docker-compose.yml and docs/network.md#docker).
#
# Signals: the entrypoint is node itself (exec form), and the CLI handles SIGTERM/SIGINT (clean
# stop, retained "offline", exit 0). Run it with an init anyway (`docker run --init`, compose
# `init: true`): it reaps zombies and forwards signals the way a PID 1 should.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- stage 1: install everything and compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: "prepare" would run tsc before the sources are copied; we build below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas ./schemas
COPY src ./src
RUN npm run build

# ---- stage 2: production dependencies + compiled code only ----
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="qx10-mqtt" \
      org.opencontainers.image.description="Bridge a Sony QX10 (or any Sony Camera Remote API camera) to MQTT and Home Assistant" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/qx10-mqtt/qx10-mqtt" \
      org.opencontainers.image.documentation="https://github.com/qx10-mqtt/qx10-mqtt#readme"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
# /app/data: config.yaml (QX10_CONFIG=/app/data/config.yaml) and saved pictures; owned by the
# unprivileged user the bridge runs as.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node

# Healthy = this container's bridge is connected to the broker: `doctor --quick` connects with the
# configured URL and credentials (its own client id, no will) and checks that the retained
# <base>/bridge/state is {"state":"online"}. The bridge publishes it on every connect; the broker
# replaces it with the Last Will "offline" when the bridge's connection drops. A camera that is off
# does not make the container unhealthy (that is <base>/availability). Exit 0 healthy, 1 not.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
  CMD ["node", "/app/bin/qx10-mqtt.js", "doctor", "--quick", "--timeout", "5"]

ENTRYPOINT ["node", "bin/qx10-mqtt.js"]
CMD ["run"]
