package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

type paymentsData struct {
	Charges []paylinks.Charge
	Next    string // the cursor of the next (older) page, "" on the last
	First   bool   // the newest page: new payments are added to it as they arrive
	Newest  string // the newest charge shown, the live updates' cursor
	From    string // the export form's default range
	To      string
}

// Payments serves GET /dashboard/payments: the account's charges in the
// mode, newest first, a page at a time by keyset cursor (?after=). The
// first page adds new payments as they arrive (see NewPayments).
func (h *Handler) Payments(w http.ResponseWriter, r *http.Request, s *session) {
	p := service.CursorPage{Limit: linksPerPage}
	if a := r.URL.Query().Get("after"); a != "" {
		id, ok := paylinks.ParseBase36(a)
		if !ok {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page cursor is not a payment of this list.")
			return
		}
		p.After = &id
	}
	page, err := h.svc.ChargePage(r.Context(), s.pr, p)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	today := h.svc.Now().UTC()
	d := paymentsData{Charges: page.Items, First: p.After == nil,
		From: today.AddDate(0, 0, -30).Format(time.DateOnly), To: today.Format(time.DateOnly)}
	if page.HasMore && len(page.Items) > 0 {
		d.Next = paylinks.FormatBase36(page.Items[len(page.Items)-1].ID)
	}
	if len(page.Items) > 0 {
		d.Newest = paylinks.FormatBase36(page.Items[0].ID)
	}
	v := h.newView(s, "Payments")
	v.Nav, v.Data, v.Script = "payments", d, d.First
	h.render(w, r, http.StatusOK, "payments", v)
}

type paymentData struct {
	Charge     *paylinks.Charge
	Refundable int64 // minor units left to refund
	Capturable bool  // an authorization that can be captured or voided now
	Refunds    []paylinks.Refund
	Timeline   []timelineEntry
	Op         string // the confirmation page's operation: capture or void
}

// timelineEntry is an event of a payment and what became of its webhook
// deliveries.
type timelineEntry struct {
	paylinks.Event
	Delivery string // "delivered", "failed (HTTP 500)", "not delivered yet", or "" with no endpoint attempt
}

// deliveryState sums up an event's attempts: delivered when one succeeded.
func deliveryState(attempts []paylinks.WebhookAttempt) string {
	if len(attempts) == 0 {
		return ""
	}
	for _, a := range attempts {
		if a.Success {
			return "delivered"
		}
	}
	last := attempts[len(attempts)-1]
	if last.StatusCode > 0 {
		return "failed (HTTP " + strconv.Itoa(last.StatusCode) + "), retrying"
	}
	return "failed, retrying"
}

// Payment serves GET /dashboard/payments/{id}: a charge, its refunds, and
// (for an owner) the refund form.
func (h *Handler) Payment(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Payment")
	v.Nav = "payments"
	if !h.payment(w, r, s, v) {
		return
	}
	d := v.Data.(paymentData)
	v.Form["amount"] = paylinks.FormatDecimal(d.Refundable, d.Charge.Currency)
	switch {
	case r.URL.Query().Get("refunded") == "1":
		v.Notice = "Refund made."
	case r.URL.Query().Get("done") == "capture":
		v.Notice = "Payment captured."
	case r.URL.Query().Get("done") == "void":
		v.Notice = "Authorization voided: the payer's card is not charged."
	}
	h.render(w, r, http.StatusOK, "payment", v)
}

// payment fills v.Data with the path's charge, or answers the request.
func (h *Handler) payment(w http.ResponseWriter, r *http.Request, s *session, v *view) bool {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such payment.")
		return false
	}
	c, err := h.svc.GetCharge(r.Context(), s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return false
	}
	refunds, _, err := h.svc.ListRefunds(r.Context(), s.pr, paylinks.RefundFilter{ChargeID: &c.ID, Order: paylinks.Chronological, Limit: 100}, display)
	if err != nil {
		h.fail(w, r, s, err)
		return false
	}
	events, err := h.svc.ChargeTimeline(r.Context(), s.pr, c, refunds)
	if err != nil {
		h.fail(w, r, s, err)
		return false
	}
	ids := make([]paylinks.ID, len(events))
	for i := range events {
		ids[i] = events[i].ID
	}
	attempts, err := h.svc.WebhookAttempts(r.Context(), s.pr, ids)
	if err != nil {
		h.fail(w, r, s, err)
		return false
	}
	d := paymentData{Charge: c, Refunds: refunds, Capturable: c.Capturable(h.svc.Now())}
	for _, e := range events {
		d.Timeline = append(d.Timeline, timelineEntry{Event: e, Delivery: deliveryState(attempts[e.ID])})
	}
	if c.Refundable() {
		d.Refundable = c.CapturedAmount - c.RefundedAmount
	}
	v.Data = d
	return true
}

// Refund serves POST /dashboard/payments/{id}/refund: it refunds the typed
// amount through the service, which refuses a viewer (403) and an amount
// over what is left.
func (h *Handler) Refund(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "Payment")
	v.Nav = "payments"
	if !h.payment(w, r, s, v) {
		return
	}
	c := v.Data.(paymentData).Charge
	v.Form["amount"] = strings.TrimSpace(r.PostFormValue("amount"))
	amount, ok := paylinks.ParseDecimal(v.Form["amount"], c.Currency)
	if !ok || amount <= 0 {
		if !s.pr.Can(paylinks.ScopeLinksWrite) {
			// A viewer learns nothing about the form: it is refused.
			h.fail(w, r, s, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "forbidden"})
			return
		}
		v.Errors["amount"] = "Type an amount like 10.00, more than 0."
		h.render(w, r, http.StatusBadRequest, "payment", v)
		return
	}
	_, err := h.svc.CreateRefund(r.Context(), s.pr, c.ID, r.PathValue("id"), service.RefundParams{Amount: amount})
	if err != nil {
		if fieldErrors(v, err) || paylinks.KindOf(err) == paylinks.KindConflict {
			if v.Error == "" && len(v.Errors) == 0 {
				v.Errors["amount"] = paylinks.AsError(err).Message
			}
			h.render(w, r, http.StatusBadRequest, "payment", v)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/payments/"+r.PathValue("id")+"?refunded=1", http.StatusSeeOther)
}

// ChargeOpPage serves GET /dashboard/payments/{id}/capture and …/void: the
// step that confirms capturing or voiding an authorization.
func (h *Handler) ChargeOpPage(op string) func(w http.ResponseWriter, r *http.Request, s *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		v := h.newView(s, "Confirm "+op)
		v.Nav = "payments"
		if !h.payment(w, r, s, v) {
			return
		}
		d := v.Data.(paymentData)
		d.Op = op
		v.Data = d
		v.Form["amount"] = paylinks.FormatDecimal(d.Charge.AuthorizedAmount, d.Charge.Currency)
		h.render(w, r, http.StatusOK, "charge_op", v)
	}
}

// ChargeOp serves POST /dashboard/payments/{id}/capture (all or the typed
// part of the authorized amount) and …/void, through the service's
// CaptureCharge and ReverseCharge, which refuse a viewer and a charge that
// is not an open authorization.
func (h *Handler) ChargeOp(op string) func(w http.ResponseWriter, r *http.Request, s *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		v := h.newView(s, "Confirm "+op)
		v.Nav = "payments"
		if !h.payment(w, r, s, v) {
			return
		}
		d := v.Data.(paymentData)
		d.Op = op
		v.Data = d
		c := d.Charge
		var err error
		if op == "capture" {
			v.Form["amount"] = strings.TrimSpace(r.PostFormValue("amount"))
			amount, ok := paylinks.ParseDecimal(v.Form["amount"], c.Currency)
			if !ok || amount <= 0 {
				if !s.pr.Can(paylinks.ScopeLinksWrite) {
					h.fail(w, r, s, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "forbidden"})
					return
				}
				v.Errors["amount"] = "Type an amount like 10.00, more than 0."
				h.render(w, r, http.StatusBadRequest, "charge_op", v)
				return
			}
			_, err = h.svc.CaptureCharge(r.Context(), s.pr, c.ID, r.PathValue("id"), amount)
		} else {
			_, err = h.svc.ReverseCharge(r.Context(), s.pr, c.ID, r.PathValue("id"))
		}
		if err != nil {
			if fieldErrors(v, err) {
				if msg, ok := v.Errors["capture_amount"]; ok {
					v.Errors["amount"] = msg
				}
				h.render(w, r, http.StatusBadRequest, "charge_op", v)
				return
			}
			h.fail(w, r, s, err)
			return
		}
		http.Redirect(w, r, "/dashboard/payments/"+r.PathValue("id")+"?done="+op, http.StatusSeeOther)
	}
}
