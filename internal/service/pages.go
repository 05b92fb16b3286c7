package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
)

// Page is one page of a cursor-paged list, newest first.
type Page[T any] struct {
	Items []T
	// HasMore reports whether items follow the last one.
	HasMore bool
}

// CursorPage selects a page of a cursor-paged list: Limit (1 to
// MaxListLimit) items after the object After, when set.
type CursorPage struct {
	Limit int
	After *paylinks.ID
}

func (p CursorPage) check() error {
	if p.Limit < 1 || p.Limit > MaxListLimit {
		return paylinks.Invalid("invalid_page", "limit", "limit must be between 1 and %d", MaxListLimit)
	}
	return nil
}

func badCursor() error {
	return paylinks.Invalid("invalid_cursor", "after", "the cursor is not an object of this list")
}

// LinkPage returns a page of the caller's undeleted links, newest first, by
// keyset: the cost of a page does not depend on how deep it is. A deleted
// link is still a valid cursor.
func (s *Service) LinkPage(ctx context.Context, pr paylinks.Principal, p CursorPage) (*Page[paylinks.Link], error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	links, _, err := s.store.ListLinks(ctx, paylinks.LinkFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Order: paylinks.ReverseChronological, Limit: p.Limit + 1, After: p.After,
		SkipTotal: true, SkipChargeCount: true})
	if errors.Is(err, paylinks.ErrNotFound) && p.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("LinkPage: %w", err)
	}
	return pageOf(links, p.Limit), nil
}

// SessionPage returns a page of the caller's checkout sessions, newest
// first, by keyset.
func (s *Service) SessionPage(ctx context.Context, pr paylinks.Principal, p CursorPage) (*Page[paylinks.CheckoutSession], error) {
	if err := require(pr, paylinks.ScopeSessionsRead); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	sessions, err := s.store.ListSessions(ctx, paylinks.SessionFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Limit: p.Limit + 1, After: p.After})
	if errors.Is(err, paylinks.ErrNotFound) && p.After != nil {
		return nil, badCursor()
	}
	if err != nil {
		return nil, fmt.Errorf("SessionPage: %w", err)
	}
	now := s.Now()
	for i := range sessions {
		sessions[i].Status = sessions[i].StatusAt(now)
		if i < p.Limit {
			if err := s.attachCrypto(ctx, &sessions[i]); err != nil {
				return nil, fmt.Errorf("SessionPage: %w", err)
			}
		}
	}
	return pageOf(sessions, p.Limit), nil
}

func pageOf[T any](items []T, limit int) *Page[T] {
	if len(items) > limit {
		return &Page[T]{Items: items[:limit], HasMore: true}
	}
	return &Page[T]{Items: items}
}
