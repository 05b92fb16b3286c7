package omise

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

const prefixRefund = "rfnd"

// chargeID parses the {id} of a /charges/{id}/… path.
func (q *request) chargeID() (paylinks.ID, string, error) {
	raw := q.PathValue("id")
	id, err := parseID(prefixCharge, raw, q.pr.Livemode)
	return id, raw, err
}

// writeCharge renders a charge with its first refunds.
func (h *Handler) writeCharge(w http.ResponseWriter, q *request, c *paylinks.Charge) error {
	v, err := h.chargeWithRefunds(q, c)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}

// chargeWithRefunds renders a charge whose refunds List holds its first
// refunds (read only when it has any), and whose return_uri, when it was
// made through a link, is the link's payment_uri + "/complete".
func (h *Handler) chargeWithRefunds(q *request, c *paylinks.Charge) (any, error) {
	v := h.renderCharge(q, c)
	if c.LinkID != nil {
		l, err := h.svc.LinkOfCharge(q.Context(), c)
		if err != nil {
			return nil, err
		}
		ch := v.(charge)
		ch.ReturnURI = strPtr(h.paymentURI(l) + "/complete")
		v = ch
	}
	if c.RefundedAmount == 0 {
		return v, nil
	}
	id := c.ID
	rs, total, err := h.svc.ListRefunds(q.Context(), q.pr, paylinks.RefundFilter{ChargeID: &id, Limit: 20}, "")
	if err != nil {
		return nil, err
	}
	data := make([]any, len(rs))
	for i := range rs {
		data[i] = q.renderRefund(&rs[i])
	}
	ch := v.(charge)
	chargeRef := formatID(prefixCharge, c.Livemode, c.ID)
	ch.Refunds = newList("/charges/"+chargeRef+"/refunds", data, 20, 0, total, paylinks.Chronological, epoch, h.svc.Now(), !q.modern())
	return ch, nil
}

// CaptureCharge serves POST /charges/{id}/capture (capture_amount optional:
// a partial capture).
func (h *Handler) CaptureCharge(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	amount, ok, err := q.params.amount("capture_amount")
	if err != nil || (ok && amount == 0) {
		return paylinks.Invalid("invalid_amount", "capture_amount", "capture_amount must be a whole number of the smallest currency unit, more than 0")
	}
	c, err := h.svc.CaptureCharge(q.Context(), q.pr, id, raw, amount)
	if err != nil {
		return err
	}
	return h.writeCharge(w, q, c)
}

// ReverseCharge serves POST /charges/{id}/reverse.
func (h *Handler) ReverseCharge(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	c, err := h.svc.ReverseCharge(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	return h.writeCharge(w, q, c)
}

// ExpireCharge serves POST /charges/{id}/expire.
func (h *Handler) ExpireCharge(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	c, err := h.svc.ExpireCharge(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	return h.writeCharge(w, q, c)
}

// UpdateCharge serves PATCH /charges/{id}: description and metadata.
func (h *Handler) UpdateCharge(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	var u service.ChargeUpdate
	if q.params.has("description") {
		d, err := q.params.str("description")
		if err != nil {
			return err
		}
		u.Description = &d
	}
	if q.params.has("metadata") {
		if u.Metadata, err = q.params.stringMap("metadata"); err != nil {
			return err
		}
		u.SetMetadata = true
	}
	c, err := h.svc.UpdateCharge(q.Context(), q.pr, id, raw, u)
	if err != nil {
		return err
	}
	return h.writeCharge(w, q, c)
}

// refund is Omise's Refund object.
type refund struct {
	Object          string            `json:"object"`
	ID              string            `json:"id"`
	Location        string            `json:"location"`
	Livemode        bool              `json:"livemode"`
	Amount          int64             `json:"amount"`
	Currency        string            `json:"currency"`
	FundingAmount   int64             `json:"funding_amount"`
	FundingCurrency string            `json:"funding_currency"`
	Charge          string            `json:"charge"`
	Transaction     *string           `json:"transaction"`
	Voided          bool              `json:"voided"`
	Status          string            `json:"status"`
	FailureCode     *string           `json:"failure_code"`
	FailureMessage  *string           `json:"failure_message"`
	Metadata        map[string]string `json:"metadata"`
	CreatedAt       string            `json:"created_at,omitempty"`
	Created         string            `json:"created,omitempty"`
}

func (q *request) renderRefund(r *paylinks.Refund) refund {
	chargeRef := formatID(prefixCharge, r.Livemode, r.ChargeID)
	id := formatID(prefixRefund, r.Livemode, r.ID)
	v := refund{Object: "refund", ID: id, Location: "/charges/" + chargeRef + "/refunds/" + id, Livemode: r.Livemode,
		Amount: r.Amount, Currency: q.currency(r.Currency), FundingAmount: r.Amount, FundingCurrency: q.currency(r.Currency),
		Charge: chargeRef, Voided: r.Voided, Status: string(r.Status), FailureCode: strPtr(r.FailureCode),
		FailureMessage: strPtr(r.FailureMessage), Metadata: r.Metadata}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if r.TransactionID != nil {
		v.Transaction = strPtr(formatID(prefixTrxn, r.Livemode, *r.TransactionID))
	}
	if q.modern() {
		v.CreatedAt = formatTime(r.CreatedAt)
	} else {
		v.Created = formatTime(r.CreatedAt)
	}
	return v
}

// CreateRefund serves POST /charges/{id}/refunds (amount, metadata, void).
func (h *Handler) CreateRefund(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	amount, ok, err := q.params.amount("amount")
	if err != nil || !ok {
		return paylinks.Invalid("invalid_amount", "amount", "amount is required: a whole number of the smallest currency unit, in digits only")
	}
	p := service.RefundParams{Amount: amount}
	if p.Metadata, err = q.params.stringMap("metadata"); err != nil {
		return err
	}
	if v, ok, err := q.params.bool("void"); err != nil {
		return err
	} else if ok {
		p.Void = v
	}
	r, err := h.svc.CreateRefund(q.Context(), q.pr, id, raw, p)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, q.renderRefund(r))
	return nil
}

// ListChargeRefunds serves GET /charges/{id}/refunds.
func (h *Handler) ListChargeRefunds(w http.ResponseWriter, q *request) error {
	id, raw, err := q.chargeID()
	if err != nil {
		return err
	}
	return h.listRefunds(w, q, &id, raw, "/charges/"+raw+"/refunds")
}

// ListRefunds serves GET /refunds: every refund of the account and mode.
func (h *Handler) ListRefunds(w http.ResponseWriter, q *request) error {
	return h.listRefunds(w, q, nil, "", "/refunds")
}

func (h *Handler) listRefunds(w http.ResponseWriter, q *request, chargeID *paylinks.ID, raw, location string) error {
	f, err := q.page(h.svc.Now())
	if err != nil {
		return err
	}
	rs, total, err := h.svc.ListRefunds(q.Context(), q.pr, paylinks.RefundFilter{ChargeID: chargeID, From: f.From, To: f.To,
		Order: f.Order, Offset: f.Offset, Limit: f.Limit}, raw)
	if err != nil {
		return err
	}
	data := make([]any, len(rs))
	for i := range rs {
		data[i] = q.renderRefund(&rs[i])
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList(location, data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}

// GetRefund serves GET /charges/{id}/refunds/{refund_id}.
func (h *Handler) GetRefund(w http.ResponseWriter, q *request) error {
	chargeID, _, err := q.chargeID()
	if err != nil {
		return err
	}
	raw := q.PathValue("refund_id")
	id, err := parseID(prefixRefund, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	r, err := h.svc.GetRefund(q.Context(), q.pr, &chargeID, id, raw)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, q.renderRefund(r))
	return nil
}
