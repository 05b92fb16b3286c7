package checkout

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// Checkout sessions have their own page, GET /c/{id}, where id is the
// session's public id (paylinks.FormatSessionID). POST /c/{id} pays it;
// GET /c/{id}/complete shows its receipt.

// sessionLookup finds the session of the request's id and writes the page
// that says why it cannot be paid when it cannot.
func (h *Handler) sessionLookup(w http.ResponseWriter, r *http.Request) (*service.SessionInfo, bool) {
	id, ok := paylinks.ParseSessionID(r.PathValue("id"))
	if !ok {
		h.sessionNotFound(w, r)
		return nil, false
	}
	info, err := h.svc.SessionCheckout(r.Context(), id)
	if err != nil {
		if paylinks.KindOf(err) == paylinks.KindNotFound {
			h.sessionNotFound(w, r)
		} else {
			h.errorPage(w, r, nil, err)
		}
		return nil, false
	}
	s := info.Session
	switch {
	case s.Status == paylinks.SessionComplete && s.Crypto != nil && s.Crypto.Status.Accepted():
		http.Redirect(w, r, sessionNext(s), http.StatusSeeOther)
		return nil, false
	case s.Status == paylinks.SessionComplete:
		http.Redirect(w, r, "/c/"+paylinks.FormatSessionID(info.Session.ID)+"/complete", http.StatusSeeOther)
		return nil, false
	case s.Status == paylinks.SessionExpired && s.Crypto != nil && s.Crypto.Status != paylinks.CryptoExpired &&
		r.Method == http.MethodGet:
		// Something arrived on chain: the page shows its status.
		return info, true
	case s.Status == paylinks.SessionExpired:
		h.message(w, r, http.StatusGone, !info.Session.Livemode, "This checkout has expired",
			"This checkout was open for a limited time and has expired, so it cannot be paid. Nothing was charged. Go back to "+
				info.Merchant+" to start again.", "wait")
		return nil, false
	}
	return info, true
}

func (h *Handler) sessionNotFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, false, "Checkout not found",
		"This checkout does not exist. Check the address, or go back to the merchant and start again.", "info")
}

func (h *Handler) sessionView(r *http.Request, info *service.SessionInfo) *view {
	s := info.Session
	lang := r.Header.Get("Accept-Language")
	v := &view{PageTitle: info.Title() + " · " + info.Merchant, Test: !s.Livemode, Merchant: info.Merchant,
		Initial: initial(info.Merchant), Title: info.Title(), Currency: s.Currency, Available: info.Available,
		Action: "/c/" + paylinks.FormatSessionID(s.ID), CancelURL: s.CancelURL, Errors: map[string]string{},
		Quote: quoteText(service.SessionQuote(s)), ETH: newEthView(s, h.svc.Now())}
	if info.Link != nil {
		v.Description = info.Link.Description
	}
	v.setAmount(s.Amount, s.Currency, lang)
	setBrand(v, info.Brand)
	return v
}

// SessionPage serves GET /c/{id}: the checkout of a session, or a page
// saying why it cannot be paid (a complete session goes to its receipt).
func (h *Handler) SessionPage(w http.ResponseWriter, r *http.Request) {
	info, ok := h.sessionLookup(w, r)
	if !ok {
		return
	}
	h.sessionPage(w, r, info)
}

// sessionPage writes the checkout page of a payable session: 503 when
// payments are not available.
func (h *Handler) sessionPage(w http.ResponseWriter, r *http.Request, info *service.SessionInfo) {
	v := h.sessionView(r, info)
	h.checkoutPage(w, r, v, v.Action, info.Available, formActionURL(info.Session.SuccessURL))
}

// PaySession serves POST /c/{id}: like Pay for a link, it checks the CSRF
// token and the attempt limits, pays the session, and redirects (303) to the
// session's success URL with session_id added, or to the receipt.
func (h *Handler) PaySession(w http.ResponseWriter, r *http.Request) {
	info, ok := h.sessionLookup(w, r)
	if !ok {
		return
	}
	s := info.Session
	test := !s.Livemode
	action := "/c/" + paylinks.FormatSessionID(s.ID)
	ip, shown, ok := h.admit(w, r, test, action, s.ID.String(), info.Available, func() {
		h.sessionPage(w, r, info) // the page says why, with the session as read
	})
	if !ok {
		return
	}
	declined := false
	defer h.settle(r, ip, &declined)
	lang := r.Header.Get("Accept-Language")
	f, pp, edge := decodePayForm(r.PostForm, s.Amount, s.Currency, lang)
	c, _, err := h.svc.PaySession(r.Context(), service.PaySessionParams{SessionID: s.ID, Amount: pp.Amount, Card: pp.Card,
		Email: pp.Email, IP: ip, Quote: &shown})
	again := func(status int, fe *formError, errs map[string]string) {
		h.payAgain(w, r, h.sessionView(r, info), action, formActionURL(s.SuccessURL), status, f, fe, errs)
	}
	var fe service.FieldErrors
	switch {
	case priceChanged(err): // a session's price is fixed: not expected, but never charged
		f = f.forPrice(shown, service.SessionQuote(s))
		again(http.StatusConflict, priceNotice("checkout", shown, service.SessionQuote(s), lang), nil)
	case errors.As(err, &fe) || (err == nil && len(edge) > 0):
		addFieldErrors(edge, fe)
		again(http.StatusUnprocessableEntity, nil, edge)
	case err != nil:
		switch e := paylinks.AsError(err); {
		case paylinks.KindOf(err) == paylinks.KindConflict:
			again(http.StatusConflict, tryAgain(err), nil)
		case e != nil && e.Code == "session_expired":
			h.message(w, r, http.StatusGone, test, "This checkout has expired",
				"This checkout has expired, so it cannot be paid. Nothing was charged.", "wait")
		case e != nil && e.Code == "session_complete":
			http.Redirect(w, r, action+"/complete", http.StatusSeeOther)
		default:
			h.errorPage(w, r, nil, err)
		}
	case !c.Accepted():
		declined = true
		h.limits.decline(r.Context(), s.ID.String(), h.now())
		again(http.StatusPaymentRequired, declineMessage(c), nil)
	case s.SuccessURL != "":
		http.Redirect(w, r, withSessionID(s.SuccessURL, s.ID), http.StatusSeeOther)
	default:
		http.Redirect(w, r, action+"/complete", http.StatusSeeOther)
	}
}

// SessionReceipt serves GET /c/{id}/complete: the receipt of a paid
// session.
func (h *Handler) SessionReceipt(w http.ResponseWriter, r *http.Request) {
	id, ok := paylinks.ParseSessionID(r.PathValue("id"))
	if !ok {
		h.sessionNotFound(w, r)
		return
	}
	info, err := h.svc.SessionCheckout(r.Context(), id)
	if err != nil || info.Session.Status != paylinks.SessionComplete || info.Session.ChargeID == nil {
		h.sessionNotFound(w, r)
		return
	}
	s := info.Session
	c, err := h.svc.SessionCharge(r.Context(), s)
	if err != nil {
		h.errorPage(w, r, nil, err)
		return
	}
	rv := receiptView(r, info.Merchant, info.Title(), c)
	setBrand(rv, info.Brand)
	h.render(w, r, http.StatusOK, "receipt", rv, "'none'")
}

// withSessionID returns the success URL with the session_id query
// parameter set to the session's id, keeping the URL's other parameters.
func withSessionID(raw string, id paylinks.ID) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // validated when it was set; never expected
	}
	q := u.Query()
	q.Set("session_id", paylinks.FormatSessionID(id))
	u.RawQuery = q.Encode()
	return u.String()
}
