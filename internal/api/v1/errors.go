package v1

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
)

// errorBody is the v1 error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type      string  `json:"type"`
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Param     *string `json:"param"`
	RequestID string  `json:"requestId"`
}

// errorTypes maps each error kind to the v1 type and status.
var errorTypes = map[paylinks.ErrorKind]struct {
	status int
	typ    string
}{
	paylinks.KindInvalid:         {http.StatusBadRequest, "invalid_request"},
	paylinks.KindPayment:         {http.StatusBadRequest, "invalid_request"},
	paylinks.KindUnauthenticated: {http.StatusUnauthorized, "authentication"},
	paylinks.KindForbidden:       {http.StatusForbidden, "permission"},
	paylinks.KindNotFound:        {http.StatusNotFound, "not_found"},
	paylinks.KindConflict:        {http.StatusConflict, "conflict"},
	paylinks.KindGone:            {http.StatusConflict, "conflict"},
	paylinks.KindRateLimited:     {http.StatusTooManyRequests, "rate_limited"},
	paylinks.KindUnavailable:     {http.StatusServiceUnavailable, "server"},
}

// SessionParams names the request fields of the checkout session
// endpoints, for Route.
var SessionParams = sessionParamNames

// linkParamNames and sessionParamNames rename the service's parameters to
// the request fields of the v1 endpoints.
var (
	linkParamNames = map[string]string{"amount": "fiatAmount", "currency": "fiatCurrency", "success_url": "successUrl",
		"cancel_url": "cancelUrl", "after": "starting_after"}
	sessionParamNames = map[string]string{"amount": "amount.value", "currency": "amount.currency", "success_url": "successUrl",
		"cancel_url": "cancelUrl", "link_id": "linkId", "expires_at": "expiresAt", "after": "starting_after"}
)

// requestParam is a decoding error whose Param already names the field as
// the request spelled it (an unknown member, a member of bad text):
// writeError shows it as is, never renamed as a service parameter.
type requestParam struct{ err *paylinks.Error }

func (e requestParam) Error() string { return e.err.Error() }
func (e requestParam) Unwrap() error { return e.err }

// Error writes err in the v1 shape with its status. Internal errors are
// logged with the request id and shown as a generic message.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	h.writeError(w, r, err, linkParamNames)
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, names map[string]string) {
	reqID := api.RequestID(r.Context())
	d := errorDetail{Type: "server", Code: "internal_error", RequestID: reqID,
		Message: "an internal error occurred; quote request id " + reqID}
	status := http.StatusInternalServerError
	if e := paylinks.AsError(err); e != nil {
		if t, ok := errorTypes[e.Kind]; ok {
			status, d.Type, d.Code, d.Message = t.status, t.typ, e.Code, e.Message
			if e.Param != "" {
				p := e.Param
				if n, ok := names[p]; ok && !errors.As(err, new(requestParam)) {
					p = n
				}
				d.Param = &p
			}
		}
	}
	if status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "v1: request failed", "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="paylinks"`)
	}
	api.WriteJSON(w, r, status, errorBody{Error: d})
}

// NotFound answers a path or method the dialect does not serve.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.Error(w, r, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "route_not_found",
		Message: fmt.Sprintf("%s %s is not an endpoint of this API", r.Method, r.URL.Path)})
}
