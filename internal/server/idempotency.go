package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// maxIdempotentBody is the largest body an Idempotency-Key request may
// have; a larger one goes to the endpoint unremembered (which refuses it).
const maxIdempotentBody = 1 << 20

// replayedHeaders are the response headers kept with a stored response.
var replayedHeaders = []string{"Content-Type", "Location"}

// errorWriter writes an error in a dialect's shape.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

// idempotent makes a mutating endpoint honour the Idempotency-Key header
// (service.BeginIdempotent has the rules): the first response to a key is
// stored in the database and replayed, with Idempotent-Replayed: true, to
// every repeat of the same request by the same account and mode for 24 h;
// a different request with the key, or a repeat while the first still
// runs, is refused with writeErr (the dialect's error shape).
//
// need is the access the endpoint requires of a key, and it is checked
// before the key's record is looked up: a request whose key does not
// authenticate or may not call the endpoint passes through unchanged, so
// the endpoint refuses it exactly as it refuses the same request without
// the header, and no stored response is ever shown to it. Requests without
// the header pass through too.
func (s *Server) idempotent(need service.Access, writeErr errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Idempotency-Key"]; !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		pr, err := s.svc.AuthorizeAccess(ctx, api.KeyFromRequest(r), need)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			if body, err = io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1)); err != nil {
				writeErr(w, r, paylinks.Invalid("body_invalid", "", "the request body could not be read"))
				return
			}
			if len(body) > maxIdempotentBody {
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
				next.ServeHTTP(w, r)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		req, err := s.svc.BeginIdempotent(ctx, pr, r.Header.Get("Idempotency-Key"), requestHash(r, pr, body))
		if err != nil {
			writeErr(w, r, err)
			return
		}
		if req.Replay != nil {
			for k, v := range req.Replay.ResponseHeader {
				w.Header().Set(k, v)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(req.Replay.ResponseStatus)
			w.Write(req.Replay.ResponseBody)
			return
		}

		rec := &responseCapture{ResponseWriter: w}
		// Whatever happens to the caller, the record is settled.
		settle := context.WithoutCancel(ctx)
		finished := false
		defer func() {
			if !finished { // the endpoint panicked: forget the key
				if err := s.svc.ReleaseIdempotent(settle, req); err != nil {
					s.log.ErrorContext(ctx, "idempotency: release", "err", err)
				}
			}
		}()
		// The endpoint's create records its object on the key's record in
		// its own transaction (service.WithIdempotent).
		next.ServeHTTP(rec, r.WithContext(service.WithIdempotent(ctx, req)))
		finished = true
		status := rec.status()
		if !service.IdempotencyStored(status) {
			if err := s.svc.ReleaseIdempotent(settle, req); err != nil {
				s.log.ErrorContext(ctx, "idempotency: release", "err", err)
			}
			return
		}
		header := map[string]string{}
		for _, k := range replayedHeaders {
			if v := w.Header().Get(k); v != "" {
				header[k] = v
			}
		}
		if err := s.svc.FinishIdempotent(settle, req, status, header, rec.body.Bytes()); err != nil {
			s.log.ErrorContext(ctx, "idempotency: store response", "err", err)
		}
	})
}

// requestHash identifies a request within its key: method, path and query,
// content type, body, and the key's account and mode.
func requestHash(r *http.Request, pr paylinks.Principal, body []byte) []byte {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), pr.AccountID.String(),
		strconv.FormatBool(pr.Livemode)} {
		binary.Write(h, binary.BigEndian, uint64(len(part)))
		io.WriteString(h, part)
	}
	binary.Write(h, binary.BigEndian, uint64(len(body)))
	h.Write(body)
	return h.Sum(nil)
}

// responseCapture passes a response through and keeps a copy of its status
// and body.
type responseCapture struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (c *responseCapture) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *responseCapture) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (c *responseCapture) status() int {
	if c.code == 0 {
		return http.StatusOK
	}
	return c.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *responseCapture) Unwrap() http.ResponseWriter { return c.ResponseWriter }
