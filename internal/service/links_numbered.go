package service

import (
	"context"
	"fmt"

	"github.com/paylinks/paylinks"
)

// LinkNumberedPage returns one numbered page of the caller's undeleted
// links, newest first, with the number of links in all: the PriceBlocs
// dialect's list. Every link is listed, whichever dialect made it.
func (s *Service) LinkNumberedPage(ctx context.Context, pr paylinks.Principal, pp PageParams) (*NumberedPage[paylinks.Link], error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := checkPageParams(&pp); err != nil {
		return nil, err
	}
	if pp.Active != nil {
		return nil, paylinks.Invalid("parameter_unknown", "active", "links are not filtered by active")
	}
	out := &NumberedPage[paylinks.Link]{Items: []paylinks.Link{}, Page: pp.Page, Size: pp.Size}
	if pp.Livemode != nil && *pp.Livemode != pr.Livemode {
		return out, nil
	}
	links, total, err := s.store.ListLinks(ctx, paylinks.LinkFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Order: paylinks.ReverseChronological, Offset: (pp.Page - 1) * pp.Size, Limit: pp.Size, SkipChargeCount: true})
	if err != nil {
		return nil, fmt.Errorf("LinkNumberedPage: %w", err)
	}
	out.Items, out.Total = links, total
	if out.Items == nil {
		out.Items = []paylinks.Link{}
	}
	return out, nil
}
