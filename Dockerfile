# syntax=docker/dockerfile:1
# countersign: a multi-stage image. The build stage compiles TypeScript with the dev
# dependencies; the runtime stage holds only production dependencies and the compiled code,
# and runs as the unprivileged `node` user.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY scripts ./scripts
# The build compiles the TypeScript, copies the Redis scripts (*.lua) beside the compiled code
# that loads them, and bundles the pages' browser code (browser/ folders) into assets/ beside
# the modules that serve it.
RUN npm run build


FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Root owns the code and the node user only runs it: a compromised process cannot rewrite it.
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# /healthz answers 200 when Redis answers and the workers run (CONTRACT.md).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/cli.js", "start"]
