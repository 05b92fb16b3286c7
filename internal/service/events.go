package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// GetEvent returns an event of the caller's account and mode.
func (s *Service) GetEvent(ctx context.Context, pr paylinks.Principal, id paylinks.ID, display string) (*paylinks.Event, error) {
	if err := require(pr, paylinks.ScopeEventsRead); err != nil {
		return nil, err
	}
	ev, err := s.store.GetEvent(ctx, pr.AccountID, pr.Livemode, id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id", Message: fmt.Sprintf("event %s was not found", display)}
	}
	if err != nil {
		return nil, fmt.Errorf("GetEvent: %w", err)
	}
	return ev, nil
}

// ListEvents returns a page of the caller's events and the number in the
// window.
func (s *Service) ListEvents(ctx context.Context, pr paylinks.Principal, f store.EventFilter) ([]paylinks.Event, int, error) {
	if err := require(pr, paylinks.ScopeEventsRead); err != nil {
		return nil, 0, err
	}
	if err := checkPage(f.Offset, f.Limit, f.From, f.To); err != nil {
		return nil, 0, err
	}
	f.AccountID, f.Livemode = pr.AccountID, pr.Livemode
	evs, total, err := s.store.ListEvents(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("ListEvents: %w", err)
	}
	return evs, total, nil
}
