# Multi-stage build: compile TypeScript and the native SQLite binding in a full image, then copy
# only the runtime into a slim one. The entrypoint is the dfs CLI:
#   docker run IMAGE namenode --host 0.0.0.0 --data /data
#   docker run IMAGE datanode --host 0.0.0.0 --data /data --namenodes http://namenode:9870
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY shared shared
COPY namenode namenode
COPY datanode datanode
COPY client client
COPY bench bench
COPY test test
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
VOLUME ["/data"]
EXPOSE 9870 9864
ENTRYPOINT ["node", "/app/dist/client/cli/main.js"]
CMD ["--help"]
