# syntax=docker/dockerfile:1
# Switchyard gateway image: compiled JavaScript on a slim Node base, run as
# a non-root user. Config by mounted file (SWITCHYARD_CONFIG; without it
# the embedded mock config) and environment (PORT, LOG_LEVEL, provider
# keys referenced from the config as os.environ/NAME).
#
#   docker build -t switchyard .
#   docker run -p 4000:4000 -e SWITCHYARD_CONFIG=/etc/switchyard/config.yaml \
#     -v ./config.yaml:/etc/switchyard/config.yaml:ro switchyard
#
# The build stage RUNs scripts/container/build.sh, the script CI runs too
# (scripts/container/check.sh), so CI exercises the same steps without a
# container daemon.
ARG NODE_IMAGE=node:26-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Keep in step with the build context copied by scripts/container/check.sh.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY gen ./gen
COPY scripts ./scripts
RUN bash scripts/container/build.sh

FROM ${NODE_IMAGE}
# Without SWITCHYARD_CONFIG the gateway serves its embedded mock config.
ENV NODE_ENV=production \
    PORT=4000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid switchyard --no-create-home --shell /usr/sbin/nologin switchyard
USER 10001:10001
EXPOSE 4000
# grpc.health.v1 Check over gRPC on the serving port, as Kubernetes' gRPC probes do.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# SIGTERM drains in-flight calls for server_settings.shutdown_grace_ms.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js", "serve"]
