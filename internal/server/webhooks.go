package server

import (
	"fmt"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// WebhookRenderer renders events for the webhook dispatcher in each
// format's dialect: v1's Event object, or Omise's as GET /events/{id}
// renders it.
func (s *Server) WebhookRenderer() webhooks.Renderer {
	return func(format string, ev *paylinks.Event) (string, []byte, error) {
		switch format {
		case paylinks.WebhookFormatOmise:
			return s.omise.WebhookBody(ev)
		case paylinks.WebhookFormatV1:
			return s.v1.WebhookBody(ev)
		}
		return "", nil, fmt.Errorf("webhook format %q", format)
	}
}
