# claude-chutes-proxy: a small image with one static-stdlib binary.
#
#   docker build --build-arg VERSION="$(cat VERSION)" -t claude-chutes-proxy .
#   docker run -p 8080:8080 -e CHUTES_API_KEY=cpk_... claude-chutes-proxy
#
# The base images are build arguments so a mirror or a local stand-in can replace them
# (scripts/container-test builds this file with stand-ins made by debootstrap).
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# OpenSSL and libnghttp2 headers for the COpenSSL and CNghttp2 modules; the Swift image has the rest of the toolchain.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev libnghttp2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a change in Sources does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY VERSION ./
COPY Sources ./Sources
COPY Tests ./Tests
ARG VERSION=""
# The Swift runtime is linked in (--static-swift-stdlib): the runtime image needs only
# glibc, libstdc++ and OpenSSL. The label's version must be the VERSION file's.
RUN if [ -n "$VERSION" ] && [ "$VERSION" != "$(cat VERSION)" ]; then \
        echo "VERSION build argument $VERSION differs from the VERSION file $(cat VERSION)" >&2; exit 1; \
    fi \
    && swift build -c release --product claude-chutes-proxy --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/claude-chutes-proxy" /out/claude-chutes-proxy \
    && strip /out/claude-chutes-proxy

FROM ${RUNTIME_IMAGE}
ARG VERSION=""
LABEL org.opencontainers.image.title="claude-chutes-proxy" \
      org.opencontainers.image.description="Anthropic Messages API on top of OpenAI-compatible backends (Chutes first)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3 libnghttp2-14 ca-certificates \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin chutes-proxy
COPY --from=build /out/claude-chutes-proxy /usr/local/bin/claude-chutes-proxy
USER 10001:10001
ENV HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
# SIGTERM drains: /ready turns 503, requests and streams in flight finish (SHUTDOWN_GRACE_PERIOD).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["claude-chutes-proxy", "healthcheck"]
ENTRYPOINT ["claude-chutes-proxy"]
