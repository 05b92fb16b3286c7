package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/webhooks"
)

// Webhook endpoint limits.
const (
	MaxWebhookURLLen         = 2048
	MaxWebhookDescriptionLen = 500
	MaxWebhookEvents         = 64
	// WebhookSecretOverlap is how long the previous secret keeps signing
	// beside the new one after a rotation.
	WebhookSecretOverlap = 24 * time.Hour
)

// WebhookEndpointParams are the fields of an endpoint a create or update
// gives; nil (or a nil Events) leaves a field as it is (create: default).
type WebhookEndpointParams struct {
	URL         *string
	Events      []string
	Description *string
	Format      *string
	Disabled    *bool
}

func checkWebhookURL(raw string) error {
	if raw == "" || len(raw) > MaxWebhookURLLen || !utf8.ValidString(raw) {
		return paylinks.Invalid("invalid_url", "url", "url must be an http or https URL of at most %d bytes", MaxWebhookURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return paylinks.Invalid("invalid_url", "url", "url is not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return paylinks.Invalid("invalid_url", "url", "url must start with https:// or http://")
	case u.Host == "" || u.Hostname() == "":
		return paylinks.Invalid("invalid_url", "url", "url must name a host")
	case u.User != nil:
		return paylinks.Invalid("invalid_url", "url", "url must not carry a user name or password")
	case u.Fragment != "":
		return paylinks.Invalid("invalid_url", "url", "url must not have a fragment")
	}
	return nil
}

// checkWebhookEvents validates a filter: ["*"] or names of the catalog.
func checkWebhookEvents(events []string) error {
	switch {
	case len(events) == 0:
		return paylinks.Invalid("invalid_events", "events", `events must be ["*"] or a list of event types`)
	case len(events) > MaxWebhookEvents:
		return paylinks.Invalid("invalid_events", "events", "events may list at most %d types", MaxWebhookEvents)
	}
	for _, e := range events {
		if e == "*" {
			if len(events) > 1 {
				return paylinks.Invalid("invalid_events", "events", `"*" must be the only entry of events`)
			}
			continue
		}
		if t, ok := paylinks.EventTypeByName(e); !ok || t.Key == "webhook_endpoint.test" || e != strings.TrimSpace(e) {
			if len(e) > 64 {
				e = e[:64] + "…"
			}
			return paylinks.Invalid("invalid_events", "events", "%q is not an event type (see the catalog in the README)", e)
		}
	}
	return nil
}

func (p *WebhookEndpointParams) apply(e *paylinks.WebhookEndpoint) error {
	if p.URL != nil {
		if err := checkWebhookURL(*p.URL); err != nil {
			return err
		}
		e.URL = *p.URL
	}
	if p.Events != nil {
		if err := checkWebhookEvents(p.Events); err != nil {
			return err
		}
		e.Events = slices.Clone(p.Events)
	}
	if p.Description != nil {
		if len(*p.Description) > MaxWebhookDescriptionLen || !utf8.ValidString(*p.Description) {
			return paylinks.Invalid("invalid_description", "description", "description must be at most %d bytes of UTF-8", MaxWebhookDescriptionLen)
		}
		e.Description = *p.Description
	}
	if p.Format != nil {
		if *p.Format != paylinks.WebhookFormatV1 && *p.Format != paylinks.WebhookFormatOmise {
			return paylinks.Invalid("invalid_format", "format", `format must be "v1" or "omise"`)
		}
		e.Format = *p.Format
	}
	return nil
}

// CreateWebhookEndpoint makes an endpoint in the caller's mode. The
// returned endpoint carries its secret: the only time it is shown, with
// RotateWebhookSecret's. It receives the events written from now on.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, pr paylinks.Principal, p WebhookEndpointParams) (*paylinks.WebhookEndpoint, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	if p.URL == nil {
		return nil, paylinks.Invalid("parameter_missing", "url", "url is required")
	}
	if p.Events == nil {
		return nil, paylinks.Invalid("parameter_missing", "events", `events is required: ["*"] or a list of event types`)
	}
	now := s.Now()
	e := &paylinks.WebhookEndpoint{AccountID: pr.AccountID, Livemode: pr.Livemode, Format: paylinks.WebhookFormatV1,
		CreatedAt: now, UpdatedAt: now}
	if err := p.apply(e); err != nil {
		return nil, err
	}
	if p.Disabled != nil && *p.Disabled {
		e.DisabledAt = &now
	}
	var err error
	if e.ID, err = s.newID(now); err != nil {
		return nil, err
	}
	if e.Secret, err = webhooks.NewSecret(s.rand); err != nil {
		return nil, err
	}
	if err := s.store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, fmt.Errorf("CreateWebhookEndpoint: %w", err)
	}
	return e, nil
}

func webhookNotFound(display string) error {
	if len(display) > 64 {
		display = display[:64] + "…"
	}
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id",
		Message: fmt.Sprintf("webhook endpoint %s was not found", display)}
}

// WebhookEndpoint returns an endpoint of the caller's account and mode.
func (s *Service) WebhookEndpoint(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.WebhookEndpoint, error) {
	if err := require(pr, paylinks.ScopeWebhooksRead); err != nil {
		return nil, err
	}
	return s.webhookEndpoint(ctx, pr, id, display)
}

func (s *Service) webhookEndpoint(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.WebhookEndpoint, error) {
	e, err := s.store.GetWebhookEndpoint(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, webhookNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpointPage returns a page of the caller's endpoints, newest first.
func (s *Service) WebhookEndpointPage(ctx context.Context, pr paylinks.Principal, p CursorPage) (*Page[paylinks.WebhookEndpoint], error) {
	if err := require(pr, paylinks.ScopeWebhooksRead); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	es, err := s.store.ListWebhookEndpoints(ctx, pr.AccountID, pr.Livemode, p.After, p.Limit+1)
	if errors.Is(err, paylinks.ErrNotFound) && p.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointPage: %w", err)
	}
	return pageOf(es, p.Limit), nil
}

// UpdateWebhookEndpoint changes the given fields of an endpoint. Disabled
// true stops its deliveries (they stay pending, and events written while
// it is disabled are not queued for it); false resumes them.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, p WebhookEndpointParams) (*paylinks.WebhookEndpoint, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	e, err := s.webhookEndpoint(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if err := p.apply(e); err != nil {
		return nil, err
	}
	now := s.Now()
	if p.Disabled != nil {
		switch {
		case *p.Disabled && e.DisabledAt == nil:
			e.DisabledAt = &now
		case !*p.Disabled:
			e.DisabledAt = nil
		}
	}
	e.UpdatedAt = now
	if err := s.store.UpdateWebhookEndpoint(ctx, e); errors.Is(err, paylinks.ErrNotFound) {
		return nil, webhookNotFound(display)
	} else if err != nil {
		return nil, fmt.Errorf("UpdateWebhookEndpoint: %w", err)
	}
	return e, nil
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.WebhookEndpoint, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	e, err := s.webhookEndpoint(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteWebhookEndpoint(ctx, pr.AccountID, pr.Livemode, id); errors.Is(err, paylinks.ErrNotFound) {
		return nil, webhookNotFound(display)
	} else if err != nil {
		return nil, fmt.Errorf("DeleteWebhookEndpoint: %w", err)
	}
	return e, nil
}

// RotateWebhookSecret gives an endpoint a new secret and returns the
// endpoint with it (shown this once). The old secret keeps signing beside
// it for WebhookSecretOverlap.
func (s *Service) RotateWebhookSecret(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.WebhookEndpoint, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	e, err := s.webhookEndpoint(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	secret, err := webhooks.NewSecret(s.rand)
	if err != nil {
		return nil, err
	}
	until := now.Add(WebhookSecretOverlap)
	e.PrevSecret, e.PrevSecretUntil, e.Secret, e.UpdatedAt = e.Secret, &until, secret, now
	if err := s.store.UpdateWebhookEndpoint(ctx, e); errors.Is(err, paylinks.ErrNotFound) {
		return nil, webhookNotFound(display)
	} else if err != nil {
		return nil, fmt.Errorf("RotateWebhookSecret: %w", err)
	}
	return e, nil
}

// TestWebhookEndpoint sends the endpoint a synthetic event
// (webhook_endpoint.test, data the endpoint) in the caller's mode; only that
// endpoint gets it.
func (s *Service) TestWebhookEndpoint(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Event, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return nil, err
	}
	e, err := s.webhookEndpoint(ctx, pr, id, display)
	if err != nil {
		return nil, err
	}
	ev, err := s.newEvent(pr, "webhook_endpoint.test", "webhook_endpoint", e.ID, e, s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateWebhookTestEvent(ctx, ev, e.ID); errors.Is(err, paylinks.ErrNotFound) {
		return nil, webhookNotFound(display)
	} else if err != nil {
		return nil, fmt.Errorf("TestWebhookEndpoint: %w", err)
	}
	return ev, nil
}

// RedeliverEvent schedules an event again, now, to the endpoint given or to
// every enabled endpoint whose filter matches it; it returns how many
// deliveries it scheduled.
func (s *Service) RedeliverEvent(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, endpoint *paylinks.ID, endpointDisplay string) (int, error) {
	if err := require(pr, paylinks.ScopeWebhooksWrite); err != nil {
		return 0, err
	}
	eventNotFound := &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id", Message: fmt.Sprintf("event %s was not found", display)}
	if _, err := s.store.GetEvent(ctx, pr.AccountID, pr.Livemode, id); errors.Is(err, paylinks.ErrNotFound) {
		return 0, eventNotFound
	} else if err != nil {
		return 0, fmt.Errorf("RedeliverEvent: %w", err)
	}
	if endpoint != nil {
		if _, err := s.webhookEndpoint(ctx, pr, *endpoint, endpointDisplay); err != nil {
			if e := paylinks.AsError(err); e != nil {
				e.Param = "endpoint"
			}
			return 0, err
		}
	}
	n, err := s.store.RedeliverEvent(ctx, pr.AccountID, pr.Livemode, id, endpoint, s.Now())
	if errors.Is(err, paylinks.ErrNotFound) {
		return 0, eventNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("RedeliverEvent: %w", err)
	}
	return n, nil
}

// EventPage returns a page of the caller's events, newest first, of the
// given types (any dialect's names; all when none).
func (s *Service) EventPage(ctx context.Context, pr paylinks.Principal, p CursorPage, types []string) (*Page[paylinks.Event], error) {
	if err := require(pr, paylinks.ScopeEventsRead); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	var keys []string
	for _, t := range types {
		et, ok := paylinks.EventTypeByName(t)
		if !ok {
			if len(t) > 64 {
				t = t[:64] + "…"
			}
			return nil, paylinks.Invalid("invalid_type", "type", "%q is not an event type", t)
		}
		keys = append(keys, et.Key)
	}
	evs, err := s.store.EventPage(ctx, store.EventCursor{AccountID: pr.AccountID, Livemode: pr.Livemode, After: p.After,
		Keys: keys, Limit: p.Limit + 1})
	if errors.Is(err, paylinks.ErrNotFound) && p.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("EventPage: %w", err)
	}
	return pageOf(evs, p.Limit), nil
}

// WebhookAttempts returns the delivery attempts of the caller's events, by
// event id, oldest first.
func (s *Service) WebhookAttempts(ctx context.Context, pr paylinks.Principal, eventIDs []paylinks.ID) (map[paylinks.ID][]paylinks.WebhookAttempt, error) {
	if err := require(pr, paylinks.ScopeEventsRead); err != nil {
		return nil, err
	}
	m, err := s.store.WebhookAttempts(ctx, pr.AccountID, pr.Livemode, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("WebhookAttempts: %w", err)
	}
	return m, nil
}

// chargeCompleteEvent is the charge.complete event of a checkout payment
// whose charge is final (successful or failed), as Omise emits for offsite
// payments and merchants fulfil from; nil for a pending charge.
func (s *Service) chargeCompleteEvent(pr paylinks.Principal, c *paylinks.Charge, now time.Time) (*paylinks.Event, error) {
	if c.Status == paylinks.ChargePending {
		return nil, nil
	}
	return s.newEvent(pr, "charge.complete", "charge", c.ID, c, now)
}
