package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// WebhookStore keeps webhook endpoints and the deliveries of events to them.
//
// Deliveries are made where events are written: every event inserted by any
// method of the Store, in that method's transaction, gets one pending
// delivery per enabled endpoint of its account and mode whose filter matches
// its key (a trigger on the events table, so no write path can forget it).
// An endpoint therefore receives the events written after it was created;
// older ones only by RedeliverEvent. Key "webhook_endpoint.test" is the
// exception: CreateWebhookTestEvent delivers it to one endpoint only.
type WebhookStore interface {
	// CreateWebhookEndpoint inserts an endpoint.
	CreateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) error
	// GetWebhookEndpoint returns an endpoint of the account and mode.
	GetWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) (*paylinks.WebhookEndpoint, error)
	// ListWebhookEndpoints returns the account's endpoints in the mode,
	// newest first, after the endpoint after when set (ErrNotFound when it
	// is not one of theirs); limit <= 0 means all.
	ListWebhookEndpoints(ctx context.Context, accountID paylinks.ID, livemode bool, after *paylinks.ID, limit int) ([]paylinks.WebhookEndpoint, error)
	// UpdateWebhookEndpoint writes the mutable fields of an endpoint (url,
	// format, description, events, secrets, disabled_at, updated_at).
	// ErrNotFound when it is missing.
	UpdateWebhookEndpoint(ctx context.Context, e *paylinks.WebhookEndpoint) error
	// DeleteWebhookEndpoint deletes an endpoint with its deliveries and
	// their attempts. ErrNotFound when it is missing.
	DeleteWebhookEndpoint(ctx context.Context, accountID paylinks.ID, livemode bool, id paylinks.ID) error

	// CreateWebhookTestEvent inserts ev (key "webhook_endpoint.test") and
	// one delivery of it, to the endpoint endpointID only.
	CreateWebhookTestEvent(ctx context.Context, ev *paylinks.Event, endpointID paylinks.ID) error
	// RedeliverEvent schedules the event again, due at now with a fresh
	// schedule, to the endpoint given or else to every enabled endpoint of
	// the account and mode whose filter matches it; it returns how many
	// deliveries it scheduled. ErrNotFound when the event or endpoint is not
	// the account's in that mode.
	RedeliverEvent(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID, endpointID *paylinks.ID, now time.Time) (int, error)

	// WebhookDeliveriesDue reports whether a pending delivery to an enabled
	// endpoint is due and unleased at now: a cheap read before leasing.
	WebhookDeliveriesDue(ctx context.Context, now time.Time) (bool, error)
	// LeaseWebhookDeliveries leases up to r.Limit due, unleased pending
	// deliveries to enabled endpoints not in r.Skip, oldest due first, to
	// r.Owner until r.Until, and returns them with their events and
	// endpoints. A delivery is leased by one owner at a time, across
	// processes and replicas; a lease that has expired may be taken again.
	LeaseWebhookDeliveries(ctx context.Context, r LeaseRequest) ([]LeasedDelivery, error)
	// ReleaseWebhookDeliveries drops owner's leases on the deliveries,
	// leaving them due; ones owner no longer holds are left alone.
	ReleaseWebhookDeliveries(ctx context.Context, owner string, keys []DeliveryKey) error
	// FinishWebhookDeliveries records attempts in one transaction: each
	// attempt, and, when its owner still holds the delivery's lease, its
	// outcome. held[i] reports whether outs[i]'s lease was still held (the
	// attempt is recorded either way). A delivery appears at most once.
	FinishWebhookDeliveries(ctx context.Context, outs []DeliveryOutcome) (held []bool, err error)
	// WebhookAttempts returns the attempts of the account's events in the
	// mode, oldest first, by event id.
	WebhookAttempts(ctx context.Context, accountID paylinks.ID, livemode bool, eventIDs []paylinks.ID) (map[paylinks.ID][]paylinks.WebhookAttempt, error)
	// WebhookDeliveries returns the deliveries of one event of the account
	// and mode, by endpoint id order.
	WebhookDeliveries(ctx context.Context, accountID paylinks.ID, livemode bool, eventID paylinks.ID) ([]paylinks.WebhookDelivery, error)
	// EventPage returns up to f.Limit of the account's events in the mode,
	// newest first, after the event f.After when set (ErrNotFound when it
	// is not theirs), with a key in f.Keys when it is not empty.
	EventPage(ctx context.Context, f EventCursor) ([]paylinks.Event, error)
}

// EventCursor selects a page of events by keyset.
type EventCursor struct {
	AccountID paylinks.ID
	Livemode  bool
	After     *paylinks.ID
	Keys      []string
	Limit     int
}

// DeliveryKey names one delivery.
type DeliveryKey struct {
	EventID, EndpointID paylinks.ID
}

// LeaseRequest is one LeaseWebhookDeliveries call.
type LeaseRequest struct {
	Owner      string
	Now, Until time.Time
	Limit      int
	Skip       []paylinks.ID // endpoints not to lease for (busy here)
}

// LeasedDelivery is a delivery leased for an attempt, with what it needs.
type LeasedDelivery struct {
	Delivery paylinks.WebhookDelivery
	Event    paylinks.Event
	Endpoint paylinks.WebhookEndpoint
}

// DeliveryOutcome is the result of one attempt.
type DeliveryOutcome struct {
	Owner   string
	Attempt paylinks.WebhookAttempt
	// Status is the delivery's new state; NextAttemptAt its due time when
	// pending.
	Status        string
	NextAttemptAt time.Time
	// Disable, when set, disables the endpoint at Attempt.At and writes
	// the event (the endpoint answered 410 Gone).
	Disable *paylinks.Event
}
