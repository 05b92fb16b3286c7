package paylinks

import (
	"slices"
	"strings"
	"time"
)

// Webhook endpoint formats: the body and signature header a delivery
// carries (every delivery also carries the Standard Webhooks headers).
const (
	WebhookFormatV1    = "v1"    // {id, type, createdAt, livemode, data}; X-Webhook-Signature
	WebhookFormatOmise = "omise" // the Omise Event object; Omise-Signature
)

// WebhookEndpoint is a URL that receives an account's events in one mode.
// Secrets are kept in clear (they are needed to sign); they leave the
// server only in the create and rotate responses and are never logged.
type WebhookEndpoint struct {
	ID          ID
	AccountID   ID
	Livemode    bool
	URL         string
	Format      string
	Description string
	// Events are the names the endpoint subscribed to, as given: "*" or
	// names of the EventTypes catalog (any dialect's name).
	Events []string
	// Secret signs every delivery; PrevSecret, until PrevSecretUntil, signs
	// beside it after a rotation.
	Secret          string `json:"-"`
	PrevSecret      string `json:"-"`
	PrevSecretUntil *time.Time
	DisabledAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Secrets returns the secrets that sign a delivery made at now: the
// current one, and the previous one while its overlap lasts.
func (e *WebhookEndpoint) Secrets(now time.Time) []string {
	s := []string{e.Secret}
	if e.PrevSecret != "" && e.PrevSecretUntil != nil && now.Before(*e.PrevSecretUntil) {
		s = append(s, e.PrevSecret)
	}
	return s
}

// EventKeys returns the stored event keys the endpoint's filter matches:
// ["*"] for every event.
func (e *WebhookEndpoint) EventKeys() []string {
	if slices.Contains(e.Events, "*") {
		return []string{"*"}
	}
	var keys []string
	for _, n := range e.Events {
		if t, ok := EventTypeByName(n); ok && !slices.Contains(keys, t.Key) {
			keys = append(keys, t.Key)
		}
	}
	return keys
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // due at NextAttemptAt
	DeliveryDelivered = "delivered" // a 2xx answered
	DeliveryFailed    = "failed"    // the schedule ran out, or the endpoint is gone; redeliver by hand
)

// WebhookDelivery is one event to one endpoint, with its retry state.
type WebhookDelivery struct {
	EventID        ID
	EndpointID     ID
	AccountID      ID
	Livemode       bool
	Status         string
	Attempts       int // attempts since the delivery was (re)scheduled
	NextAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	EventID    ID
	EndpointID ID
	URL        string
	Owner      string // the dispatcher that made it (host/pid/random)
	At         time.Time
	StatusCode int    // 0 when no response came
	Error      string // why it failed, "" on success
	Duration   time.Duration
	Success    bool
}

// EventType is one entry of the event catalog: a stored event key and what
// each dialect calls it.
type EventType struct {
	Key   string // the key stored on the event (and the Omise dialect's name)
	Omise string // the key Omise's Event object and webhooks carry
	V1    string // the v1 dialect's type
	Data  string // what data holds
}

// EventTypes is the one catalog of event types (the README lists it too).
var EventTypes = []EventType{
	{"link.create", "link.create", "payment_link.created", "the link"},
	{"link.update", "link.update", "payment_link.updated", "the link, as changed (a single-use link paid: used)"},
	{"link.delete", "link.destroy", "payment_link.deleted", "the deleted link"},
	{"session.create", "session.create", "session.pending", "the checkout session"},
	{"session.complete", "session.complete", "session.paid", "the paid checkout session (chargeId set)"},
	{"session.detected", "session.detected", "session.detected", "the ETH session whose payment was seen, with fewer confirmations than it needs"},
	{"session.underpaid", "session.underpaid", "session.underpaid", "the ETH session that received less than its quote"},
	{"session.overpaid", "session.overpaid", "session.overpaid", "the ETH session that received more than its quote (paid)"},
	{"session.paid_late", "session.paid_late", "session.paid_late", "the ETH session paid after its quote expired, within the grace (paid)"},
	{"session.expired", "session.expired", "session.expired", "the ETH session whose quote expired with nothing received"},
	{"session.failed", "session.failed", "session.failed", "the ETH session paid after the grace: not accepted"},
	{"charge.create", "charge.create", "charge.created", "the charge, successful or failed"},
	{"charge.complete", "charge.complete", "charge.completed", "the charge of a checkout payment, final (successful or failed)"},
	{"webhook_endpoint.disabled", "webhook_endpoint.disabled", "webhook_endpoint.disabled", "the endpoint, disabled because it answered 410 Gone"},
	{"webhook_endpoint.test", "webhook_endpoint.test", "webhook_endpoint.test", "the endpoint (a test send; only that endpoint gets it)"},
}

// EventTypeOf returns the catalog entry of a stored event key.
func EventTypeOf(key string) (EventType, bool) {
	for _, t := range EventTypes {
		if t.Key == key {
			return t, true
		}
	}
	return EventType{}, false
}

// EventTypeByName returns the catalog entry any dialect names name.
func EventTypeByName(name string) (EventType, bool) {
	name = strings.TrimSpace(name)
	for _, t := range EventTypes {
		if t.Key == name || t.Omise == name || t.V1 == name {
			return t, true
		}
	}
	return EventType{}, false
}
