// Package priceblocs speaks the PriceBlocs dialect (reference/priceblocs.md)
// on the paylinks core: the catalog behind its links (products, prices,
// coupons, promotion codes, tax and shipping rates) under /v1/, Bearer
// keys, page-numbered lists with a links hash, and one error shape. It
// decodes requests, calls the service and renders the dialect's objects; no
// business rules live here.
package priceblocs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// Handler serves the PriceBlocs dialect.
type Handler struct {
	svc       *service.Service
	publicURL string
	log       *slog.Logger
}

// New returns the PriceBlocs dialect over svc. publicURL is the base of the
// URLs in list envelopes and of links' hosted pages.
func New(svc *service.Service, publicURL string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, publicURL: strings.TrimRight(publicURL, "/"), log: log}
}

// Request is what every endpoint gets: the HTTP request and who calls.
type Request struct {
	*http.Request
	pr paylinks.Principal
}

// Route adapts an endpoint that needs scope: the key is authenticated and
// its scope checked before the request is read, and any returned error is
// written in the dialect's shape.
func (h *Handler) Route(scope paylinks.Scope, fn func(w http.ResponseWriter, q *Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr, err := h.svc.Authorize(r.Context(), api.KeyFromRequest(r), scope)
		if err == nil {
			err = fn(w, &Request{Request: r, pr: pr})
		}
		if err != nil {
			h.Error(w, r, err)
		}
	})
}

// errorBody is the dialect's error shape (PriceBlocs documents none; this
// is Stripe's, which its users' code already reads):
//
//	{"error": {"type": "invalid_request_error", "code": "parameter_missing",
//	           "message": "…", "param": "unit_amount", "request_id": "…"}}
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type      string  `json:"type"`
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Param     *string `json:"param"`
	RequestID string  `json:"request_id"`
}

// errorTypes maps each error kind to the status and type.
var errorTypes = map[paylinks.ErrorKind]struct {
	status int
	typ    string
}{
	paylinks.KindInvalid:         {http.StatusBadRequest, "invalid_request_error"},
	paylinks.KindPayment:         {http.StatusPaymentRequired, "card_error"},
	paylinks.KindUnauthenticated: {http.StatusUnauthorized, "authentication_error"},
	paylinks.KindForbidden:       {http.StatusForbidden, "permission_error"},
	paylinks.KindNotFound:        {http.StatusNotFound, "invalid_request_error"},
	paylinks.KindConflict:        {http.StatusConflict, "invalid_request_error"},
	paylinks.KindGone:            {http.StatusGone, "invalid_request_error"},
	paylinks.KindRateLimited:     {http.StatusTooManyRequests, "rate_limit_error"},
	paylinks.KindUnavailable:     {http.StatusServiceUnavailable, "api_error"},
}

// Error writes err in the dialect's shape with its status. Internal errors
// are logged with the request id and shown as a generic message.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	reqID := api.RequestID(r.Context())
	d := errorDetail{Type: "api_error", Code: "internal_error", RequestID: reqID,
		Message: "an internal error occurred; quote request id " + reqID}
	status := http.StatusInternalServerError
	if e := paylinks.AsError(err); e != nil {
		if t, ok := errorTypes[e.Kind]; ok {
			status, d.Type, d.Code, d.Message = t.status, t.typ, e.Code, e.Message
			if strings.HasPrefix(e.Code, "idempotency") {
				d.Type = "idempotency_error"
			}
			if e.Kind == paylinks.KindNotFound && e.Code == "not_found" {
				d.Code = "resource_missing" // Stripe's code for a missing object
			}
			if e.Param != "" {
				d.Param = &e.Param
			}
		}
	}
	if status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "priceblocs: request failed", "err", err)
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

// ---- ids

// Object id prefixes: Stripe's, whose catalog PriceBlocs fronts.
const (
	prefixProduct       = "prod_"
	prefixPrice         = "price_"
	prefixCoupon        = "coupon_"
	prefixPromotionCode = "promo_"
	prefixTaxRate       = "txr_"
	prefixShippingRate  = "shr_"
)

func formatID(prefix string, id paylinks.ID) string { return prefix + paylinks.FormatBase32(id) }

func parseID(prefix, s string) (paylinks.ID, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return paylinks.ID{}, false
	}
	return paylinks.ParseBase32(rest)
}

// pathID parses the {id} of the path; an id of another form names nothing.
func pathID(q *Request, prefix, what string) (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, ok := parseID(prefix, raw)
	if !ok {
		if len(raw) > 64 {
			raw = raw[:64] + "…"
		}
		return id, raw, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "resource_missing", Param: "id",
			Message: "no such " + what + ": " + raw}
	}
	return id, raw, nil
}

// refID parses an id a body gives in field param; a malformed one is
// refused as missing.
func refID(prefix, what, param, raw string) (paylinks.ID, error) {
	id, ok := parseID(prefix, raw)
	if !ok {
		if len(raw) > 64 {
			raw = raw[:64] + "…"
		}
		return id, paylinks.Invalid("resource_missing", param, "no such %s: %s", what, raw)
	}
	return id, nil
}

// ---- request bodies

// maxBody is the largest request body read.
const maxBody = 64 << 10

// decode reads the JSON object of a request into dst (a pointer to a
// struct whose optional members are pointers). An empty body is an empty
// object. Unknown members, members of the wrong type and text that is not
// valid UTF-8 are refused naming the member.
func decode(r *http.Request, dst any) error {
	var raw []byte
	if r.Body != nil {
		var err error
		if raw, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1)); err != nil {
			return paylinks.Invalid("body_invalid", "", "the request body could not be read")
		}
	}
	if len(raw) > maxBody {
		return paylinks.Invalid("body_too_large", "", "the request body is larger than %d bytes", maxBody)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return paylinks.Invalid("body_invalid", "", "the request body must be JSON (Content-Type: application/json)")
		}
	}
	if path, bad := api.BadJSONText(raw); bad {
		const msg = "must be valid UTF-8 text, without lone surrogate escapes like \\ud800"
		if len(path) == 0 {
			return paylinks.Invalid("body_invalid", "", "the request body %s", msg)
		}
		param := strings.Join(path, ".")
		if path[0] == "metadata" {
			param = "metadata"
		}
		return paylinks.Invalid("parameter_invalid", param, "%s %s", param, msg)
	}
	if t := bytes.TrimSpace(raw); t[0] != '{' {
		return paylinks.Invalid("body_invalid", "", "the request body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			// The path names an embedded struct too: members of common
			// are top-level members of the body.
			field := strings.TrimPrefix(te.Field, "common.")
			return paylinks.Invalid("parameter_invalid", field, "%s must be %s", field, typeName(te.Type))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return paylinks.Invalid("parameter_unknown", name, "unknown parameter %q", name)
		}
		return paylinks.Invalid("body_invalid", "", "the request body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return paylinks.Invalid("body_invalid", "", "the request body has data after the JSON object")
	}
	return nil
}

// typeName says what a Go type is as JSON, for messages.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(number("")):
		return "a number"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a whole number"
	case t.Kind() == reflect.Map:
		return "an object of strings"
	case t.Kind() == reflect.Slice:
		return "an array"
	}
	return "an object"
}

// number is a JSON number member kept as written, so that amounts and
// percentages are parsed exactly, never through a float. Unlike
// json.Number it refuses a string.
type number string

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeOf(n)}
	}
	*n = number(b)
	return nil
}

// missing is the error of a required member that is absent.
func missing(param string) error {
	return paylinks.Invalid("parameter_missing", param, "%s is required", param)
}

// minorUnits parses an amount in minor units (a JSON integer, no sign).
func minorUnits(param string, n *number) (int64, error) {
	v, ok := paylinks.ParseAmount(string(*n))
	if !ok {
		return 0, paylinks.Invalid("invalid_amount", param, "%s must be a whole number of the currency's smallest unit, not negative", param)
	}
	return v, nil
}

// percent parses a percentage: a JSON number with at most 4 decimals,
// from 0 to 100.
func percent(param string, n *number) (paylinks.Percent, error) {
	p, ok := paylinks.ParsePercent(string(*n))
	if !ok {
		return 0, paylinks.Invalid("parameter_invalid", param, "%s must be a number from 0 to 100 with at most 4 decimals", param)
	}
	return p, nil
}

// unixTime converts unix seconds (nil stays nil).
func unixTime(sec *int64) *time.Time {
	if sec == nil {
		return nil
	}
	t := time.Unix(*sec, 0).UTC()
	return &t
}

func unixPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	s := t.Unix()
	return &s
}

// str returns *p or "".
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// nullable renders "" as null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// metadataView renders metadata, {} when there is none.
func metadataView(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ---- lists

// listEnvelope is a page-numbered list: data and the links hash.
type listEnvelope[V any] struct {
	Object   string              `json:"object"`
	URL      string              `json:"url"`
	HasMore  bool                `json:"has_more"`
	Data     []V                 `json:"data"`
	Page     int                 `json:"page"`
	PageSize int                 `json:"page_size"`
	Total    int                 `json:"total"`
	Links    map[string]pageLink `json:"links"`
}

type pageLink struct {
	Page string `json:"page"`
	Rel  string `json:"rel"`
	URL  string `json:"url"`
}

// pageParams reads page, page_size, active and livemode from the query.
func pageParams(q *Request) (pp service.PageParams, err error) {
	v := q.URL.Query()
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &pp.Page}, {"page_size", &pp.Size}} {
		if s := v.Get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return pp, paylinks.Invalid("parameter_invalid", f.name, "%s must be a whole number from 1", f.name)
			}
			*f.dst = n
		}
	}
	if s := v.Get("active"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return pp, paylinks.Invalid("parameter_invalid", "active", "active must be true or false")
		}
		pp.Active = &b
	}
	if s := v.Get("livemode"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return pp, paylinks.Invalid("parameter_invalid", "livemode", "livemode must be true or false")
		}
		pp.Livemode = &b
	}
	return pp, nil
}

// envelope renders one page of a list at path with its links hash: self,
// first, last, and next and prev when they exist. The links keep the
// request's other query parameters.
func envelope[T, V any](h *Handler, q *Request, path string, p *service.NumberedPage[T], render func(*T) V) listEnvelope[V] {
	out := listEnvelope[V]{Object: "list", URL: path, HasMore: p.HasMore(), Data: make([]V, len(p.Items)),
		Page: p.Page, PageSize: p.Size, Total: p.Total, Links: map[string]pageLink{}}
	for i := range p.Items {
		out.Data[i] = render(&p.Items[i])
	}
	query := q.URL.Query()
	link := func(rel string, page int) {
		query.Set("page", strconv.Itoa(page))
		u := h.publicURL + path + "?" + query.Encode()
		out.Links[rel] = pageLink{Page: strconv.Itoa(page), Rel: rel, URL: u}
	}
	link("self", p.Page)
	link("first", 1)
	link("last", p.Pages())
	if p.HasMore() {
		link("next", p.Page+1)
	}
	if p.Page > 1 {
		link("prev", min(p.Page-1, p.Pages()))
	}
	return out
}

// list serves a list endpoint.
func list[T, V any](h *Handler, w http.ResponseWriter, q *Request, path string,
	fetch func(*Request, service.PageParams) (*service.NumberedPage[T], error), render func(*T) V) error {
	pp, err := pageParams(q)
	if err != nil {
		return err
	}
	p, err := fetch(q, pp)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, envelope(h, q, path, p, render))
	return nil
}
