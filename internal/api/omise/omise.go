// Package omise speaks the Omise Links API (and the charges and tokens a
// link flow touches) on the paylinks core: it decodes requests, calls the
// service and renders Omise's objects in the version the caller asks for.
// No business rules live here.
package omise

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// Versions of the Omise API that paylinks renders.
const (
	V20140727 = "2014-07-27"
	V20151117 = "2015-11-17"
	V20171102 = "2017-11-02"
	V20190529 = "2019-05-29" // the default
)

// Handler serves the Omise dialect.
type Handler struct {
	svc       *service.Service
	publicURL string
	log       *slog.Logger
}

// New returns the Omise dialect over svc. publicURL is the base of every
// payment_uri ("https://pay.example.com").
func New(svc *service.Service, publicURL string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, publicURL: strings.TrimRight(publicURL, "/"), log: log}
}

// request is what every Omise endpoint gets: who calls, in which version,
// with which parameters.
type request struct {
	*http.Request
	pr      paylinks.Principal
	version string
	params  params
	// at, when set, is the time objects are rendered at (see Handler.now).
	at time.Time
}

// modern reports whether the caller reads the 2019-05-29 shapes.
func (q *request) modern() bool { return q.version == V20190529 }

// Authed adapts an endpoint: it checks the version header, authenticates
// the key (any key kind; the service checks what the kind may do), decodes
// the parameters, and writes any returned error as an Omise error object.
func (h *Handler) Authed(fn func(w http.ResponseWriter, q *request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &request{Request: r}
		err := h.prepare(q)
		if err == nil {
			err = fn(w, q)
		}
		if err != nil {
			h.Error(w, r, err)
		}
	})
}

func (h *Handler) prepare(q *request) error {
	switch v := q.Header.Get("Omise-Version"); v {
	case "", V20190529:
		q.version = V20190529
	case V20140727, V20151117, V20171102:
		q.version = v
	default:
		return paylinks.Invalid("bad_request", "Omise-Version", "Omise-Version %q is not supported; use 2019-05-29, 2017-11-02 or 2015-11-17", v)
	}
	pr, err := h.svc.Authenticate(q.Context(), api.KeyFromRequest(q.Request))
	if err != nil {
		return err
	}
	q.pr = pr
	q.params, err = decodeParams(q.Request)
	return err
}

// errorBody is Omise's Error object.
type errorBody struct {
	Object   string `json:"object"`
	Location string `json:"location"`
	Status   int    `json:"status"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Error writes err as an Omise error object with its status. Internal
// errors are logged with the request id and shown as a generic message.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "internal_error", "an internal error occurred; quote request id "+api.RequestID(r.Context())
	var bp *badParam
	if errors.As(err, &bp) {
		status, code, msg = http.StatusBadRequest, "bad_request", bp.msg
	} else if e := paylinks.AsError(err); e != nil {
		code, msg = e.Code, e.Message
		switch e.Kind {
		case paylinks.KindConflict:
			status = http.StatusBadRequest
			if strings.HasPrefix(e.Code, "idempotency_") {
				status = http.StatusConflict // Idempotency-Key refusals, as every dialect answers them
			}
		case paylinks.KindInvalid, paylinks.KindGone, paylinks.KindPayment:
			status = http.StatusBadRequest
		case paylinks.KindUnauthenticated, paylinks.KindForbidden:
			// Omise refuses a public key on secret-key endpoints as a failed
			// authentication, not a permission error.
			status, code = http.StatusUnauthorized, "authentication_failure"
			if e.Kind == paylinks.KindForbidden {
				msg = "authentication failed: this endpoint needs a secret key (" + e.Message + ")"
			}
		case paylinks.KindNotFound:
			status = http.StatusNotFound
		case paylinks.KindRateLimited:
			status = http.StatusTooManyRequests
		case paylinks.KindUnavailable:
			status = http.StatusServiceUnavailable
		default:
			status, code, msg = http.StatusInternalServerError, "internal_error", "an internal error occurred; quote request id "+api.RequestID(r.Context())
		}
		if status == http.StatusInternalServerError {
			h.log.ErrorContext(r.Context(), "omise: request failed", "err", err)
		}
	} else {
		h.log.ErrorContext(r.Context(), "omise: request failed", "err", err)
	}
	api.WriteJSON(w, r, status, errorBody{Object: "error",
		Location: "https://www.omise.co/api-errors#" + strings.ReplaceAll(code, "_", "-"),
		Status:   status, Code: code, Message: msg})
}

// NotFound answers a path the dialect does not serve: an Omise Error
// object, not_found, naming the Omise resources paylinks does not serve.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	msg := fmt.Sprintf("%s %s is not an endpoint", r.Method, r.URL.Path)
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if unservedResources[first] {
		msg = fmt.Sprintf("paylinks does not serve Omise's /%s: it serves links, charges (with their refunds), refunds, tokens, events and search", first)
	}
	h.Error(w, r, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: msg})
}

// unservedResources are the Omise API resources paylinks does not serve.
var unservedResources = map[string]bool{"account": true, "balance": true, "capability": true, "customers": true,
	"disputes": true, "recipients": true, "schedules": true, "sources": true, "transactions": true,
	"transfers": true, "receipts": true, "occurrences": true, "forex": true, "chains": true}

// MethodNotAllowed answers a method the path does not serve: an Omise
// Error object with status 405 and the Allow header.
func (h *Handler) MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	api.WriteJSON(w, r, http.StatusMethodNotAllowed, errorBody{Object: "error",
		Location: "https://www.omise.co/api-errors#method-not-allowed", Status: http.StatusMethodNotAllowed,
		Code: "method_not_allowed", Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow)})
}

// Object id prefixes.
const (
	prefixLink   = "link"
	prefixCharge = "chrg"
	prefixCard   = "card"
	prefixToken  = "tokn"
	prefixTrxn   = "trxn"
	prefixEvent  = "evnt"
)

// formatID renders an id as Omise does: "link_test_…" or "link_…".
func formatID(prefix string, livemode bool, id paylinks.ID) string {
	var buf [48]byte // "chrg_test_" and 25 digits
	b := append(buf[:0], prefix...)
	if livemode {
		b = append(b, '_')
	} else {
		b = append(b, "_test_"...)
	}
	return string(paylinks.AppendBase36(b, id))
}

// parseID parses an Omise id of the caller's mode. An id of the other mode
// or of another kind is not found, never an error that would reveal it.
func parseID(prefix, s string, livemode bool) (paylinks.ID, error) {
	want := prefix + "_test_"
	if livemode {
		want = prefix + "_"
	}
	if rest, ok := strings.CutPrefix(s, want); ok {
		if id, ok := paylinks.ParseBase36(rest); ok {
			return id, nil
		}
	}
	what := map[string]string{prefixLink: "link", prefixCharge: "charge", prefixToken: "token", prefixEvent: "event", prefixRefund: "refund"}[prefix]
	return paylinks.ID{}, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: fmt.Sprintf("%s %s was not found", what, truncate(s, 64))}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// formatTime renders a time as Omise does: UTC, seconds, "Z".
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// currency renders a currency code in the version's case.
func (q *request) currency(code string) string {
	if q.modern() {
		return code
	}
	return strings.ToLower(code)
}
