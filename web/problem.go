package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/domain"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail"`
	Instance string              `json:"instance,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
}

// statusOf is the one place an error kind becomes an HTTP status.
var statusOf = map[domain.ErrorKind]int{
	domain.ErrMalformed:       http.StatusBadRequest,
	domain.ErrInvalid:         http.StatusUnprocessableEntity,
	domain.ErrUnauthenticated: http.StatusUnauthorized,
	domain.ErrForbidden:       http.StatusForbidden,
	domain.ErrConflictOfInt:   http.StatusForbidden,
	domain.ErrNotFound:        http.StatusNotFound,
	domain.ErrConflict:        http.StatusConflict,
	domain.ErrStale:           http.StatusConflict,
	domain.ErrDeadlinePassed:  http.StatusConflict,
	domain.ErrTooLarge:        http.StatusRequestEntityTooLarge,
	domain.ErrUnavailable:     http.StatusServiceUnavailable,
	domain.ErrInternal:        http.StatusInternalServerError,

	domain.ErrUnsupportedMedia: http.StatusUnsupportedMediaType,
}

// asDomainError turns any error a handler returns into a *domain.Error: our
// own, a Temporal update rejection (its type is an ErrorKind), echo's own
// HTTP errors, or an unexpected failure.
func asDomainError(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if _, known := statusOf[domain.ErrorKind(appErr.Type())]; known {
			return &domain.Error{Kind: domain.ErrorKind(appErr.Type()), Message: appErr.Message()}
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return domain.Errorf(domain.ErrTooLarge, "the request body is over the %s limit: submit fewer or smaller manifests per request", maxBody)
		case http.StatusNotFound:
			return domain.Errorf(domain.ErrNotFound, "no such endpoint: see /api/openapi.yaml for the API")
		case http.StatusMethodNotAllowed:
			return domain.Errorf(domain.ErrNotFound, "this endpoint does not accept that method: see /api/openapi.yaml")
		}
		return &domain.Error{Kind: domain.ErrMalformed, Message: fmt.Sprint(he.Message)}
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return &domain.Error{Kind: domain.ErrUnavailable, Message: "the workflow service is unavailable; try again shortly", Err: err}
	}
	return &domain.Error{Kind: domain.ErrInternal, Message: "internal error; the operators have the details in the server log", Err: err}
}

// errorHandler writes every error as application/problem+json, except to a
// browser outside the API, which gets an HTML page from htmlPage.
func errorHandler(log *slog.Logger, htmlPage func(echo.Context, Problem) error) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		de := asDomainError(err)
		status := statusOf[de.Kind]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
		}
		p := Problem{
			Type:     "https://modeltender.dev/problems/" + string(de.Kind),
			Title:    http.StatusText(status),
			Status:   status,
			Detail:   de.Message,
			Instance: c.Request().URL.Path,
			Errors:   de.Fields,
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") || !acceptsHTML(c) {
			c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
			_ = c.JSON(status, p)
			return
		}
		if err := htmlPage(c, p); err != nil {
			log.Error("render error page", "path", c.Request().URL.Path, "error", err)
		}
	}
}

func acceptsHTML(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html")
}
