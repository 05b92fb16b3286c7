// Package server assembles paylinks' HTTP surface: every route (routes.go)
// and the middleware every request passes through.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/internal/api/omise"
	"github.com/paylinks/paylinks/internal/api/priceblocs"
	v1 "github.com/paylinks/paylinks/internal/api/v1"
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/dashboard"
	"github.com/paylinks/paylinks/internal/metrics"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// Config configures a Server.
type Config struct {
	Service   *service.Service
	PublicURL string // base of every checkout URL the API returns
	Logger    *slog.Logger
	// Version is reported by /healthz.
	Version string
	// Checkout configures the hosted pages (secret, attempt limits);
	// its Logger defaults to Logger, and its RateLimiter to the store's
	// when the store keeps shared buckets (PostgreSQL).
	Checkout checkout.Options
	// Metrics, when set, counts every request by route pattern.
	Metrics *metrics.Metrics
	// Dashboard configures the merchant dashboard; its secret, cookies,
	// client address and rate limiter default to the checkout's.
	Dashboard dashboard.Options
}

// Server is the paylinks HTTP handler.
type Server struct {
	cfg   Config
	log   *slog.Logger
	svc   *service.Service
	omise *omise.Handler
	v1    *v1.Handler
	pb    *priceblocs.Handler
	// checkout serves the hosted pages.
	checkout *checkout.Handler
	// dashboard serves the merchant pages under /dashboard.
	dashboard *dashboard.Handler
	h         http.Handler
}

// New returns a Server ready to serve.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, svc: cfg.Service}
	s.omise = omise.New(cfg.Service, cfg.PublicURL, cfg.Logger)
	s.v1 = v1.New(cfg.Service, cfg.PublicURL, cfg.Logger)
	s.pb = priceblocs.New(cfg.Service, cfg.PublicURL, cfg.Logger)
	co := cfg.Checkout
	if co.Logger == nil {
		co.Logger = cfg.Logger
	}
	if rl, ok := cfg.Service.Store().(store.RateLimiter); ok && co.RateLimiter == nil {
		co.RateLimiter = rl
	}
	co.SecureCookies = co.SecureCookies || strings.HasPrefix(cfg.PublicURL, "https://")
	s.checkout = checkout.New(cfg.Service, co)
	s.dashboard = dashboard.New(cfg.Service, dashboardOptions(cfg.Dashboard, co, cfg))
	s.h = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2e9)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := s.svc.Store().Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readyz: database unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"database unreachable"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ready"}` + "\n"))
}
