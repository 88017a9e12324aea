package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

// requestIDHeader carries a request's id in and out: a caller's own id is
// kept when it is a plain token, so logs on both sides line up.
const requestIDHeader = "X-Request-ID"

var plainRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// accessLog logs one line per request: its id, method, route pattern,
// status, latency and response size. The route pattern stands in for the
// path so that no query string, and nothing a path carries, is logged; no
// header, cookie, token or body is ever read into the line.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			id := c.Request().Header.Get(requestIDHeader)
			if !plainRequestID.MatchString(id) {
				id = newRequestID()
			}
			c.Response().Header().Set(requestIDHeader, id)
			if err := next(c); err != nil {
				c.Error(err) // write the error now, so its status is what is logged
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			res := c.Response()
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "http request",
				slog.String("request_id", id),
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.Int("status", res.Status),
				slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes", res.Size),
			)
			return nil
		}
	}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
