package store

import (
	"context"
	"time"

	"github.com/paylinks/paylinks"
)

// CatalogStore keeps the catalog: products, prices, coupons, promotion
// codes, tax rates and shipping rates, as paylinks.CatalogItems of one
// account and mode.
type CatalogStore interface {
	// CreateCatalogItem inserts an item (TimesRedeemed is stored as 0).
	// ErrConflict when its Key is taken by an item of the same account,
	// mode and kind. With idem it also records it.ID on that record in the
	// same transaction, as CreateLink does (ErrKeyLost, nothing written,
	// when the record no longer holds its key).
	CreateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, idem *paylinks.IdempotencyRecord) error
	// GetCatalogItem returns an item of the account, mode and kind.
	GetCatalogItem(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, id paylinks.ID) (*paylinks.CatalogItem, error)
	// CatalogItemByKey returns the item of the account, mode and kind whose
	// Key is key.
	CatalogItemByKey(ctx context.Context, accountID paylinks.ID, livemode bool, kind paylinks.CatalogKind, key string) (*paylinks.CatalogItem, error)
	// ListCatalogItems returns a page of the items of f's account, mode and
	// kind, newest first (by created_at, then id), and how many there are
	// in all (the filter's, not the page's).
	ListCatalogItems(ctx context.Context, f CatalogFilter) ([]paylinks.CatalogItem, int, error)
	// UpdateCatalogItem writes an item's active, max_redemptions,
	// redeem_until, data and updated_at; never its kind, key, counts or
	// created_at. prev is the updated_at the caller read: when the stored
	// one differs nothing is written (ErrConflict), so no update is lost.
	// ErrNotFound when the item is missing.
	UpdateCatalogItem(ctx context.Context, it *paylinks.CatalogItem, prev time.Time) error
	// RedeemCatalogItems redeems each of the items once, all or none, in
	// one transaction: each must be active, below its MaxRedemptions (when
	// not 0) and before its RedeemUntil (when set) at now, and the database
	// decides it with a conditional update, so no limit is ever exceeded
	// whatever the concurrency, across processes. It returns the items as
	// redeemed. ErrNotFound when one is missing, ErrConflict (nothing
	// written) when one may not be redeemed.
	RedeemCatalogItems(ctx context.Context, accountID paylinks.ID, livemode bool, ids []paylinks.ID, now time.Time) ([]paylinks.CatalogItem, error)

	// CreateCartLink inserts a link, its cart and its event in one
	// transaction, with idem as CreateLink does. ErrConflict when the slug
	// or id is taken; ErrKeyLost when idem no longer holds its key.
	CreateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, ev *paylinks.Event, idem *paylinks.IdempotencyRecord) error
	// LinkCarts returns the carts of those of the links (of the account and
	// mode) that have one, by link id.
	LinkCarts(ctx context.Context, accountID paylinks.ID, livemode bool, linkIDs []paylinks.ID) (map[paylinks.ID]*paylinks.LinkCart, error)
	// UpdateCartLink is UpdateLink of a link that has a cart, which it
	// replaces by cart in the same transaction; it also writes the link's
	// PaymentLimit and, for a multi-use link with a limit, recomputes used
	// from the payments taken (used when they reach the new limit, used_at
	// then l.UpdatedAt). ErrNotFound when the link is missing, deleted or
	// has no cart; ErrConflict when it changed since prev.
	UpdateCartLink(ctx context.Context, l *paylinks.Link, cart *paylinks.LinkCart, prev time.Time, ev *paylinks.Event) error
}

// CatalogFilter selects a page of catalog items. Active, when set, keeps
// only items whose active flag equals it. Limit 0 means no limit.
type CatalogFilter struct {
	AccountID paylinks.ID
	Livemode  bool
	Kind      paylinks.CatalogKind
	Active    *bool
	Offset    int
	Limit     int
}
