package v1

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// sessionView is the CheckoutSession object.
type sessionView struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	Status      string            `json:"status"`
	LinkID      *string           `json:"linkId"`
	Fiat        fiatView          `json:"fiat"`
	URL         string            `json:"url"`
	SuccessURL  *string           `json:"successUrl"`
	CancelURL   *string           `json:"cancelUrl"`
	ExpiresAt   string            `json:"expiresAt"`
	CompletedAt *string           `json:"completedAt"`
	CreatedAt   string            `json:"createdAt"`
	Metadata    map[string]string `json:"metadata"`
}

type fiatView struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func (h *Handler) renderSession(s *paylinks.CheckoutSession) sessionView {
	id := paylinks.FormatSessionID(s.ID)
	meta := s.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return sessionView{ID: id, Object: "checkout_session", Status: string(s.Status), LinkID: formatIDPtr(prefixLink, s.LinkID),
		Fiat: fiatView{Amount: paylinks.FormatDecimal(s.Amount, s.Currency), Currency: s.Currency},
		URL:  h.publicURL + "/c/" + id, SuccessURL: nullable(s.SuccessURL), CancelURL: nullable(s.CancelURL),
		ExpiresAt: formatTime(s.ExpiresAt), CompletedAt: formatTimePtr(s.CompletedAt), CreatedAt: formatTime(s.CreatedAt),
		Metadata: meta}
}

// CreateSession serves POST /api/v1/checkout_sessions: link mode (linkId)
// or ad-hoc mode (amount {value, currency}).
func (h *Handler) CreateSession(w http.ResponseWriter, q *request) error {
	b, err := decodeBody(q.Request)
	if err != nil {
		return err
	}
	if err := b.only("", "linkId", "amount", "successUrl", "cancelUrl", "metadata", "expiresAt"); err != nil {
		return err
	}
	var p service.SessionParams
	link, err := b.optional("", "linkId")
	if err != nil {
		return err
	}
	amount, err := b.object("amount")
	if err != nil {
		return err
	}
	switch {
	case link != nil && amount != nil:
		return invalid("link_id", "give linkId or amount, not both")
	case link != nil:
		id, ok := parseID(prefixLink, *link)
		if !ok {
			return paylinks.Invalid("link_not_found", "linkId", "no such payment link: %.64s", *link)
		}
		p.LinkID, p.LinkDisplay = &id, *link
	case amount != nil:
		if err := amount.only("amount.", "value", "currency"); err != nil {
			return err
		}
		value, err := amount.required("amount.", "value")
		if err != nil {
			return err
		}
		code, err := amount.required("amount.", "currency")
		if err != nil {
			return err
		}
		if p.Currency, err = currency("amount.currency", code); err != nil {
			return err
		}
		if p.Amount, err = money("amount.value", value, p.Currency); err != nil {
			return err
		}
	default:
		return paylinks.Invalid("parameter_missing", "linkId", "give linkId (link mode) or amount (ad-hoc mode)")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"successUrl", &p.SuccessURL}, {"cancelUrl", &p.CancelURL}} {
		v, err := b.clearable("", f.name)
		if err != nil {
			return err
		}
		if v != nil {
			*f.dst = *v
		}
	}
	if p.Metadata, err = b.stringMap("metadata"); err != nil {
		return err
	}
	if p.ExpiresAt, err = b.timestamp("expiresAt"); err != nil {
		return err
	}
	s, err := h.svc.CreateSession(q.Context(), q.pr, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusCreated, h.renderSession(s))
	return nil
}

// GetSession serves GET /api/v1/checkout_sessions/{id}.
func (h *Handler) GetSession(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, ok := parseID(prefixSession, raw)
	if !ok {
		return notFound("checkout session", raw)
	}
	s, err := h.svc.GetSession(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderSession(s))
	return nil
}

// ListSessions serves GET /api/v1/checkout_sessions: newest first, by
// cursor.
func (h *Handler) ListSessions(w http.ResponseWriter, q *request) error {
	limit, after, err := cursorPage(q.Request, prefixSession)
	if err != nil {
		return err
	}
	p, err := h.svc.SessionPage(q.Context(), q.pr, service.CursorPage{Limit: limit, After: after})
	if err != nil {
		return err
	}
	out := list[sessionView]{Data: make([]sessionView, len(p.Items)), HasMore: p.HasMore}
	for i := range p.Items {
		out.Data[i] = h.renderSession(&p.Items[i])
	}
	if p.HasMore {
		out.NextCursor = &out.Data[len(out.Data)-1].ID
	}
	api.WriteJSON(w, q.Request, http.StatusOK, out)
	return nil
}
