package v1

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
)

// maxBody is the largest request body read.
const maxBody = 64 << 10

// body is a decoded JSON object: its members, still encoded, by name.
type body map[string]json.RawMessage

func invalid(param, format string, args ...any) error {
	return paylinks.Invalid("parameter_invalid", param, format, args...)
}

// decodeBody reads the JSON object of a request. An empty body is an empty
// object; anything but one JSON object (of at most maxBody bytes) is an
// error.
func decodeBody(r *http.Request) (body, error) {
	if r.Body == nil {
		return body{}, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, paylinks.Invalid("body_invalid", "", "the request body could not be read")
	}
	if len(raw) > maxBody {
		return nil, paylinks.Invalid("body_too_large", "", "the request body is larger than %d bytes", maxBody)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && len(bytes.TrimSpace(raw)) > 0 {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, paylinks.Invalid("body_invalid", "", "the request body must be JSON (Content-Type: application/json)")
		}
	}
	return parseBody(raw)
}

// parseBody parses raw as one JSON object; empty input is an empty object.
func parseBody(raw []byte) (body, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return body{}, nil
	}
	if path, bad := api.BadJSONText(raw); bad {
		return nil, badText(path)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var b body
	if err := dec.Decode(&b); err != nil || b == nil {
		return nil, paylinks.Invalid("body_invalid", "", "the request body is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, paylinks.Invalid("body_invalid", "", "the request body has data after the JSON object")
	}
	return b, nil
}

// only refuses members other than the allowed ones, naming the first (in
// sorted order, so the answer is stable).
func (b body) only(prefix string, allowed ...string) error {
	var unknown []string
	for k := range b {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return requestParam{paylinks.Invalid("parameter_unknown", prefix+unknown[0], "unknown parameter %q", prefix+unknown[0])}
}

// badText is the error of a body with a string that is not valid UTF-8 or
// holds a lone surrogate escape, naming the member that holds it (path as
// api.BadJSONText gives it; a metadata entry is reported as metadata).
func badText(path []string) error {
	const msg = "must be valid UTF-8 text, without lone surrogate escapes like \\ud800"
	if len(path) == 0 {
		return paylinks.Invalid("body_invalid", "", "the request body %s", msg)
	}
	param := strings.Join(path, ".")
	if path[0] == "metadata" {
		param = "metadata"
	}
	return requestParam{paylinks.Invalid("parameter_invalid", param, "%s %s", param, msg)}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str returns the string member name: present reports whether it was given
// at all, null whether it was given as null. Any other type is an error.
func (b body) str(prefix, name string) (v string, present, null bool, err error) {
	raw, ok := b[name]
	if !ok {
		return "", false, false, nil
	}
	if isNull(raw) {
		return "", true, true, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, false, invalid(prefix+name, "%s must be a string", prefix+name)
	}
	return v, true, false, nil
}

// required returns a string member that must be present and not null.
func (b body) required(prefix, name string) (string, error) {
	v, present, null, err := b.str(prefix, name)
	switch {
	case err != nil:
		return "", err
	case !present || null:
		return "", paylinks.Invalid("parameter_missing", prefix+name, "%s is required", prefix+name)
	}
	return v, nil
}

// optional returns a string member that may be absent (nil) but not null.
func (b body) optional(prefix, name string) (*string, error) {
	v, present, null, err := b.str(prefix, name)
	switch {
	case err != nil:
		return nil, err
	case null:
		return nil, invalid(prefix+name, "%s cannot be null", prefix+name)
	case !present:
		return nil, nil
	}
	return &v, nil
}

// clearable returns a string member that may be absent (nil) or null (a
// pointer to "": clear it).
func (b body) clearable(prefix, name string) (*string, error) {
	v, present, _, err := b.str(prefix, name)
	if err != nil || !present {
		return nil, err
	}
	return &v, nil
}

// boolean returns a boolean member that may be absent (nil) but not null.
func (b body) boolean(name string) (*bool, error) {
	raw, ok := b[name]
	if !ok {
		return nil, nil
	}
	var v bool
	if isNull(raw) || json.Unmarshal(raw, &v) != nil {
		return nil, invalid(name, "%s must be true or false", name)
	}
	return &v, nil
}

// object returns an object member that may be absent (nil) but not null.
func (b body) object(name string) (body, error) {
	raw, ok := b[name]
	if !ok {
		return nil, nil
	}
	var v body
	if isNull(raw) || json.Unmarshal(raw, &v) != nil || v == nil {
		return nil, invalid(name, "%s must be an object", name)
	}
	return v, nil
}

// stringMap returns an object of strings that may be absent or null (nil).
func (b body) stringMap(name string) (map[string]string, error) {
	raw, ok := b[name]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var v map[string]string
	if json.Unmarshal(raw, &v) != nil {
		return nil, invalid(name, "%s must be an object of strings", name)
	}
	return v, nil
}

// timestamp returns an ISO 8601 time member that may be absent (zero).
func (b body) timestamp(name string) (time.Time, error) {
	s, err := b.optional("", name)
	if err != nil || s == nil {
		return time.Time{}, err
	}
	t, perr := time.Parse(time.RFC3339Nano, *s)
	if perr != nil {
		return time.Time{}, invalid(name, "%s must be an ISO 8601 time like 2024-01-15T10:00:00.000Z", name)
	}
	return t, nil
}

// money parses a decimal fiat amount of the currency exactly: a plain
// decimal string with at most the currency's digits, greater than zero.
func money(param, value, currency string) (int64, error) {
	n, ok := paylinks.ParseDecimal(value, currency)
	if !ok || n <= 0 || leadingZero(value) {
		return 0, paylinks.Invalid("invalid_amount", param,
			"%s must be a positive decimal string with at most %d decimals for %s, like %q, without symbols or exponents",
			param, paylinks.CurrencyDigits(currency), currency, paylinks.FormatDecimal(99*pow10(paylinks.CurrencyDigits(currency)), currency))
	}
	return n, nil
}

// positiveDecimal reports whether s is a plain decimal string ("9", "99.00")
// above zero; how many decimals its currency allows is checked where the
// currency is known.
func positiveDecimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && frac == "") || len(s) > 32 || leadingZero(s) {
		return false
	}
	nonzero := false
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return false
		}
		nonzero = nonzero || c != '0'
	}
	return nonzero
}

// leadingZero reports whether the whole part of a decimal string has a
// leading zero ("099.00", "00.50"); a single "0" before the point is fine.
func leadingZero(s string) bool {
	return len(s) > 1 && s[0] == '0' && s[1] != '.'
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// currency normalises a currency code, naming param when it is not one
// paylinks accepts.
func currency(param, code string) (string, error) {
	c, ok := paylinks.NormalizeCurrency(code)
	if !ok {
		return "", paylinks.Invalid("invalid_currency", param, "%s must be a supported ISO 4217 code like \"USD\"", param)
	}
	return c, nil
}

// cursorPage reads limit (1–100, default 25) and starting_after.
func cursorPage(r *http.Request, prefix string) (limit int, after *paylinks.ID, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" || q.Has("limit") {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > maxLimit {
			return 0, nil, invalid("limit", "limit must be an integer from 1 to %d", maxLimit)
		}
		limit = n
	}
	if q.Has("ending_before") {
		return 0, nil, paylinks.Invalid("parameter_unknown", "ending_before", "ending_before is not supported; lists page with starting_after")
	}
	if v := q.Get("starting_after"); v != "" || q.Has("starting_after") {
		id, ok := parseID(prefix, v)
		if !ok {
			return 0, nil, invalid("starting_after", "starting_after must be an id from this list")
		}
		after = &id
	}
	return limit, after, nil
}

// List defaults.
const (
	defaultLimit = 25
	maxLimit     = 100
)

// list is a v1 cursor list.
type list[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
}
