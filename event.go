package paylinks

import (
	"encoding/json"
	"time"
)

// Event records a state change ("link.create", "charge.create", …). It is
// written in the same transaction as the change (the outbox), so webhook
// delivery never misses one. Data is the object as the service saw it,
// encoded as JSON by the service; dialects render it in their own shape.
type Event struct {
	ID         ID
	AccountID  ID
	Livemode   bool
	Key        string
	ObjectType string // "link", "charge", …
	ObjectID   ID
	Data       json.RawMessage
	CreatedAt  time.Time
}
