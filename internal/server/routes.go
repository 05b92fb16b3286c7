package server

import "net/http"

// routes lists every route paylinks serves: reading this function shows the
// whole HTTP surface.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	// Omise Links dialect (reference/omise.md).
	o := s.omise
	mux.Handle("POST /links", o.Authed(o.CreateLink))
	mux.Handle("GET /links", o.Authed(o.ListLinks))
	mux.Handle("GET /links/{$}", o.Authed(o.ListLinks))
	mux.Handle("GET /links/{id}", o.Authed(o.GetLink))
	mux.Handle("DELETE /links/{id}", o.Authed(o.DeleteLink))
	mux.Handle("GET /links/{id}/charges", o.Authed(o.ListLinkCharges))
	mux.HandleFunc("/links/", o.NotFound)
	mux.Handle("POST /tokens", o.Authed(o.CreateToken))
	mux.Handle("GET /tokens/{id}", o.Authed(o.GetToken))
	mux.Handle("POST /charges", o.Authed(o.CreateCharge))
	mux.Handle("GET /charges", o.Authed(o.ListCharges))
	mux.Handle("GET /charges/{id}", o.Authed(o.GetCharge))
	mux.Handle("GET /events", o.Authed(o.ListEvents))
	mux.Handle("GET /events/{id}", o.Authed(o.GetEvent))

	// Hosted checkout pages: every dialect's payment URL points here.
	c := s.checkout
	mux.HandleFunc("GET /l/{slug}", c.Page)
	mux.HandleFunc("POST /l/{slug}", c.Pay)
	mux.HandleFunc("GET /l/{slug}/complete", c.Receipt)
	mux.HandleFunc("/l/", c.NotFound)

	return s.middleware(mux)
}
