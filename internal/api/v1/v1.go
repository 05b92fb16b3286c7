// Package v1 speaks the JSON v1 dialect (reference/v1.md) on the paylinks
// core: payment links and checkout sessions under /api/v1, Bearer keys with
// scopes, cursor lists, and one error shape. It decodes requests, calls the
// service and renders the dialect's objects; no business rules live here.
package v1

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// Handler serves the v1 dialect.
type Handler struct {
	svc       *service.Service
	publicURL string
	log       *slog.Logger
}

// New returns the v1 dialect over svc. publicURL is the base of every
// checkoutUrl and session url ("https://pay.example.com").
func New(svc *service.Service, publicURL string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, publicURL: strings.TrimRight(publicURL, "/"), log: log}
}

// request is what every v1 endpoint gets: the HTTP request and who calls.
type request struct {
	*http.Request
	pr paylinks.Principal
}

// Route adapts an endpoint that needs scope: it authenticates the key and
// checks the scope before anything else is read, so that a key without the
// scope learns nothing about its request, and writes any returned error in
// the v1 shape, naming request fields as names renames the service's
// parameters (nil: the payment link names).
func (h *Handler) Route(scope paylinks.Scope, names map[string]string, fn func(w http.ResponseWriter, q *request) error) http.Handler {
	if names == nil {
		names = linkParamNames
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr, err := h.svc.Authorize(r.Context(), api.KeyFromRequest(r), scope)
		if err == nil {
			err = fn(w, &request{Request: r, pr: pr})
		}
		if err != nil {
			h.writeError(w, r, err, names)
		}
	})
}

// Object id prefixes.
const (
	prefixLink    = "pl_"
	prefixSession = paylinks.SessionIDPrefix // the hosted page's URL carries it too
)

// formatID renders an id as v1 does: the prefix and 26 characters of
// Crockford base32 (time-ordered, like a ULID).
func formatID(prefix string, id paylinks.ID) string { return prefix + paylinks.FormatBase32(id) }

func formatIDPtr(prefix string, id *paylinks.ID) *string {
	if id == nil {
		return nil
	}
	s := formatID(prefix, *id)
	return &s
}

// parseID parses a v1 id with the prefix; ok is false for anything else.
func parseID(prefix, s string) (paylinks.ID, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return paylinks.ID{}, false
	}
	return paylinks.ParseBase32(rest)
}

// notFound is the error of an id that names nothing the caller can see.
func notFound(what, raw string) error {
	if len(raw) > 64 {
		raw = raw[:64] + "…"
	}
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: "no such " + what + ": " + raw}
}

// timeLayout is ISO 8601 in UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// nullable renders "" as null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// OpenAPI serves GET /api/v1/openapi.json: the dialect's OpenAPI document.
func (h *Handler) OpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(OpenAPIDocument)
}
