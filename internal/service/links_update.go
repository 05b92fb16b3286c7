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
