package omise

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// decodeCharge reads the parameters of POST /charges.
func decodeCharge(q *request) (service.ChargeParams, error) {
	p := q.params
	var cp service.ChargeParams
	amount, ok, err := p.amount("amount")
	if err != nil || !ok {
		return cp, paylinks.Invalid("invalid_amount", "amount", "amount is required: a whole, non-negative number of the smallest currency unit, in digits only (no sign, spaces, leading zeros, decimals or exponent)")
	}
	cp.Amount = amount
	if cp.Currency, err = p.str("currency"); err != nil || cp.Currency == "" {
		return cp, paylinks.Invalid("invalid_currency", "currency", "currency is required")
	}
	tok, err := p.str("card")
	if err != nil {
		return cp, paylinks.Invalid("invalid_card", "card", "card must be a token id (tokn_…)")
	}
	if tok == "" {
		for _, other := range []string{"customer", "source"} {
			if p.has(other) {
				return cp, paylinks.Invalid("bad_request", other, "charging a %s is not supported; charge a card token", other)
			}
		}
		return cp, paylinks.Invalid("missing_card", "card", "card is required: a token id (tokn_…)")
	}
	if cp.TokenID, err = parseID(prefixToken, tok, q.pr.Livemode); err != nil {
		return cp, err
	}
	cp.TokenRef = tok
	if cp.Description, err = p.str("description"); err != nil {
		return cp, err
	}
	if cp.Metadata, err = p.stringMap("metadata"); err != nil {
		return cp, err
	}
	capture, ok, err := p.bool("capture")
	if err != nil {
		return cp, err
	}
	cp.Capture = capture || !ok
	return cp, nil
}

// CreateCharge serves POST /charges: a card token charged now. A declined
// card is a charge with status failed (HTTP 200), as Omise returns it.
func (h *Handler) CreateCharge(w http.ResponseWriter, q *request) error {
	cp, err := decodeCharge(q)
	if err != nil {
		return err
	}
	c, err := h.svc.CreateCharge(q.Context(), q.pr, cp)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderCharge(q, c))
	return nil
}

// GetCharge serves GET /charges/{id}.
func (h *Handler) GetCharge(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixCharge, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	c, err := h.svc.GetCharge(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	return h.writeCharge(w, q, c)
}

// ListCharges serves GET /charges.
func (h *Handler) ListCharges(w http.ResponseWriter, q *request) error {
	f, err := q.page(h.svc.Now())
	if err != nil {
		return err
	}
	cs, total, err := h.svc.ListCharges(q.Context(), q.pr, paylinks.ChargeFilter{From: f.From, To: f.To,
		Order: f.Order, Offset: f.Offset, Limit: f.Limit})
	if err != nil {
		return err
	}
	data := make([]any, len(cs))
	for i := range cs {
		data[i] = h.renderCharge(q, &cs[i])
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList("/charges", data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}
