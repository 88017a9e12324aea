# Build: docker build -t modeltender .
# The binary embeds its migrations, policies, license data and web assets.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/modeltender ./cmd/modeltender

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 modeltender
COPY --from=build /out/modeltender /usr/local/bin/modeltender
USER modeltender
EXPOSE 8080
ENTRYPOINT ["modeltender"]
CMD ["serve"]
