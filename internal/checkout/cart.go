package checkout

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// The hosted page of a link that sells a cart: the lines with their
// quantities (− / + within the link's limits), a promotion-code box, the
// shipping address and option, the billing address when required, and the
// totals, all priced by the service (PriceCart). Without JavaScript, the
// − / + buttons and "Update" post the form with op=update and the page comes
// back priced for the new choice; with it, cart.js posts the same form to
// POST /l/{slug}/quote and updates the totals in place. Either way the
// form's token signs the total shown, and paying charges the total the
// server computes from the form, refused (409) when it is not that one.

// cartView is what the cart page shows besides the card fields.
type cartView struct {
	Lines         []cartLineView
	AllowPromo    bool
	PromoCode     string
	PromoApplied  string // "SAVE10 (10 % off)" when a code applies
	PromoErr      string
	ShipOptions   []shipOptionView
	Shipping      bool // ask for a shipping address
	ShipCountries []countryView
	Ship          addressView
	Billing       bool // ask for a billing address
	BillCountries []countryView
	Bill          addressView

	Subtotal, Discount, ShippingAmount, Tax, InclusiveTax, Total string
	HasDiscount, HasShipping, HasTax, HasInclusive               bool
	TaxLabel                                                     string

	PinnedEmail       string
	ClientReferenceID string
	SubmitVerb        string // Pay, Book, Donate

	TaxIDCollection         bool
	TaxID, TaxIDErr         string
	AskPromotions, AskTerms bool
	Promotions, Terms       bool
	TermsErr                string
	CustomFields            []customFieldView
}

type customFieldView struct {
	Name, Label, Type, Value, Err string
	Optional                      bool
	Options                       []countryView // Code is the value, Name the label
}

type cartLineView struct {
	Index                int
	Name, Description    string
	UnitText, AmountText string
	Quantity             int64
	Adjustable           bool
	Min, Max             int64
	CanDec, CanInc       bool
	Err                  string
}

type shipOptionView struct {
	ID, Name, AmountText, Estimate string
	Checked                        bool
}

type countryView struct {
	Code, Name string
	Selected   bool
}

type addressView struct {
	Name, Line1, Line2, City, PostalCode, State, Country string
}

// cartForm is the cart part of a posted form.
type cartForm struct {
	choice service.CartChoice
	op     string // "update" or "pay"
	email  string
	errs   map[string]string
}

// decodeCartForm reads the cart fields of a posted form for the link's
// cart: quantities (a − / + button's step applied), the promotion code,
// the shipping option and the addresses.
func decodeCartForm(form url.Values, cart *paylinks.LinkCart) cartForm {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	f := cartForm{op: get("op"), errs: map[string]string{}, email: get("email")}
	if f.op != "update" {
		f.op = "pay"
	}
	ch := &f.choice
	ch.Quantities = make([]int64, len(cart.LineItems))
	for i := range cart.LineItems {
		k := fmt.Sprintf("quantity[%d]", i)
		if v := get(k); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				f.errs[k] = "Enter a whole number of 1 or more."
				continue
			}
			ch.Quantities[i] = n
		}
	}
	if step := get("step"); step != "" {
		f.op = "update"
		i, d, ok := strings.Cut(step, ":")
		n, err1 := strconv.Atoi(i)
		delta, err2 := strconv.ParseInt(d, 10, 64)
		if ok && err1 == nil && err2 == nil && n >= 0 && n < len(cart.LineItems) && (delta == 1 || delta == -1) {
			q := ch.Quantities[n]
			if q == 0 {
				q = cart.LineItems[n].Quantity
			}
			if q+delta >= 1 {
				ch.Quantities[n] = q + delta
			}
		}
	}
	ch.PromotionCode = get("promotion_code")
	if v := get("shipping_rate"); v != "" {
		if id, err := uuid.Parse(v); err == nil {
			ch.ShippingRateID = &id
		} else {
			f.errs["shipping_rate"] = "Choose one of the shipping options."
		}
	}
	address := func(prefix string) *paylinks.Address {
		a := &paylinks.Address{Name: get(prefix + "name"), Line1: get(prefix + "line1"), Line2: get(prefix + "line2"),
			City: get(prefix + "city"), PostalCode: get(prefix + "postal_code"), State: get(prefix + "state"),
			Country: strings.ToUpper(get(prefix + "country"))}
		if *a == (paylinks.Address{}) {
			return nil
		}
		return a
	}
	if len(cart.ShippingCountries) > 0 {
		ch.ShippingAddress = address("shipping_")
	}
	if cart.BillingAddressCollection == "required" {
		ch.BillingAddress = address("billing_")
	}
	ch.ClientReferenceID = get("client_reference_id")
	ch.TaxID = get("tax_id")
	ch.Promotions, ch.Terms = form.Get("consent_promotions") != "", form.Get("consent_terms") != ""
	for _, cf := range cart.CustomFields {
		if v, ok := form["custom_"+cf.Key]; ok && len(v) > 0 {
			if ch.CustomFields == nil {
				ch.CustomFields = map[string]string{}
			}
			ch.CustomFields[cf.Key] = strings.TrimSpace(v[0])
		}
	}
	return f
}

// cartPageView is the view of a cart page for offer o, with what the payer
// typed (f) and the errors to show.
func (h *Handler) cartPageView(r *http.Request, info *service.CheckoutInfo, o *service.CartOffer, email string, errs map[string]string) *view {
	l := info.Link
	lang := r.Header.Get("Accept-Language")
	v := &view{PageTitle: l.Title + " · " + info.Merchant, Test: !l.Livemode, Merchant: info.Merchant,
		Initial: initial(info.Merchant), Title: l.Title, Description: l.Description, Currency: l.Currency,
		Available: info.Available, Action: cartAction(info), CancelURL: l.CancelURL, Errors: map[string]string{},
		Quote: quoteText(o.Quote())}
	for k, msg := range errs {
		v.Errors[k] = msg
	}
	for _, e := range o.Problems {
		if v.Errors[e.Param] == "" {
			v.Errors[e.Param] = e.Message
		}
	}
	v.AmountText = FormatAmount(o.Totals.Total, o.Totals.Currency, lang)
	v.Cart = cartViewOf(o, lang, v.Errors)
	v.Form.Email = email
	if info.Cart.CustomerEmail != "" {
		v.Cart.PinnedEmail = info.Cart.CustomerEmail
	}
	return v
}

func cartViewOf(o *service.CartOffer, lang string, errs map[string]string) *cartView {
	t := o.Totals
	cur := t.Currency
	money := func(n int64) string { return FormatAmount(n, cur, lang) }
	c := &cartView{AllowPromo: o.Cart.AllowPromotionCodes, PromoCode: o.PromotionCode, PromoErr: errs["promotion_code"],
		Subtotal: money(t.Subtotal), Discount: money(t.Discount), ShippingAmount: money(t.Shipping), Tax: money(t.Tax),
		InclusiveTax: money(t.InclusiveTax), Total: money(t.Total), HasDiscount: t.Discount > 0,
		HasShipping: o.Shipping != nil, HasTax: t.Tax > 0, HasInclusive: t.InclusiveTax > 0,
		ClientReferenceID: o.Choice.ClientReferenceID, SubmitVerb: submitVerb(o.Cart.SubmitType)}
	for i, ln := range o.Lines {
		lv := cartLineView{Index: i, Name: ln.Product.Name, Description: ln.Product.Description,
			UnitText: money(ln.Price.UnitAmount), AmountText: money(t.Lines[i].Amount), Quantity: ln.Quantity,
			Adjustable: ln.Adjustable, Min: ln.Min, Max: ln.Max, CanDec: ln.Adjustable && ln.Quantity > ln.Min,
			CanInc: ln.Adjustable && ln.Quantity < ln.Max, Err: errs[fmt.Sprintf("quantity[%d]", i)]}
		c.Lines = append(c.Lines, lv)
	}
	if o.Promotion != nil && o.Coupon != nil {
		c.PromoApplied = o.Promotion.Code + " (" + couponText(o.Coupon, lang) + ")"
	}
	for _, s := range o.ShippingOptions {
		c.ShipOptions = append(c.ShipOptions, shipOptionView{ID: s.ID.String(), Name: s.DisplayName, AmountText: money(s.Amount),
			Estimate: estimateText(s.DeliveryEstimate), Checked: o.Shipping != nil && o.Shipping.ID == s.ID})
	}
	var names []string
	for _, r := range o.TaxRates {
		names = append(names, r.DisplayName+" "+percentText(r.Percentage))
	}
	c.TaxLabel = "Tax"
	if len(names) > 0 {
		c.TaxLabel = strings.Join(names, " + ")
	}
	if len(o.Cart.ShippingCountries) > 0 {
		c.Shipping = true
		c.Ship = addressViewOf(o.Choice.ShippingAddress)
		c.ShipCountries = countries(o.Cart.ShippingCountries, c.Ship.Country)
	}
	c.TaxIDCollection, c.TaxID, c.TaxIDErr = o.Cart.TaxIDCollection, o.Choice.TaxID, errs["tax_id"]
	if cc := o.Cart.ConsentCollection; cc != nil {
		c.AskPromotions, c.AskTerms = cc.Promotions == "auto", cc.TermsOfService == "required"
		c.Promotions, c.Terms, c.TermsErr = o.Choice.Promotions, o.Choice.Terms, errs["terms"]
	}
	for _, f := range o.Cart.CustomFields {
		fv := customFieldView{Name: "custom_" + f.Key, Label: f.Label, Type: f.Type, Value: o.Choice.CustomFields[f.Key],
			Err: errs["custom_"+f.Key], Optional: f.Optional}
		for _, opt := range f.Options {
			fv.Options = append(fv.Options, countryView{Code: opt.Value, Name: opt.Label, Selected: opt.Value == fv.Value})
		}
		c.CustomFields = append(c.CustomFields, fv)
	}
	if o.Cart.BillingAddressCollection == "required" {
		c.Billing = true
		c.Bill = addressViewOf(o.Choice.BillingAddress)
		c.BillCountries = countries(billingCountries, c.Bill.Country)
	}
	return c
}

func addressViewOf(a *paylinks.Address) addressView {
	if a == nil {
		return addressView{}
	}
	return addressView{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode, State: a.State, Country: a.Country}
}

func submitVerb(t string) string {
	switch t {
	case "book":
		return "Book"
	case "donate":
		return "Donate"
	}
	return "Pay"
}

// couponText describes a coupon's discount: "10 % off", "$5.00 off".
func couponText(c *paylinks.Coupon, lang string) string {
	if c.PercentOff > 0 {
		return percentText(c.PercentOff) + " off"
	}
	return FormatAmount(c.AmountOff, c.Currency, lang) + " off"
}

// percentText writes a percentage exactly, without trailing zeros: "7%",
// "8.875%".
func percentText(p paylinks.Percent) string {
	whole, frac := int64(p)/10000, int64(p)%10000
	if frac == 0 {
		return strconv.FormatInt(whole, 10) + "%"
	}
	f := strings.TrimRight(fmt.Sprintf("%04d", frac), "0")
	return strconv.FormatInt(whole, 10) + "." + f + "%"
}

func estimateText(d *paylinks.DeliveryEstimate) string {
	if d == nil {
		return ""
	}
	unit := func(u string, n int) string {
		u = strings.ReplaceAll(u, "_", " ")
		if n != 1 {
			u += "s"
		}
		return u
	}
	switch {
	case d.MinimumValue > 0 && d.MaximumValue > 0:
		return fmt.Sprintf("%d–%d %s", d.MinimumValue, d.MaximumValue, unit(d.MaximumUnit, d.MaximumValue))
	case d.MaximumValue > 0:
		return fmt.Sprintf("up to %d %s", d.MaximumValue, unit(d.MaximumUnit, d.MaximumValue))
	case d.MinimumValue > 0:
		return fmt.Sprintf("at least %d %s", d.MinimumValue, unit(d.MinimumUnit, d.MinimumValue))
	}
	return ""
}

// cartPage serves GET /l/{slug} of a cart link: the cart at its default
// quantities, with the email and client reference from the URL
// (prefilled_email, client_reference_id).
func (h *Handler) cartPage(w http.ResponseWriter, r *http.Request, info *service.CheckoutInfo) {
	q := r.URL.Query()
	ch := service.CartChoice{ClientReferenceID: strings.TrimSpace(q.Get("client_reference_id"))}
	o, err := h.svc.PriceCart(r.Context(), info.Link, info.Cart, ch)
	if err != nil {
		h.errorPage(w, r, info.Link, err)
		return
	}
	// A page just opened shows no complaint about what the URL brought.
	o.Problems = nil
	email := strings.TrimSpace(q.Get("prefilled_email"))
	if len(email) > 254 {
		email = ""
	}
	v := h.cartPageView(r, info, o, email, nil)
	h.checkoutPage(w, r, v, info.Link.Slug, info.Available, formAction(info.Link))
}

// payCart serves POST /l/{slug} of a cart link: op=update (and the − / +
// buttons) shows the page priced for the form's choice; a payment charges
// the total the server computes from the form.
func (h *Handler) payCart(w http.ResponseWriter, r *http.Request, info *service.CheckoutInfo) {
	l := info.Link
	ip, shown, ok := h.admit(w, r, !l.Livemode, l.Slug, l.ID.String(), info.Available, func() {
		h.cartPage(w, r, info)
	})
	if !ok {
		return
	}
	declined := false
	defer h.settle(r, ip, &declined)
	lang := r.Header.Get("Accept-Language")
	cf := decodeCartForm(r.PostForm, info.Cart)
	f, pp, edge := decodePayForm(r.PostForm, 1, l.Currency, lang) // the amount is the cart's: none is read
	again := func(status int, o *service.CartOffer, fe *formError, errs map[string]string) {
		if o == nil {
			var err error
			if o, err = h.svc.PriceCart(r.Context(), l, info.Cart, cf.choice); err != nil {
				h.errorPage(w, r, l, err)
				return
			}
		}
		all := map[string]string{}
		for k, v := range cf.errs {
			all[k] = v
		}
		for k, v := range errs {
			if all[k] == "" {
				all[k] = v
			}
		}
		v := h.cartPageView(r, info, o, f.Email, all)
		v.Form = f
		v.FormError = fe
		v.CSRF = h.csrfToken(w, r, l.Slug, v.Quote)
		h.render(w, r, status, "cart", v, formAction(l))
	}
	if cf.op == "update" {
		f = formValues{Email: f.Email, Name: f.Name, Exp: f.Exp}
		again(http.StatusOK, nil, nil, nil)
		return
	}
	if len(edge) > 0 || len(cf.errs) > 0 {
		again(http.StatusUnprocessableEntity, nil, nil, edge)
		return
	}
	c, o, err := h.svc.PayCart(r.Context(), l, info.Cart, service.CartPayParams{Choice: cf.choice, Card: pp.Card,
		Email: pp.Email, IP: ip, Quote: &shown, Recover: info.Recovered})
	var fe service.FieldErrors
	switch {
	case priceChanged(err):
		again(http.StatusConflict, o, totalNotice(shown, o, lang), nil)
	case errors.As(err, &fe):
		errs := map[string]string{}
		addFieldErrors(errs, fe)
		var top *formError
		if e := fe.Param("discounts"); e != nil {
			top = &formError{Title: "The discount could not be applied", Message: e.Message}
		}
		again(http.StatusUnprocessableEntity, o, top, errs)
	case err != nil:
		if paylinks.KindOf(err) == paylinks.KindConflict {
			again(http.StatusConflict, o, tryAgain(err), nil)
			return
		}
		h.errorPage(w, r, l, err)
	case !c.Accepted():
		declined = true
		h.limits.decline(r.Context(), l.ID.String(), h.now())
		again(http.StatusPaymentRequired, o, declineMessage(c), nil)
	case l.SuccessURL != "" && c.SessionID != nil:
		http.Redirect(w, r, withSessionID(l.SuccessURL, *c.SessionID), http.StatusSeeOther)
	case l.SuccessURL != "":
		http.Redirect(w, r, l.SuccessURL, http.StatusSeeOther)
	default:
		http.Redirect(w, r, h.receiptURL(l.Slug, c.ID), http.StatusSeeOther)
	}
}

// totalNotice tells the payer that the total changed from the one shown.
func totalNotice(shown service.Quote, o *service.CartOffer, lang string) *formError {
	msg := "The total changed"
	if o != nil && !shown.PayerChooses() {
		msg += " from " + FormatAmount(shown.Amount, shown.Currency, lang) + " to " + FormatAmount(o.Totals.Total, o.Totals.Currency, lang)
	}
	return &formError{Title: "The total has changed", Message: msg + ". Check the new total and pay again. Nothing was charged.", Notice: true}
}

// cartQuote is the JSON answer of POST /l/{slug}/quote.
type cartQuote struct {
	// CSRF is the form's new token field: the new total, signed.
	CSRF         string            `json:"csrf"`
	Lines        []cartQuoteLine   `json:"lines"`
	Subtotal     string            `json:"subtotal"`
	Discount     string            `json:"discount"`
	Shipping     string            `json:"shipping"`
	Tax          string            `json:"tax"`
	TaxLabel     string            `json:"tax_label"`
	InclusiveTax string            `json:"inclusive_tax"`
	Total        string            `json:"total"`
	HasDiscount  bool              `json:"has_discount"`
	HasShipping  bool              `json:"has_shipping"`
	HasTax       bool              `json:"has_tax"`
	HasInclusive bool              `json:"has_inclusive"`
	PromoApplied string            `json:"promo_applied"`
	Errors       map[string]string `json:"errors"`
}

type cartQuoteLine struct {
	Quantity int64  `json:"quantity"`
	Amount   string `json:"amount"`
	CanDec   bool   `json:"can_dec"`
	CanInc   bool   `json:"can_inc"`
}

// Quote serves POST /l/{slug}/quote: the cart priced for the posted form,
// as JSON, with a new token field signing the new total. It is checked as
// a payment is (CSRF token, attempt limits) and charges nothing.
func (h *Handler) Quote(w http.ResponseWriter, r *http.Request) {
	info, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.quote(w, r, info)
}

// quote writes the quote of the cart of info for the posted form.
func (h *Handler) quote(w http.ResponseWriter, r *http.Request, info *service.CheckoutInfo) {
	if info.Cart == nil {
		h.notFound(w, r)
		return
	}
	l := info.Link
	ip, _, ok := h.admit(w, r, !l.Livemode, l.Slug, l.ID.String(), info.Available, func() {
		h.message(w, r, http.StatusServiceUnavailable, !l.Livemode, "Payments are not available",
			"This merchant cannot take card payments right now. Nothing was charged.", "info")
	})
	if !ok {
		return
	}
	declined := false
	defer h.settle(r, ip, &declined)
	cf := decodeCartForm(r.PostForm, info.Cart)
	o, err := h.svc.PriceCart(r.Context(), l, info.Cart, cf.choice)
	if err != nil {
		h.log.ErrorContext(r.Context(), "checkout: quote", "err", err)
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	lang := r.Header.Get("Accept-Language")
	errs := map[string]string{}
	for k, v := range cf.errs {
		errs[k] = v
	}
	for _, e := range o.Problems {
		if errs[e.Param] == "" && (e.Param == "promotion_code" || strings.HasPrefix(e.Param, "quantity[") || e.Param == "total") {
			errs[e.Param] = e.Message
		}
	}
	cv := cartViewOf(o, lang, errs)
	quote := quoteText(o.Quote())
	out := cartQuote{CSRF: quote + "." + h.csrfToken(w, r, l.Slug, quote), Subtotal: cv.Subtotal, Discount: cv.Discount,
		Shipping: cv.ShippingAmount, Tax: cv.Tax, TaxLabel: cv.TaxLabel, InclusiveTax: cv.InclusiveTax, Total: cv.Total,
		HasDiscount: cv.HasDiscount, HasShipping: cv.HasShipping, HasTax: cv.HasTax, HasInclusive: cv.HasInclusive,
		PromoApplied: cv.PromoApplied, Errors: errs}
	for _, lv := range cv.Lines {
		out.Lines = append(out.Lines, cartQuoteLine{Quantity: lv.Quantity, Amount: lv.AmountText, CanDec: lv.CanDec, CanInc: lv.CanInc})
	}
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// cartAction is where a cart page posts: the link's page, or its
// recovery page (RecoverPage).
func cartAction(info *service.CheckoutInfo) string {
	if info.Recovered {
		return "/l/" + info.Link.Slug + "/recover"
	}
	return "/l/" + info.Link.Slug
}

// The recovery of an expired cart link (after_expiration.recovery): its
// expired page links to GET /l/{slug}/recover, a fresh checkout of the
// same cart (service.RecoverCheckout: promotion codes as the recovery
// settings allow), priced and paid exactly like the link's page and posted
// to /l/{slug}/recover (quotes at /l/{slug}/recover/quote). What we chose:
// the fresh checkout is the link's cart page under another path rather
// than a new checkout session, so the link's own limits (completed
// payments, deactivation, deletion) still hold, and it is honoured only
// while the link has expired and its recovery is enabled; otherwise these
// paths send the payer (303) to the link's page, which says what it is.

// recoverLookup reads the link of the request's slug for a recovery path.
func (h *Handler) recoverLookup(w http.ResponseWriter, r *http.Request) (*service.CheckoutInfo, bool) {
	info, err := h.svc.RecoverCheckout(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.errorPage(w, r, nil, err)
		return nil, false
	}
	if !info.Recovered {
		http.Redirect(w, r, "/l/"+url.PathEscape(info.Link.Slug), http.StatusSeeOther)
		return nil, false
	}
	return info, true
}

// RecoverPage serves GET /l/{slug}/recover: the fresh checkout of an
// expired cart link with recovery enabled.
func (h *Handler) RecoverPage(w http.ResponseWriter, r *http.Request) {
	if info, ok := h.recoverLookup(w, r); ok {
		h.cartPage(w, r, info)
	}
}

// RecoverPay serves POST /l/{slug}/recover: Pay for the fresh checkout.
func (h *Handler) RecoverPay(w http.ResponseWriter, r *http.Request) {
	if info, ok := h.recoverLookup(w, r); ok {
		h.payCart(w, r, info)
	}
}

// RecoverQuote serves POST /l/{slug}/recover/quote: Quote for the fresh
// checkout.
func (h *Handler) RecoverQuote(w http.ResponseWriter, r *http.Request) {
	if info, ok := h.recoverLookup(w, r); ok {
		h.quote(w, r, info)
	}
}

// countries are the options of a country select: codes, in the order
// given, named in English when the name is known.
func countries(codes []string, selected string) []countryView {
	out := make([]countryView, 0, len(codes))
	for _, c := range codes {
		name := countryNames[c]
		if name == "" {
			name = c
		}
		out = append(out, countryView{Code: c, Name: name, Selected: c == selected})
	}
	return out
}

// billingCountries are the countries a billing address may be in.
var billingCountries = func() []string {
	out := make([]string, 0, len(countryNames))
	for _, c := range countryOrder {
		out = append(out, c)
	}
	return out
}()

var countryOrder = []string{"AU", "AT", "BE", "BR", "CA", "CH", "CN", "CZ", "DE", "DK", "ES", "FI", "FR", "GB", "GR", "HK",
	"ID", "IE", "IN", "IT", "JP", "KR", "KW", "MX", "MY", "NL", "NO", "NZ", "PH", "PL", "PT", "SE", "SG", "TH", "TW", "US", "VN"}

var countryNames = map[string]string{"AU": "Australia", "AT": "Austria", "BE": "Belgium", "BR": "Brazil", "CA": "Canada",
	"CH": "Switzerland", "CN": "China", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain", "FI": "Finland",
	"FR": "France", "GB": "United Kingdom", "GR": "Greece", "HK": "Hong Kong", "ID": "Indonesia", "IE": "Ireland",
	"IN": "India", "IT": "Italy", "JP": "Japan", "KR": "South Korea", "KW": "Kuwait", "MX": "Mexico", "MY": "Malaysia",
	"NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PH": "Philippines", "PL": "Poland", "PT": "Portugal",
	"SE": "Sweden", "SG": "Singapore", "TH": "Thailand", "TW": "Taiwan", "US": "United States", "VN": "Vietnam"}
