package server

import (
	"github.com/paylinks/paylinks/internal/checkout"
	"github.com/paylinks/paylinks/internal/dashboard"
)

// dashboardOptions fills the dashboard's options from the checkout's: one
// server secret (shared by replicas through the database), one notion of
// the client's address and of secure cookies, one shared rate limiter.
func dashboardOptions(d dashboard.Options, co checkout.Options, cfg Config) dashboard.Options {
	if d.Logger == nil {
		d.Logger = cfg.Logger
	}
	if d.PublicURL == "" {
		d.PublicURL = cfg.PublicURL
	}
	if len(d.Secret) == 0 {
		d.Secret = co.Secret
	}
	d.SecureCookies = d.SecureCookies || co.SecureCookies
	if d.ClientIP == nil {
		d.ClientIP = co.ClientIP
	}
	if d.RateLimiter == nil {
		d.RateLimiter = co.RateLimiter
	}
	return d
}
