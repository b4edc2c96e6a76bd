# The api and consumer images: one Dockerfile, the service chosen by a build argument. Built from the
# repository root, which holds the one lockfile:
#   docker build --build-arg SERVICE=api --build-arg PORT=3000 .
#   docker build --build-arg SERVICE=consumer --build-arg PORT=3001 .
# (docker-compose.yml passes both.)

FROM node:24.19.0-bookworm-slim AS build
ARG SERVICE
# better-sqlite3 (a dependency of core) compiles from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json .npmrc tsconfig.base.json ./
COPY contract/package.json contract/
COPY core/package.json core/
COPY api/package.json api/
COPY consumer/package.json consumer/
COPY web/package.json web/
COPY testkit/package.json testkit/
RUN test "$SERVICE" = api || test "$SERVICE" = consumer || { echo "build with --build-arg SERVICE=api or SERVICE=consumer" >&2; exit 1; }
RUN npm ci
COPY contract/ contract/
COPY core/ core/
COPY ${SERVICE}/ ${SERVICE}/
# The TypeScript half of `npm run build`, for the packages this image runs.
RUN npx tsc -b contract core "$SERVICE"
RUN npm prune --omit=dev \
 && mkdir -p /out/contract /out/core "/out/$SERVICE" \
 && cp -a package.json node_modules /out/ \
 && cp -a contract/package.json contract/dist /out/contract/ \
 && cp -a core/package.json core/dist /out/core/ \
 && cp -a "$SERVICE/package.json" "$SERVICE/dist" "/out/$SERVICE/" \
 && for w in contract core "$SERVICE"; do if [ -d "$w/node_modules" ]; then cp -a "$w/node_modules" "/out/$w/"; fi; done

FROM node:24.19.0-bookworm-slim AS runtime
ARG SERVICE
ARG PORT
# SERVICE_PORT is what the health check probes; the service reads its own API_PORT / CONSUMER_PORT,
# which compose sets to the same value.
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    SERVICE_PORT=${PORT} \
    API_HOST=0.0.0.0 \
    CONSUMER_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /out/ ./
# The first paredão, read by the api at start into an empty store.
COPY config/ config/
# Writable only where the SQLite fallback store keeps its file; the code stays root-owned.
RUN mkdir -p data && chown node:node data
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.SERVICE_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"]
# The same entry command as the local run (run.sh: node api/dist/main.js, node consumer/dist/main.js);
# exec, so node is PID 1 and gets the stop signal.
CMD ["sh", "-c", "exec node \"$SERVICE/dist/main.js\""]
