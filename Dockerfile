# Railyard: both executables and migrations/ in a slim runtime image.

FROM swift:6.3-bookworm AS build
# Versions are not pinned (DL3008): bookworm's security updates replace them,
# and a pinned version vanishes from the mirror; the base images are pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libssl-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY openapi.yaml ./
RUN swift build -c release --static-swift-stdlib --product railyard-server \
    && swift build -c release --static-swift-stdlib --product railyard \
    && mkdir /out \
    && cp .build/release/railyard-server .build/release/railyard /out/ \
    && strip /out/railyard-server /out/railyard

FROM debian:bookworm-slim AS runtime
# Not pinned either, for the same reason (DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libcurl4 libssl3 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 railyard \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /app railyard
WORKDIR /app
COPY --from=build /out/railyard-server /out/railyard /usr/local/bin/
COPY --chown=railyard:railyard migrations ./migrations
COPY --chown=railyard:railyard openapi.yaml ./
USER 10001:10001
# Railway's private network is IPv6: bind dual-stack; Railway sets PORT.
ENV HOST=:: \
    PORT=8080 \
    MIGRATIONS_DIR=/app/migrations \
    RAILYARD_STATE_DIR=/app/.railyard \
    RAILYARD_SHUTDOWN_GRACE=20 \
    LOG_FORMAT=json
EXPOSE 8080
# Railway may read no configuration at all (it stopped reading railway.toml on
# 2026-12-01): the default command applies pending migrations under the
# advisory lock before it serves, and exits without serving when one fails.
# With a pre-deploy `railyard-server migrate` it finds nothing to do.
CMD ["railyard-server", "serve", "--migrate-on-start"]
