package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

type paymentsData struct {
	Charges    []paylinks.Charge
	Prev, Next string // offsets of the neighbouring pages, "" when none
}

// Payments serves GET /dashboard/payments: the account's charges in the
// mode, newest first (?offset= pages).
func (h *Handler) Payments(w http.ResponseWriter, r *http.Request, s *session) {
	off := 0
	if o := r.URL.Query().Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page offset must be a whole number.")
			return
		}
		off = n
	}
	cs, total, err := h.svc.ListCharges(r.Context(), s.pr, paylinks.ChargeFilter{Order: paylinks.ReverseChronological,
		Offset: off, Limit: linksPerPage})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := paymentsData{Charges: cs}
	if off > 0 {
		d.Prev = strconv.Itoa(max(0, off-linksPerPage))
	}
	if off+len(cs) < total {
		d.Next = strconv.Itoa(off + linksPerPage)
	}
	v := h.newView(s, "Payments")
	v.Nav, v.Data = "payments", d
	h.render(w, r, http.StatusOK, "payments", v)
}

type paymentData struct {
	Charge     *paylinks.Charge
	Refundable int64 // minor units left to refund
	Refunds    []paylinks.Refund
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
	if r.URL.Query().Get("refunded") == "1" {
		v.Notice = "Refund made."
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
	d := paymentData{Charge: c, Refunds: refunds}
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
