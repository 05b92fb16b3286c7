// Package api holds what every dialect shares at the HTTP edge: reading the
// caller's key, the request id, and writing JSON. No business rules.
package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id of ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// KeyFromRequest returns the API key a request presents: the user name of
// HTTP Basic auth (the password is ignored, as Omise does), or a Bearer
// token. It returns "" when there is none.
func KeyFromRequest(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer":
		return rest
	case "basic":
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return ""
		}
		user, _, _ := strings.Cut(string(b), ":")
		return user
	}
	return ""
}

// WriteJSON writes v as a JSON body with the status.
//
// The body is encoded into a pooled buffer and written at once with its
// Content-Length: a body over net/http's 2 KiB chunking threshold (a page
// of links is 12 KB) otherwise goes out chunked, in several writes to the
// socket (measured: a fifth of a v1 list page's CPU went to those writes).
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			buf.Reset()
			jsonBufs.Put(buf)
		}
	}()
	buf.Reset()
	var err error
	if a, ok := v.(JSONAppender); ok {
		// The same bytes as Encode's below, newline included.
		var b []byte
		if b, err = a.AppendJSON(buf.AvailableBuffer()); err == nil {
			buf.Write(append(b, '\n'))
		}
	} else {
		// Encode escapes as json.Marshal does, and ends the body with a
		// newline.
		err = json.NewEncoder(buf).Encode(v)
	}
	if err != nil {
		slog.ErrorContext(r.Context(), "encode response", "err", err) // the log handler adds the request id
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// jsonBufs are WriteJSON's buffers; one that grew past maxPooledJSON (a
// large list) is left to the collector rather than kept.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledJSON = 256 << 10
