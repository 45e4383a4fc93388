# syntax=docker/dockerfile:1
# One image for `scenecap serve` and `scenecap worker`.
#   CPU (default):  docker build -t scenecap .
#   GPU worker:     docker build -t scenecap:gpu --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 \
#                     --build-arg ORT_INSTALL=cuda12 .
ARG BASE_IMAGE=debian:bookworm-slim
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
# onnxruntime-node fetches its CUDA provider libraries at install time unless told to skip.
ARG ORT_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ORT_INSTALL}
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY examples ./examples
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM ${BASE_IMAGE}
ARG NODE_VERSION=20
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production \
    SCENECAP_DATA_DIR=/data \
    SCENECAP_BLOB_DIR=/data/blobs \
    SCENECAP_MODELS_DIR=/models
VOLUME ["/data", "/models"]
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/packages/cli/dist/main.js"]
CMD ["serve"]
