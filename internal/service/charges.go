package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
)

func chargeNotFound(id string) error {
	return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id", Message: fmt.Sprintf("charge %s was not found", id)}
}

// GetCharge returns a charge of the caller's account and mode.
func (s *Service) GetCharge(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Charge, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	c, err := s.store.GetCharge(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, chargeNotFound(display)
	}
	if err != nil {
		return nil, fmt.Errorf("GetCharge: %w", err)
	}
	return c, nil
}

// ListCharges returns a page of the caller's charges (of one link when
// f.LinkID is set) and the number in the window. Listing a link's charges
// needs the link to be the caller's and not deleted.
func (s *Service) ListCharges(ctx context.Context, pr paylinks.Principal, f paylinks.ChargeFilter) ([]paylinks.Charge, int, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, 0, err
	}
	if err := checkPage(f.Offset, f.Limit, f.From, f.To); err != nil {
		return nil, 0, err
	}
	f.AccountID, f.Livemode = pr.AccountID, pr.Livemode
	cs, total, err := s.store.ListCharges(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("ListCharges: %w", err)
	}
	return cs, total, nil
}

// LinkCharges returns, in one store round trip, the first `per` charges of
// each of the caller's links (oldest first) and each link's number of
// charges; a link with none is absent from both maps.
func (s *Service) LinkCharges(ctx context.Context, pr paylinks.Principal, linkIDs []paylinks.ID, per int) (map[paylinks.ID][]paylinks.Charge, map[paylinks.ID]int, error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, nil, err
	}
	cs, totals, err := s.store.LinkCharges(ctx, pr.AccountID, pr.Livemode, linkIDs, per)
	if err != nil {
		return nil, nil, fmt.Errorf("LinkCharges: %w", err)
	}
	return cs, totals, nil
}

// LinkOfCharge returns the link a charge was made through (deleted or
// not), for its return_uri; nil when it was not made through a link.
func (s *Service) LinkOfCharge(ctx context.Context, c *paylinks.Charge) (*paylinks.Link, error) {
	if c.LinkID == nil {
		return nil, nil
	}
	l, err := s.store.GetLink(ctx, c.AccountID, c.Livemode, *c.LinkID)
	if err != nil {
		return nil, fmt.Errorf("LinkOfCharge: %w", err)
	}
	return l, nil
}
