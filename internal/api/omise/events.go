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
	// WebhookDeliveries, in 2019-05-29, lists the delivery attempts.
	WebhookDeliveries *[]webhookDelivery `json:"webhook_deliveries,omitempty"`
}

// webhookDelivery is one attempt to deliver an event to an endpoint.
type webhookDelivery struct {
	Object    string `json:"object"`
	Endpoint  string `json:"endpoint"`
	URI       string `json:"uri"`
	Status    string `json:"status"`        // "success" (a 2xx came) or "failure"
	Response  *int   `json:"response_code"` // the HTTP status; null when none came
	Error     string `json:"error,omitempty"`
	CreatedAt string `json:"created_at"`
}

// renderDeliveries sets the attempts on rendered events (modern versions
// only): [] when there were none, so the member is always present.
func (h *Handler) renderDeliveries(q *request, evs []paylinks.Event, views []any) error {
	if !q.modern() || len(evs) == 0 {
		return nil
	}
	ids := make([]paylinks.ID, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	atts, err := h.svc.WebhookAttempts(q.Context(), q.pr, ids)
	if err != nil {
		return err
	}
	for i := range evs {
		v := views[i].(*event)
		d := renderAttempts(atts[evs[i].ID])
		v.WebhookDeliveries = &d
	}
	return nil
}

func renderAttempts(atts []paylinks.WebhookAttempt) []webhookDelivery {
	out := make([]webhookDelivery, len(atts))
	for i, a := range atts {
		out[i] = webhookDelivery{Object: "webhook_delivery", Endpoint: "we_" + paylinks.FormatBase32(a.EndpointID), URI: a.URL,
			Status: "failure", Error: a.Error, CreatedAt: formatTime(a.At)}
		if a.Success {
			out[i].Status = "success"
		}
		if a.StatusCode != 0 {
			code := a.StatusCode
			out[i].Response = &code
		}
	}
	return out
}

// WebhookBody renders an event as an omise-format webhook delivers it: the
// Event object as GET /events/{id} renders it at the default version
// (2019-05-29), webhook_deliveries empty, and its id as the message id.
func (h *Handler) WebhookBody(ev *paylinks.Event) (string, []byte, error) {
	q := &request{Request: &http.Request{}, pr: paylinks.Principal{AccountID: ev.AccountID, Livemode: ev.Livemode}, version: V20190529}
	v, err := h.renderEvent(q, ev)
	if err != nil {
		return "", nil, err
	}
	e := v.(*event)
	e.WebhookDeliveries = &[]webhookDelivery{}
	b, err := json.Marshal(e)
	return e.ID, b, err
}

// renderEvent renders an event with its object in the caller's version.
// The stored data is the domain object as the service saw it.
func (h *Handler) renderEvent(q *request, ev *paylinks.Event) (any, error) {
	at := *q
	at.at = ev.CreatedAt
	q = &at
	id := formatID(prefixEvent, ev.Livemode, ev.ID)
	v := &event{Object: "event", ID: id, Livemode: ev.Livemode, Location: "/events/" + id, Key: ev.Key}
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
	if err := h.renderDeliveries(q, []paylinks.Event{*ev}, []any{v}); err != nil {
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
	if err := h.renderDeliveries(q, evs, data); err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList("/events", data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}
