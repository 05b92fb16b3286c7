package v1

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

const prefixEvent = "evt_"

// eventView is the Event object, and the body of a v1-format webhook.
type eventView struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	Livemode  bool   `json:"livemode"`
	Data      any    `json:"data"`
}

// chargeView is a charge as v1 events carry it.
type chargeView struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"`
	Status      string  `json:"status"`
	FiatAmount  string  `json:"fiatAmount"`
	Currency    string  `json:"fiatCurrency"`
	LinkID      *string `json:"linkId"`
	SessionID   *string `json:"sessionId"`
	FailureCode *string `json:"failureCode"`
	CreatedAt   string  `json:"createdAt"`
}

// renderEvent renders an event with its object in the dialect's shape.
func (h *Handler) renderEvent(ev *paylinks.Event) (*eventView, error) {
	v := &eventView{ID: formatID(prefixEvent, ev.ID), Object: "event", Type: ev.Key, CreatedAt: formatTime(ev.CreatedAt),
		Livemode: ev.Livemode}
	if t, ok := paylinks.EventTypeOf(ev.Key); ok {
		v.Type = t.V1
	}
	switch ev.ObjectType {
	case "link":
		var l paylinks.Link
		if err := json.Unmarshal(ev.Data, &l); err != nil {
			return nil, fmt.Errorf("event %s: %w", v.ID, err)
		}
		v.Data = h.renderLink(&l)
	case "session":
		var s paylinks.CheckoutSession
		if err := json.Unmarshal(ev.Data, &s); err != nil {
			return nil, fmt.Errorf("event %s: %w", v.ID, err)
		}
		v.Data = h.renderSession(&s)
	case "charge":
		var c paylinks.Charge
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return nil, fmt.Errorf("event %s: %w", v.ID, err)
		}
		v.Data = chargeView{ID: "ch_" + paylinks.FormatBase32(c.ID), Object: "charge", Status: string(c.Status),
			FiatAmount: paylinks.FormatDecimal(c.Amount, c.Currency), Currency: c.Currency,
			LinkID: formatIDPtr(prefixLink, c.LinkID), SessionID: sessionIDPtr(c.SessionID),
			FailureCode: nullable(c.FailureCode), CreatedAt: formatTime(c.CreatedAt)}
	case "webhook_endpoint":
		var e paylinks.WebhookEndpoint
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return nil, fmt.Errorf("event %s: %w", v.ID, err)
		}
		v.Data = renderEndpoint(&e, false)
	default:
		v.Data = json.RawMessage(ev.Data)
	}
	return v, nil
}

func sessionIDPtr(id *paylinks.ID) *string {
	if id == nil {
		return nil
	}
	s := paylinks.FormatSessionID(*id)
	return &s
}

// WebhookBody renders an event as a v1-format webhook delivers it: the
// message id and the Event object's JSON.
func (h *Handler) WebhookBody(ev *paylinks.Event) (string, []byte, error) {
	v, err := h.renderEvent(ev)
	if err != nil {
		return "", nil, err
	}
	b, err := json.Marshal(v)
	return v.ID, b, err
}

func eventID(q *request) (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, ok := parseID(prefixEvent, raw)
	if !ok {
		return id, raw, notFound("event", raw)
	}
	return id, raw, nil
}

// ListEvents serves GET /api/v1/events: newest first, by cursor, of the
// types given in type (repeated or comma-separated).
func (h *Handler) ListEvents(w http.ResponseWriter, q *request) error {
	limit, after, err := cursorPage(q.Request, prefixEvent)
	if err != nil {
		return err
	}
	var types []string
	for _, v := range q.URL.Query()["type"] {
		for _, t := range splitComma(v) {
			types = append(types, t)
		}
	}
	p, err := h.svc.EventPage(q.Context(), q.pr, service.CursorPage{Limit: limit, After: after}, types)
	if err != nil {
		return err
	}
	out := list[*eventView]{Data: make([]*eventView, len(p.Items)), HasMore: p.HasMore}
	for i := range p.Items {
		if out.Data[i], err = h.renderEvent(&p.Items[i]); err != nil {
			return err
		}
	}
	if p.HasMore {
		out.NextCursor = &out.Data[len(out.Data)-1].ID
	}
	api.WriteJSON(w, q.Request, http.StatusOK, out)
	return nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// GetEvent serves GET /api/v1/events/{id}.
func (h *Handler) GetEvent(w http.ResponseWriter, q *request) error {
	id, raw, err := eventID(q)
	if err != nil {
		return err
	}
	ev, err := h.svc.GetEvent(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	v, err := h.renderEvent(ev)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}

// redeliverView answers a redeliver.
type redeliverView struct {
	Object     string `json:"object"`
	Event      string `json:"event"`
	Deliveries int    `json:"deliveries"`
}

// RedeliverEvent serves POST /api/v1/events/{id}/redeliver: to the
// endpoint given ({"endpoint": "we_…"}) or to every matching one.
func (h *Handler) RedeliverEvent(w http.ResponseWriter, q *request) error {
	id, raw, err := eventID(q)
	if err != nil {
		return err
	}
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "endpoint"); err != nil {
		return err
	}
	ep, err := b.optional("", "endpoint")
	if err != nil {
		return err
	}
	var epID *paylinks.ID
	display := ""
	if ep != nil {
		id, ok := parseID(prefixEndpoint, *ep)
		if !ok {
			return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "endpoint",
				Message: "no such webhook endpoint: " + truncate(*ep)}
		}
		epID, display = &id, *ep
	}
	n, err := h.svc.RedeliverEvent(q.Context(), q.pr, id, raw, epID, display)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusAccepted, redeliverView{Object: "redelivery", Event: formatID(prefixEvent, id), Deliveries: n})
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
