package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Selling a cart on a link's hosted page. The page sends the payer's
// choices (CartChoice); PriceCart reads the link's catalog objects and
// prices them with Totals; PayCart prices them again, checks the total the
// page showed, and pays exactly that total, redeeming the coupon and the
// promotion code in the transaction that writes the payment attempt.
//
// Tax: the link's tax rates, and those the payer's address chooses
// (cart_tax.go), apply to every line. Shipping is taxed by the same rates
// when its shipping rate's tax_behavior is inclusive or exclusive, and not
// taxed when it is unspecified.

// CartChoice is what the payer chose on a cart link's page.
type CartChoice struct {
	// Quantities are the lines' quantities, by line; a missing or 0 entry
	// is the line's default quantity. A line whose quantity is not
	// adjustable keeps its default.
	Quantities []int64
	// PromotionCode is the code the payer typed ("" for none).
	PromotionCode string
	// ShippingRateID is the shipping option chosen (nil: the first).
	ShippingRateID *paylinks.ID
	// ShippingAddress and BillingAddress are the addresses typed.
	ShippingAddress, BillingAddress *paylinks.Address
	// ClientReferenceID is the merchant's reference from the page's URL.
	ClientReferenceID string
	// TaxID is the tax ID the payer typed (links with tax_id_collection).
	TaxID string
	// Promotions and Terms are the consent checkboxes ticked.
	Promotions, Terms bool
	// CustomFields are the answers to the link's custom fields, by key.
	CustomFields map[string]string
}

// CartOfferLine is one line of a priced cart.
type CartOfferLine struct {
	Price      *paylinks.Price
	Product    *paylinks.Product
	Quantity   int64
	Adjustable bool
	Min, Max   int64
	Totals     LineTotals
}

// CartOffer is a cart link priced for a payer's choice: what the page
// shows and what a payment of that choice charges. Problems is what is
// wrong with the choice (a quantity out of bounds, a promotion code that
// cannot be used, a missing address), by parameter; an offer with problems
// is shown but cannot be paid.
type CartOffer struct {
	Link            *paylinks.Link
	Cart            *paylinks.LinkCart
	Lines           []CartOfferLine
	TaxRates        []paylinks.TaxRate
	ShippingOptions []paylinks.ShippingRate
	Shipping        *paylinks.ShippingRate
	Coupon          *paylinks.Coupon
	Promotion       *paylinks.PromotionCode
	// PromotionCode is the code as the payer typed it (trimmed).
	PromotionCode string
	Choice        CartChoice
	Totals        *CartTotals
	Problems      FieldErrors
}

// Quote is the price the page shows for the offer, as the form carries it.
func (o *CartOffer) Quote() Quote {
	return Quote{Amount: o.Totals.Total, Currency: o.Totals.Currency, Version: o.Link.UpdatedAt.UnixMicro()}
}

// maxCodeLen bounds a promotion code a payer types.
const maxCodeLen = 64

// cartCache keeps the carts of links as the hosted page reads them, by
// link id and version (UpdatedAt), nil for a link without one: most pages
// are of links that sell one amount, and they ask the store nothing more.
type cartCache struct {
	mu sync.Mutex
	m  map[paylinks.ID]cachedCart
}

type cachedCart struct {
	version time.Time
	cart    *paylinks.LinkCart
}

// maxCachedCarts bounds the cache (an entry is about 64 bytes, so about
// 4 MiB when full; it is emptied when full). Beyond it, a page of a link
// that sells one amount costs one primary-key read of link_carts: a flag
// on the link row would spare even that, and is left for later.
const maxCachedCarts = 1 << 16

// linkCart returns the cart of link l (nil when it sells one amount).
func (s *Service) linkCart(ctx context.Context, l *paylinks.Link) (*paylinks.LinkCart, error) {
	c := &s.carts
	c.mu.Lock()
	e, ok := c.m[l.ID]
	c.mu.Unlock()
	if ok && e.version.Equal(l.UpdatedAt) {
		return e.cart, nil
	}
	carts, err := s.store.LinkCarts(ctx, l.AccountID, l.Livemode, []paylinks.ID{l.ID})
	if err != nil {
		return nil, fmt.Errorf("link cart: %w", err)
	}
	cart := carts[l.ID]
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedCarts {
		c.m = make(map[paylinks.ID]cachedCart)
	}
	c.m[l.ID] = cachedCart{version: l.UpdatedAt, cart: cart}
	c.mu.Unlock()
	return cart, nil
}

// catalogObject reads one of the link owner's catalog objects.
func catalogObject[T any, P catalogPtr[T]](ctx context.Context, s *Service, l *paylinks.Link, id paylinks.ID) (P, error) {
	obj := P(new(T))
	it, err := s.store.GetCatalogItem(ctx, l.AccountID, l.Livemode, obj.Kind(), id)
	if err != nil {
		return nil, fmt.Errorf("%s %s of link %s: %w", obj.Kind(), id, l.ID, err)
	}
	if err := paylinks.DecodeCatalogItem(it, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// PriceCart prices the cart of link l for the payer's choice. Errors are
// the store's; what is wrong with the choice is in the offer's Problems.
func (s *Service) PriceCart(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, ch CartChoice) (*CartOffer, error) {
	o := &CartOffer{Link: l, Cart: cart, Choice: ch}
	problem := func(param, format string, args ...any) {
		o.Problems = append(o.Problems, paylinks.Invalid("parameter_invalid", param, format, args...))
	}
	lines := make([]CartLine, len(cart.LineItems))
	for i, it := range cart.LineItems {
		price, err := catalogObject[paylinks.Price](ctx, s, l, it.PriceID)
		if err != nil {
			return nil, err
		}
		product, err := catalogObject[paylinks.Product](ctx, s, l, it.ProductID)
		if err != nil {
			return nil, err
		}
		ol := CartOfferLine{Price: price, Product: product, Quantity: it.Quantity, Min: it.Quantity, Max: it.Quantity}
		if a := it.Adjustable; a != nil && a.Enabled {
			ol.Adjustable, ol.Min, ol.Max = true, max(a.Minimum, 1), a.Maximum
		}
		if i < len(ch.Quantities) && ch.Quantities[i] != 0 && ol.Adjustable {
			q := ch.Quantities[i]
			switch {
			case q < ol.Min:
				problem(fmt.Sprintf("quantity[%d]", i), "The quantity of %s must be at least %d.", product.Name, ol.Min)
				q = ol.Min
			case q > ol.Max:
				problem(fmt.Sprintf("quantity[%d]", i), "The quantity of %s can be at most %d.", product.Name, ol.Max)
				q = ol.Max
			}
			ol.Quantity = q
		}
		o.Lines = append(o.Lines, ol)
		lines[i] = CartLine{UnitAmount: price.UnitAmount, Quantity: ol.Quantity}
	}
	for _, id := range cart.TaxRateIDs {
		r, err := catalogObject[paylinks.TaxRate](ctx, s, l, id)
		if err != nil {
			return nil, err
		}
		o.TaxRates = append(o.TaxRates, *r)
	}
	byAddress, err := s.addressTaxRates(ctx, l, cart, ch)
	if err != nil {
		return nil, err
	}
	o.TaxRates = append(o.TaxRates, byAddress...)
	for i := range lines {
		lines[i].TaxRates = o.TaxRates
	}
	now := s.Now()
	if cart.CouponID != nil {
		c, err := catalogObject[paylinks.Coupon](ctx, s, l, *cart.CouponID)
		if err != nil {
			return nil, err
		}
		if redeemable(c.Active, c.MaxRedemptions, c.TimesRedeemed, c.RedeemBy, now) {
			o.Coupon = c
		}
	}
	if code := strings.TrimSpace(ch.PromotionCode); code != "" {
		o.PromotionCode = code
		if !cart.AllowPromotionCodes {
			problem("promotion_code", "This link does not take promotion codes.")
		} else if err := s.applyPromotionCode(ctx, l, o, code, now); err != nil {
			var pe *paylinks.Error
			if !errors.As(err, &pe) || pe.Kind != paylinks.KindInvalid {
				return nil, err
			}
			o.Problems = append(o.Problems, pe)
		}
	}
	for _, id := range cart.ShippingRateIDs {
		r, err := catalogObject[paylinks.ShippingRate](ctx, s, l, id)
		if err != nil {
			return nil, err
		}
		if !r.Active {
			continue
		}
		o.ShippingOptions = append(o.ShippingOptions, *r)
		if o.Shipping == nil || (ch.ShippingRateID != nil && *ch.ShippingRateID == r.ID) {
			o.Shipping = &o.ShippingOptions[len(o.ShippingOptions)-1]
		}
	}
	if ch.ShippingRateID != nil && (o.Shipping == nil || o.Shipping.ID != *ch.ShippingRateID) {
		problem("shipping_rate", "Choose one of the shipping options.")
	}
	var shippingTax []paylinks.TaxRate
	if o.Shipping != nil && o.Shipping.TaxBehavior != paylinks.TaxUnspecified && o.Shipping.TaxBehavior != "" {
		shippingTax = o.TaxRates
	}
	t, err := Totals(Cart{Currency: l.Currency, Lines: lines, Coupon: o.Coupon, Shipping: o.Shipping, ShippingTaxRates: shippingTax})
	if err != nil {
		return nil, fmt.Errorf("PriceCart: %w", err)
	}
	o.Totals = t
	if err := paylinks.CheckAmount(t.Total, t.Currency, "total"); err != nil {
		problem("total", "The total is out of the range a card payment may have: %s", paylinks.AsError(err).Message)
	}
	return o, nil
}

// redeemable reports whether a coupon or promotion code may be redeemed at
// now, as far as the page can tell (the payment's write decides).
func redeemable(active bool, maxRedemptions, times int, until *time.Time, now time.Time) bool {
	return active && (maxRedemptions == 0 || times < maxRedemptions) && (until == nil || now.Before(*until))
}

// applyPromotionCode finds the link owner's promotion code typed by the
// payer and, when it may be used, puts its coupon on the offer in place of
// the link's own. KindInvalid (param promotion_code) says why it may not.
func (s *Service) applyPromotionCode(ctx context.Context, l *paylinks.Link, o *CartOffer, code string, now time.Time) error {
	invalid := func(msg string) error { return paylinks.Invalid("promotion_code_invalid", "promotion_code", "%s", msg) }
	if len(code) > maxCodeLen {
		return invalid("This promotion code is not valid.")
	}
	it, err := s.store.CatalogItemByKey(ctx, l.AccountID, l.Livemode, paylinks.CatalogPromotionCode, paylinks.CodeKey(code))
	if errors.Is(err, paylinks.ErrNotFound) {
		return invalid("This promotion code is not valid.")
	}
	if err != nil {
		return fmt.Errorf("promotion code: %w", err)
	}
	var pc paylinks.PromotionCode
	if err := paylinks.DecodeCatalogItem(it, &pc); err != nil {
		return err
	}
	c, err := catalogObject[paylinks.Coupon](ctx, s, l, pc.CouponID)
	if err != nil {
		return err
	}
	switch {
	case !pc.Active || !c.Active:
		return invalid("This promotion code is not valid.")
	case (pc.ExpiresAt != nil && !now.Before(*pc.ExpiresAt)) || (c.RedeemBy != nil && !now.Before(*c.RedeemBy)):
		return invalid("This promotion code has expired.")
	case !redeemable(true, pc.MaxRedemptions, pc.TimesRedeemed, nil, now) || !redeemable(true, c.MaxRedemptions, c.TimesRedeemed, nil, now):
		return invalid("This promotion code has been used up.")
	case c.AmountOff > 0 && c.Currency != l.Currency:
		return invalid("This promotion code does not apply to a purchase in " + l.Currency + ".")
	}
	o.Promotion, o.Coupon = &pc, c
	return nil
}

// CartPayParams describe one payment of a cart link from its hosted page.
type CartPayParams struct {
	Choice CartChoice
	Card   CardInput
	Email  string
	IP     string
	// Quote is the total the page showed (nil: no page).
	Quote *Quote
	// Recover pays a link whose expires_at has passed, as the fresh
	// checkout its expired page offers when the cart has
	// after_expiration.recovery enabled (RecoveryCart); without recovery
	// enabled the payment is refused as expired all the same.
	Recover bool
}

// CodeRedemptionRefused is the code of the error of a payment whose
// coupon or promotion code could no longer be redeemed when the payment
// was written: nothing was charged.
const CodeRedemptionRefused = "promotion_code_used_up"

// PayCart pays the cart of link l for the payer's choice: it prices the
// choice again (the charged amount is that total, never a number from the
// browser), refuses it with the offer's problems (FieldErrors, nothing
// charged), refuses a total other than the quoted one (CodePriceChanged),
// and pays as PayLinkWith does, with the cart recorded on the attempt and
// then on the session, and the coupon and promotion code redeemed in the
// attempt's write (a used-up one refuses the payment, nothing charged).
// It returns the offer it charged.
func (s *Service) PayCart(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, p CartPayParams) (*paylinks.Charge, *CartOffer, error) {
	why := l.PayableAt(s.Now())
	if why == "expired" && p.Recover {
		if cart = RecoveryCart(cart); cart != nil {
			why = ""
		}
	}
	if why != "" {
		return nil, nil, linkUnpayable(l, why)
	}
	o, err := s.PriceCart(ctx, l, cart, p.Choice)
	if err != nil {
		return nil, nil, err
	}
	fe := append(FieldErrors(nil), o.Problems...)
	fe = append(fe, checkAddresses(o)...)
	answers, answerErrs := checkAnswers(o)
	fe = append(fe, answerErrs...)
	if len(fe) > 0 {
		return nil, o, fe
	}
	if err := checkQuote(p.Quote, o.Totals.Total, o.Totals.Currency); err != nil {
		return nil, o, err
	}
	email := p.Email
	if cart.CustomerEmail != "" {
		email = cart.CustomerEmail
	}
	now := s.Now()
	in, err := s.checkPayer(ctx, l.Livemode, o.Totals.Total, l.Currency, 0, p.Card, email, now)
	if err != nil {
		return nil, o, err
	}
	description := l.Title
	if l.Description != "" {
		description += "\n\n" + l.Description
	}
	a, err := s.newAttempt(store.AttemptLink, l.AccountID, l.Livemode, in, l.Currency, description, now)
	if err != nil {
		return nil, o, err
	}
	linkID := l.ID
	a.LinkID, a.ClaimsLink, a.IP, a.Capture = &linkID, l.Limited(), payerIP(p.IP), !l.ManualCapture
	a.Cart = sessionCart(o)
	answers(a.Cart)
	if o.Promotion != nil {
		a.Redeems = append(a.Redeems, o.Promotion.ID)
	}
	if o.Coupon != nil {
		a.Redeems = append(a.Redeems, o.Coupon.ID)
	}
	if err := s.store.BeginAttempt(ctx, a, nil, now, now.Add(claimLease)); err != nil {
		switch {
		case errors.Is(err, store.ErrRedemptionRefused):
			param := "promotion_code"
			if o.Promotion == nil {
				param = "discounts"
			}
			return nil, o, FieldErrors{paylinks.Invalid(CodeRedemptionRefused, param,
				"This discount has just been used up, so it cannot be applied. Nothing was charged.")}
		case errors.Is(err, paylinks.ErrConflict):
			return nil, o, s.claimRefused(ctx, l)
		}
		return nil, o, fmt.Errorf("PayCart(%q): %w", l.Slug, err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processorTimeout+10*time.Second)
	defer cancel()
	c, err := s.chargeAttempt(ctx, a, in.proc, attemptTarget{link: l})
	if err != nil {
		return nil, o, fmt.Errorf("PayCart(%q): %w", l.Slug, err)
	}
	return c, o, nil
}

// RecoveryCart is what the fresh checkout offered by an expired link's
// page sells, per Stripe's after_expiration.recovery: the same cart (the
// same items, quantities, discount, shipping, tax and fields), with
// promotion codes allowed only as the recovery settings say (not as the
// expired link did). It is nil when the cart has no recovery enabled, so
// recovery is honoured only while the merchant keeps it on; the caller
// decides that the link has expired. What we chose: the fresh checkout is
// the link's own cart page under /l/{slug}/recover, priced and paid like
// the link page, rather than a new checkout session row, so every limit
// of the link (completed payments, deactivation, deletion) still applies.
func RecoveryCart(cart *paylinks.LinkCart) *paylinks.LinkCart {
	if cart == nil || cart.Recovery == nil || !cart.Recovery.Enabled {
		return nil
	}
	c := *cart
	c.AllowPromotionCodes = cart.Recovery.AllowPromotionCodes
	return &c
}

// checkAddresses reports the addresses the offer's link requires and the
// payer did not give, or gave in a country the link does not ship to.
func checkAddresses(o *CartOffer) FieldErrors {
	var fe FieldErrors
	bad := func(param, msg string) { fe = append(fe, paylinks.Invalid("parameter_invalid", param, "%s", msg)) }
	checkAddress := func(prefix string, a *paylinks.Address) {
		if a == nil {
			a = &paylinks.Address{}
		}
		if a.Name == "" {
			bad(prefix+"name", "Enter the name.")
		}
		if a.Line1 == "" {
			bad(prefix+"line1", "Enter the street address.")
		}
		if a.City == "" {
			bad(prefix+"city", "Enter the city.")
		}
		if len(a.Country) != 2 {
			bad(prefix+"country", "Choose the country.")
		}
		for _, v := range []string{a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.State} {
			if len(v) > 200 || strings.ContainsAny(v, "\x00\r\n") {
				bad(prefix+"line1", "The address is too long or holds characters it may not.")
				break
			}
		}
	}
	if len(o.Cart.ShippingCountries) > 0 {
		checkAddress("shipping_", o.Choice.ShippingAddress)
		if a := o.Choice.ShippingAddress; a != nil && len(a.Country) == 2 && !contains(o.Cart.ShippingCountries, a.Country) {
			bad("shipping_country", "This merchant does not ship to that country.")
		}
	}
	if o.Cart.BillingAddressCollection == "required" {
		checkAddress("billing_", o.Choice.BillingAddress)
	}
	if len(o.Choice.ClientReferenceID) > 200 {
		bad("client_reference_id", "client_reference_id is at most 200 characters.")
	}
	return fe
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sessionCart is what a payment of offer o records on its session.
func sessionCart(o *CartOffer) *paylinks.SessionCart {
	t := o.Totals
	sc := &paylinks.SessionCart{Breakdown: paylinks.CartBreakdown{Subtotal: t.Subtotal, Discount: t.Discount,
		Shipping: t.Shipping, Tax: t.Tax, InclusiveTax: t.InclusiveTax, Total: t.Total},
		ClientReferenceID: o.Choice.ClientReferenceID}
	for i, l := range o.Lines {
		lt := t.Lines[i]
		sc.Lines = append(sc.Lines, paylinks.SessionLine{PriceID: l.Price.ID, ProductID: l.Product.ID, ProductName: l.Product.Name,
			UnitAmount: l.Price.UnitAmount, Quantity: l.Quantity, Amount: lt.Amount, Discount: lt.Discount, Tax: lt.Tax, Total: lt.Total})
	}
	if o.Coupon != nil {
		id := o.Coupon.ID
		sc.CouponID = &id
	}
	if o.Promotion != nil {
		id := o.Promotion.ID
		sc.PromotionCodeID, sc.PromotionCode = &id, o.Promotion.Code
	}
	if o.Shipping != nil {
		id := o.Shipping.ID
		sc.ShippingRateID, sc.ShippingName = &id, o.Shipping.DisplayName
	}
	if len(o.Cart.ShippingCountries) > 0 {
		sc.ShippingAddress = o.Choice.ShippingAddress
	}
	if o.Choice.BillingAddress != nil && o.Choice.BillingAddress.Country != "" {
		sc.BillingAddress = o.Choice.BillingAddress
	}
	return sc
}

// CheckoutCart returns the cart of the link a hosted page shows, nil when
// the link sells one amount.
func (s *Service) CheckoutCart(ctx context.Context, l *paylinks.Link) (*paylinks.LinkCart, error) {
	return s.linkCart(ctx, l)
}

// Limits of what a payer types beyond the cart.
const (
	maxTaxIDLen       = 40
	maxCustomTextLen  = 255
	maxCustomNumerals = 255
)

// checkAnswers checks what the payer gave beyond the cart against what the
// link asks for (tax ID, consents, custom fields): the terms of service, a
// required field, a numeric field's digits, a dropdown's options. It
// returns the function that records the answers on a session's cart.
func checkAnswers(o *CartOffer) (func(*paylinks.SessionCart), FieldErrors) {
	var fe FieldErrors
	bad := func(param, msg string) { fe = append(fe, paylinks.Invalid("parameter_invalid", param, "%s", msg)) }
	ch, cart := o.Choice, o.Cart
	var taxIDs []paylinks.TaxID
	if cart.TaxIDCollection {
		if id := strings.TrimSpace(ch.TaxID); id != "" {
			if len(id) > maxTaxIDLen || strings.ContainsAny(id, "\x00\r\n<>") {
				bad("tax_id", fmt.Sprintf("Enter a tax ID of at most %d characters.", maxTaxIDLen))
			} else {
				taxIDs = append(taxIDs, paylinks.TaxID{Type: "unknown", Value: id})
			}
		}
	}
	var consent *paylinks.Consent
	if cc := cart.ConsentCollection; cc != nil {
		if cc.TermsOfService == "required" && !ch.Terms {
			bad("terms", "Agree to the terms of service to continue.")
		}
		c := paylinks.Consent{Promotions: cc.Promotions == "auto" && ch.Promotions, TermsOfService: cc.TermsOfService == "required" && ch.Terms}
		if c != (paylinks.Consent{}) {
			consent = &c
		}
	}
	var values []paylinks.CustomFieldValue
	for _, f := range cart.CustomFields {
		v := strings.TrimSpace(ch.CustomFields[f.Key])
		param := "custom_" + f.Key
		switch {
		case v == "" && !f.Optional:
			bad(param, "Fill in "+f.Label+".")
			continue
		case v == "":
			continue
		case f.Type == paylinks.CustomFieldNumeric:
			if len(v) > maxCustomNumerals || strings.Trim(v, "0123456789") != "" {
				bad(param, f.Label+" takes digits only.")
				continue
			}
		case f.Type == paylinks.CustomFieldDropdown:
			ok := false
			for _, opt := range f.Options {
				ok = ok || opt.Value == v
			}
			if !ok {
				bad(param, "Choose one of the options of "+f.Label+".")
				continue
			}
		default:
			if len(v) > maxCustomTextLen || strings.ContainsAny(v, "\x00") {
				bad(param, fmt.Sprintf("%s is at most %d characters.", f.Label, maxCustomTextLen))
				continue
			}
		}
		values = append(values, paylinks.CustomFieldValue{Key: f.Key, Label: f.Label, Type: f.Type, Value: v})
	}
	return func(sc *paylinks.SessionCart) {
		sc.TaxIDs, sc.Consent, sc.CustomFields = taxIDs, consent, values
	}, fe
}
