package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
)

// LinkUpdate lists the changes to a link; nil fields stay as they are.
type LinkUpdate struct {
	Title       *string
	Description *string // "" clears it
	// Amount is the new amount in minor units; AmountDecimal is the new
	// amount as a plain decimal string ("99.00"), parsed exactly in the
	// link's currency after the update. Give at most one.
	Amount        *int64
	AmountDecimal *string
	// Currency changes the link's currency; a new amount must come with it.
	Currency   *string
	SuccessURL *string // "" clears it
	CancelURL  *string // "" clears it
	Active     *bool
	// Cart changes members of a cart link's cart (nil: none). A link
	// without a cart refuses it.
	Cart *CartUpdate
}

// CartUpdate lists the changes to the members of a cart link that may
// change after it is made; nil fields stay as they are. The line items,
// currency, discounts, tax and shipping rates and consent collection never
// change (they change the price, or what the payer agreed to).
type CartUpdate struct {
	CustomFields        *[]paylinks.CustomField
	TaxIDCollection     *bool
	AutomaticTax        *bool
	AllowPromotionCodes *bool
	Recovery            *paylinks.ExpirationRecovery
	// PaymentLimit is the new completed-payments limit (from 1); the link
	// is used (inactive) while the payments it took reach it.
	PaymentLimit *int
}

// applyCartUpdate returns cart with c's changes, checked as CreateCartLink
// checks them, and sets l's PaymentLimit.
func applyCartUpdate(l *paylinks.Link, cur *paylinks.LinkCart, c *CartUpdate) (*paylinks.LinkCart, error) {
	cart := *cur
	p := CartLinkParams{CustomFields: cur.CustomFields, ConsentCollection: cur.ConsentCollection, TaxIDCollection: cur.TaxIDCollection,
		AutomaticTax: cur.AutomaticTax, Recovery: cur.Recovery}
	if c.CustomFields != nil {
		p.CustomFields = *c.CustomFields
	}
	if c.TaxIDCollection != nil {
		p.TaxIDCollection = *c.TaxIDCollection
	}
	if c.AutomaticTax != nil {
		p.AutomaticTax = *c.AutomaticTax
	}
	if c.AllowPromotionCodes != nil {
		cart.AllowPromotionCodes = *c.AllowPromotionCodes
	}
	if c.Recovery != nil {
		p.Recovery = c.Recovery
	}
	if c.PaymentLimit != nil {
		const param = "restrictions.completed_sessions.limit"
		switch n := *c.PaymentLimit; {
		case n < 1 || n > MaxPaymentLimit:
			return nil, paylinks.Invalid("parameter_invalid", param, "%s must be from 1 to %d", param, MaxPaymentLimit)
		case !l.Multiple && n != 1:
			return nil, paylinks.Invalid("parameter_not_updatable", param, "a single-use link takes one payment; create a new link")
		case l.Multiple:
			l.PaymentLimit = n
		}
	}
	cart.CustomFields, cart.ConsentCollection, cart.Recovery = nil, nil, nil
	if err := checkCartExtras(&cart, &p); err != nil {
		return nil, err
	}
	return &cart, nil
}

// UpdateLink changes the given fields of a link of the caller's and emits
// link.update. The same checks as CreateLink apply to the result. A new
// amount affects only checkout sessions made afterwards (a session keeps the
// amount it was made with). A deleted link is not found.
func (s *Service) UpdateLink(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u LinkUpdate) (*paylinks.Link, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	if u.Amount != nil && u.AmountDecimal != nil {
		return nil, paylinks.Invalid("bad_request", "amount", "give the amount once")
	}
	if err := s.refuseCartRepricing(ctx, pr, id, u); err != nil {
		return nil, err
	}
	// Read, change, write only if nobody changed the link meanwhile; on a
	// conflict apply the same changes to the newer link.
	for attempt := 1; ; attempt++ {
		l, err := s.updateLinkOnce(ctx, pr, id, display, u)
		if errors.Is(err, paylinks.ErrConflict) && paylinks.AsError(err) == nil {
			if attempt < 5 {
				continue
			}
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "concurrent_update",
				Message: "the link is being changed by other requests; try again"}
		}
		return l, err
	}
}

// updateLinkOnce is one read-change-write of UpdateLink; ErrConflict when
// the link changed between the read and the write.
func (s *Service) updateLinkOnce(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string, u LinkUpdate) (*paylinks.Link, error) {
	cur, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) || (err == nil && cur.Deleted()) {
		return nil, linkNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("UpdateLink(%s): %w", display, err)
	}
	l := *cur
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&l.Title, u.Title)
	set(&l.Description, u.Description)
	set(&l.SuccessURL, u.SuccessURL)
	set(&l.CancelURL, u.CancelURL)
	if u.Active != nil {
		l.Active = *u.Active
	}
	currency := l.Currency
	if u.Currency != nil {
		code, ok := paylinks.NormalizeCurrency(*u.Currency)
		if !ok {
			return nil, paylinks.Invalid("invalid_currency", "currency", "currency %q is not supported", *u.Currency)
		}
		if code != l.Currency && u.Amount == nil && u.AmountDecimal == nil {
			return nil, paylinks.Invalid("invalid_amount", "amount", "a new currency needs a new amount in the same request")
		}
		currency = code
	}
	switch {
	case u.Amount != nil:
		l.Amount = *u.Amount
	case u.AmountDecimal != nil:
		n, ok := paylinks.ParseDecimal(*u.AmountDecimal, currency)
		if !ok {
			return nil, paylinks.Invalid("invalid_amount", "amount",
				"amount must be a plain decimal string with at most %d decimals for %s, like %q",
				paylinks.CurrencyDigits(currency), currency, paylinks.FormatDecimal(paylinks.CurrencyLimits[currency].Min, currency))
		}
		l.Amount = n
	}
	if l.Currency, err = checkLinkValues(pr, &l.Title, &l.Description, l.Amount, currency, l.SuccessURL, l.CancelURL, cur); err != nil {
		return nil, err
	}
	l.UpdatedAt = s.Now()
	if !l.UpdatedAt.After(cur.UpdatedAt) {
		l.UpdatedAt = cur.UpdatedAt.Add(time.Microsecond)
	}
	if u.Cart != nil {
		return s.updateCartLinkOnce(ctx, pr, &l, cur, display, u.Cart)
	}
	ev, err := s.newEvent(pr, "link.update", "link", l.ID, &l, l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateLink(ctx, &l, cur.UpdatedAt, ev); err != nil {
		if errors.Is(err, paylinks.ErrNotFound) { // deleted meanwhile
			return nil, linkNotFound(display)
		}
		return nil, fmt.Errorf("UpdateLink(%s): %w", display, err)
	}
	return &l, nil
}

// updateCartLinkOnce writes l (cur as changed by the link's own members)
// with the cart changes c, and returns the link as the store left it.
func (s *Service) updateCartLinkOnce(ctx context.Context, pr paylinks.Principal, l, cur *paylinks.Link, display string, c *CartUpdate) (*paylinks.Link, error) {
	carts, err := s.store.LinkCarts(ctx, pr.AccountID, pr.Livemode, []paylinks.ID{l.ID})
	if err != nil {
		return nil, fmt.Errorf("UpdateLink(%s): %w", display, err)
	}
	if carts[l.ID] == nil {
		return nil, paylinks.Invalid("parameter_invalid", "line_items", "this link sells no line items, so it has none of a cart link's members")
	}
	cart, err := applyCartUpdate(l, carts[l.ID], c)
	if err != nil {
		return nil, err
	}
	ev, err := s.newEvent(pr, "link.update", "link", l.ID, l, l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateCartLink(ctx, l, cart, cur.UpdatedAt, ev); err != nil {
		if errors.Is(err, paylinks.ErrNotFound) { // deleted meanwhile
			return nil, linkNotFound(display)
		}
		return nil, fmt.Errorf("UpdateLink(%s): %w", display, err)
	}
	got, err := s.store.GetLink(ctx, pr.AccountID, pr.Livemode, l.ID)
	if err != nil {
		return nil, fmt.Errorf("UpdateLink(%s): %w", display, err)
	}
	return got, nil
}
