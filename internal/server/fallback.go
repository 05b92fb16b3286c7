package server

import (
	"net/http"
	"strings"
)

// fallbackShape is the dialect whose shape answers a request that no route
// takes.
type fallbackShape int

const (
	shapeOmise      fallbackShape = iota // Omise Error object
	shapeV1                              // v1 error
	shapePage                            // HTML page
	shapePriceBlocs                      // PriceBlocs (Stripe-shaped) error
)

// fallbacks is the one table deciding, by path prefix (first match wins),
// in which shape a 404 (no route has the path) or a 405 (routes have the
// path, for other methods; the Allow header lists them) is answered. Every
// path not listed is the Omise dialect's, whose resources sit at the root.
var fallbacks = []struct {
	prefix string
	shape  fallbackShape
}{
	{"/api/", shapeV1},
	{"/v1/", shapePriceBlocs},
	{"/l/", shapePage},
	{"/c/", shapePage},
	{"/assets/", shapePage},
	{"/dashboard", shapePage},
}

// shapeOf returns the shape of the fallback answer for path.
func shapeOf(path string) fallbackShape {
	for _, f := range fallbacks {
		if strings.HasPrefix(path, f.prefix) {
			return f.shape
		}
	}
	return shapeOmise
}

// probeMethods are the methods a fallback tries on a path, to tell a wrong
// method (405, Allow: the ones a route takes) from an unknown path (404).
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// fallback is the route of every request no other route takes (the
// pattern "/"), answering it in its dialect's shape, never with Go's
// text/plain "404 page not found" or "Method Not Allowed". Routes are
// matched as usual first, so this costs nothing on a served request.
func (s *Server) fallback(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range probeMethods {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allowed = append(allowed, m)
			}
		}
		allow := strings.Join(allowed, ", ")
		switch shapeOf(r.URL.Path) {
		case shapeV1:
			// v1 answers a wrong method as an unknown route (its
			// documented route_not_found 404), naming the methods.
			if allow != "" {
				w.Header().Set("Allow", allow)
			}
			s.v1.NotFound(w, r)
		case shapePriceBlocs:
			// PriceBlocs documents no 405: a wrong method is an unknown
			// route in its error shape, naming the methods.
			if allow != "" {
				w.Header().Set("Allow", allow)
			}
			s.pb.NotFound(w, r)
		case shapePage:
			if allow != "" {
				s.checkout.MethodNotAllowed(w, r, allow)
			} else {
				s.checkout.NotFound(w, r)
			}
		default:
			if allow != "" {
				s.omise.MethodNotAllowed(w, r, allow)
			} else {
				s.omise.NotFound(w, r)
			}
		}
	}
}
