package omise

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/store"
)

// event is Omise's Event object.
type event struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	Livemode  bool   `json:"livemode"`
	Location  string `json:"location"`
	Key       string `json:"key"`
	CreatedAt string `json:"created_at,omitempty"`
	Created   string `json:"created,omitempty"`
	Data      any    `json:"data"`
}

// renderEvent renders an event with its object in the caller's version.
// The stored data is the domain object as the service saw it.
func (h *Handler) renderEvent(q *request, ev *paylinks.Event) (any, error) {
	id := formatID(prefixEvent, ev.Livemode, ev.ID)
	v := event{Object: "event", ID: id, Livemode: ev.Livemode, Location: "/events/" + id, Key: ev.Key}
	if q.modern() {
		v.CreatedAt = formatTime(ev.CreatedAt)
	} else {
		v.Created = formatTime(ev.CreatedAt)
	}
	switch ev.ObjectType {
	case "link":
		var l paylinks.Link
		if err := json.Unmarshal(ev.Data, &l); err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		v.Data = h.renderLink(q, &l, nil, 0)
	case "charge":
		var c paylinks.Charge
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		v.Data = h.renderCharge(q, &c)
	case "refund":
		var r paylinks.Refund
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		v.Data = q.renderRefund(&r)
	default:
		v.Data = json.RawMessage(ev.Data)
	}
	return v, nil
}

// GetEvent serves GET /events/{id}.
func (h *Handler) GetEvent(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixEvent, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	ev, err := h.svc.GetEvent(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	v, err := h.renderEvent(q, ev)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}

// ListEvents serves GET /events.
func (h *Handler) ListEvents(w http.ResponseWriter, q *request) error {
	f, err := q.page(h.svc.Now())
	if err != nil {
		return err
	}
	evs, total, err := h.svc.ListEvents(q.Context(), q.pr, store.EventFilter{From: f.From, To: f.To, Order: f.Order, Offset: f.Offset, Limit: f.Limit})
	if err != nil {
		return err
	}
	data := make([]any, len(evs))
	for i := range evs {
		if data[i], err = h.renderEvent(q, &evs[i]); err != nil {
			return err
		}
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList("/events", data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}
