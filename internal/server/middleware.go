package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/paylinks/paylinks/internal/api"
)

// middleware wraps every request: a request id (also sent as the
// Request-Id header), recovery from panics, one access-log line (method,
// route pattern, path, status, bytes, duration; the request id comes from
// the context) and the request's metrics.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ctx := api.WithRequestID(r.Context(), id)
		r = r.WithContext(ctx)
		w.Header().Set("Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					api.WriteJSON(rec, r, http.StatusInternalServerError, map[string]any{"object": "error", "code": "internal_error",
						"message": "an internal error occurred; quote request id " + id})
				}
			}
			// The path only: query strings may carry parameters that must
			// never reach a log. The mux sets r.Pattern on this request
			// when a route matched.
			// The catch-all that answers unknown paths in their dialect's
			// shape (fallback.go) is no route: its requests count as
			// unmatched, so probes of random paths share one series.
			d, route := time.Since(start), r.Pattern
			if route == fallbackPattern {
				route = ""
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("route", route),
				slog.String("path", r.URL.Path), slog.Int("status", rec.status()), slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", d))
			s.cfg.Metrics.ObserveRequest(route, r.Method, rec.status(), rec.bytes, d)
		}()
		next.ServeHTTP(rec, r)
	})
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
	bytes int64 // of the body written
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) status() int {
	if !r.wrote {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
