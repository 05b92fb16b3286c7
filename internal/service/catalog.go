package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// The catalog (products, prices, coupons, promotion codes, tax and shipping
// rates) is read with the links:read scope and written with links:write:
// it exists to put things on links.

// Catalog list paging.
const (
	DefaultCatalogPageSize = 20
	MaxCatalogPageSize     = 100
)

// PageParams ask for one numbered page of a list: Page from 1 (0 means 1),
// Size 1 to MaxCatalogPageSize (0 means DefaultCatalogPageSize). Active,
// when set, keeps only active (or only inactive) objects. Livemode, when
// set, keeps only objects of that mode: a key sees only its own mode's, so
// the other mode's list is empty.
type PageParams struct {
	Page, Size int
	Active     *bool
	Livemode   *bool
}

// NumberedPage is one numbered page of a list: its items, the page and size asked
// for (defaults applied) and the number of items in the whole list.
type NumberedPage[T any] struct {
	Items      []T
	Page, Size int
	Total      int
}

// Pages returns how many pages the list has (at least 1).
func (p *NumberedPage[T]) Pages() int {
	if p.Total == 0 {
		return 1
	}
	return (p.Total + p.Size - 1) / p.Size
}

// HasMore reports whether pages follow this one.
func (p *NumberedPage[T]) HasMore() bool { return p.Page < p.Pages() }

func checkPageParams(pp *PageParams) error {
	if pp.Page == 0 {
		pp.Page = 1
	}
	if pp.Size == 0 {
		pp.Size = DefaultCatalogPageSize
	}
	if pp.Page < 1 || pp.Page > 1_000_000 {
		return paylinks.Invalid("parameter_invalid", "page", "page must be a whole number from 1")
	}
	if pp.Size < 1 || pp.Size > MaxCatalogPageSize {
		return paylinks.Invalid("parameter_invalid", "page_size", "page_size must be between 1 and %d", MaxCatalogPageSize)
	}
	return nil
}

// catalogPtr is the pointer type of a catalog object type T.
type catalogPtr[T any] interface {
	*T
	paylinks.Catalogued
}

// kindName is how messages name a kind.
var kindName = map[paylinks.CatalogKind]string{
	paylinks.CatalogProduct: "product", paylinks.CatalogPrice: "price", paylinks.CatalogCoupon: "coupon",
	paylinks.CatalogPromotionCode: "promotion code", paylinks.CatalogTaxRate: "tax rate",
	paylinks.CatalogShippingRate: "shipping rate",
}

// catalogNotFound is the error of an id that names no object of the kind
// the caller can see; display is the id as the caller wrote it.
func catalogNotFound(kind paylinks.CatalogKind, param, display string) error {
	if len(display) > 64 {
		display = display[:64] + "…"
	}
	if param == "id" {
		return &paylinks.Error{Kind: paylinks.KindNotFound, Code: "resource_missing", Param: param,
			Message: fmt.Sprintf("no such %s: %s", kindName[kind], display)}
	}
	return paylinks.Invalid("resource_missing", param, "no such %s: %s", kindName[kind], display)
}

// createCatalog gives obj its id, owner, mode and times and stores it,
// recording it on the Idempotency-Key request ctx runs, if any. When that
// request made its object before its process died, obj becomes that
// object instead and nothing new is made.
func createCatalog(ctx context.Context, s *Service, pr paylinks.Principal, obj paylinks.Catalogued) error {
	idem, made := idempotentRecord(ctx, pr)
	if made != nil {
		it, err := s.store.GetCatalogItem(ctx, pr.AccountID, pr.Livemode, obj.Kind(), *made)
		if err != nil {
			return fmt.Errorf("create %s: the object this request made before: %w", obj.Kind(), err)
		}
		return paylinks.DecodeCatalogItem(it, obj)
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return err
	}
	o := obj.Object()
	o.ID, o.AccountID, o.Livemode, o.CreatedAt, o.UpdatedAt = id, pr.AccountID, pr.Livemode, now, now
	it, err := paylinks.NewCatalogItem(obj)
	if err != nil {
		return err
	}
	err = s.store.CreateCatalogItem(ctx, it, idem)
	if errors.Is(err, store.ErrKeyLost) {
		return idempotencyKeyInUse()
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", obj.Kind(), err)
	}
	return nil
}

// getCatalog reads one object of the caller's; param and display name the
// id for the not-found error.
func getCatalog[T any, P catalogPtr[T]](ctx context.Context, s *Service, pr paylinks.Principal, id paylinks.ID, param, display string) (P, error) {
	obj := P(new(T))
	it, err := s.store.GetCatalogItem(ctx, pr.AccountID, pr.Livemode, obj.Kind(), id)
	if errors.Is(err, paylinks.ErrNotFound) {
		return nil, catalogNotFound(obj.Kind(), param, display)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", obj.Kind(), err)
	}
	if err := paylinks.DecodeCatalogItem(it, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// listCatalog reads one page of the caller's objects of a kind.
func listCatalog[T any, P catalogPtr[T]](ctx context.Context, s *Service, pr paylinks.Principal, pp PageParams) (*NumberedPage[T], error) {
	if err := require(pr, paylinks.ScopeLinksRead); err != nil {
		return nil, err
	}
	if err := checkPageParams(&pp); err != nil {
		return nil, err
	}
	if pp.Livemode != nil && *pp.Livemode != pr.Livemode {
		return &NumberedPage[T]{Items: []T{}, Page: pp.Page, Size: pp.Size}, nil
	}
	kind := P(new(T)).Kind()
	items, total, err := s.store.ListCatalogItems(ctx, store.CatalogFilter{AccountID: pr.AccountID, Livemode: pr.Livemode,
		Kind: kind, Active: pp.Active, Offset: (pp.Page - 1) * pp.Size, Limit: pp.Size})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	out := &NumberedPage[T]{Items: make([]T, len(items)), Page: pp.Page, Size: pp.Size, Total: total}
	for i := range items {
		if err := paylinks.DecodeCatalogItem(&items[i], P(&out.Items[i])); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// updateCatalog reads an object of the caller's, lets apply change it (and
// validate the change), and writes it only if nobody changed it meanwhile;
// otherwise it applies the same change to the newer version, so that
// concurrent updates of different fields all survive.
func updateCatalog[T any, P catalogPtr[T]](ctx context.Context, s *Service, pr paylinks.Principal, id paylinks.ID, display string, apply func(P) error) (P, error) {
	if err := require(pr, paylinks.ScopeLinksWrite); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		obj, err := getCatalog[T, P](ctx, s, pr, id, "id", display)
		if err != nil {
			return nil, err
		}
		prev := obj.Object().UpdatedAt
		if err := apply(obj); err != nil {
			return nil, err
		}
		now := s.Now()
		if !now.After(prev) {
			now = prev.Add(time.Microsecond)
		}
		obj.Object().UpdatedAt = now
		it, err := paylinks.NewCatalogItem(obj)
		if err != nil {
			return nil, err
		}
		err = s.store.UpdateCatalogItem(ctx, it, prev)
		switch {
		case err == nil:
			return obj, nil
		case errors.Is(err, paylinks.ErrNotFound):
			return nil, catalogNotFound(obj.Kind(), "id", display)
		case errors.Is(err, paylinks.ErrConflict) && attempt < 5:
			continue
		case errors.Is(err, paylinks.ErrConflict):
			return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "concurrent_update",
				Message: fmt.Sprintf("the %s is being changed by other requests; try again", kindName[obj.Kind()])}
		}
		return nil, fmt.Errorf("update %s: %w", obj.Kind(), err)
	}
}

// CatalogCommon are the fields every catalog create and update may carry.
type CatalogCommon struct {
	Active   *bool             // nil: active on create, unchanged on update
	Metadata map[string]string // nil: none on create, unchanged on update
}

func (c CatalogCommon) apply(o *paylinks.CatalogObject, create bool) error {
	if c.Active != nil {
		o.Active = *c.Active
	} else if create {
		o.Active = true
	}
	if c.Metadata != nil {
		if err := checkMetadata(c.Metadata); err != nil {
			return err
		}
		o.Metadata = c.Metadata
		if len(o.Metadata) == 0 {
			o.Metadata = nil
		}
	}
	return nil
}
