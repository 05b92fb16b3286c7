package service_test

import (
	"context"
	"sync"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// countingStore counts the reads the hosted pages repeat.
type countingStore struct {
	store.Store
	mu                     sync.Mutex
	getAccount, linkBySlug int
}

var _ store.Store = (*countingStore)(nil)

func (s *countingStore) GetAccount(ctx context.Context, id paylinks.ID) (*paylinks.Account, error) {
	s.mu.Lock()
	s.getAccount++
	s.mu.Unlock()
	return s.Store.GetAccount(ctx, id)
}

func (s *countingStore) LinkBySlug(ctx context.Context, slug string) (*paylinks.Link, error) {
	s.mu.Lock()
	s.linkBySlug++
	s.mu.Unlock()
	return s.Store.LinkBySlug(ctx, slug)
}

func (s *countingStore) counts() (getAccount, linkBySlug int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getAccount, s.linkBySlug
}

// newCountingEnv is newPayEnv over a countingStore.
func newCountingEnv(t *testing.T, backend string) (*payEnv, *countingStore) {
	t.Helper()
	st := &countingStore{Store: servertest.OpenStore(t, backend)}
	svc := service.New(st, service.Options{})
	ctx := context.Background()
	a, err := svc.EnsureAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, false, paylinks.KeySecret))
	if err != nil {
		t.Fatal(err)
	}
	return &payEnv{svc: svc, st: st, secret: pr}, st
}

// TestMerchantNameCached: the hosted pages of links and sessions read the
// merchant's name from the store once, then from the service's cache.
func TestMerchantNameCached(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e, st := newCountingEnv(t, backend)
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		before, _ := st.counts()
		for i := 0; i < 3; i++ {
			info, err := e.svc.Checkout(ctx, l.Slug)
			if err != nil || info.Merchant != "acme" {
				t.Fatalf("Checkout: got %+v, %v; want merchant acme", info, err)
			}
		}
		s, err := e.svc.CreateSession(ctx, e.secret, service.SessionParams{LinkID: &l.ID})
		if err != nil {
			t.Fatal(err)
		}
		info, err := e.svc.SessionCheckout(ctx, s.ID)
		if err != nil || info.Merchant != "acme" {
			t.Fatalf("SessionCheckout: got %+v, %v; want merchant acme", info, err)
		}
		if got, _ := st.counts(); got-before != 1 {
			t.Errorf("GetAccount called %d times for 3 link pages and a session page, want 1", got-before)
		}
		if _, err := e.svc.Checkout(ctx, "no-such-slug"); paylinks.KindOf(err) != paylinks.KindNotFound {
			t.Errorf("Checkout(unknown): %v, want not found", err)
		}
	})
}

// TestPayLinkWith: paying the link the page already read does not read it
// again, and every rule still holds for the link as given.
func TestPayLinkWith(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		e, st := newCountingEnv(t, backend)
		pay := func(l *paylinks.Link) (*paylinks.Charge, *paylinks.Link, error) {
			return e.svc.PayLinkWith(ctx, l, service.PayParams{Card: goodCard("4242424242424242"), Email: "a@example.com"})
		}

		single := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		info, err := e.svc.Checkout(ctx, single.Slug)
		if err != nil {
			t.Fatal(err)
		}
		_, before := st.counts()
		c, after, err := pay(info.Link)
		if err != nil || !c.Paid() || !after.Used {
			t.Fatalf("PayLinkWith: got %+v, %+v, %v; want a paid charge and a used link", c, after, err)
		}
		if _, n := st.counts(); n != before {
			t.Errorf("PayLinkWith read the link by slug %d times, want 0", n-before)
		}
		// The link as the page read it, before it was paid: the claim refuses it.
		if _, _, err := pay(info.Link); paylinks.KindOf(err) != paylinks.KindGone {
			t.Errorf("PayLinkWith(stale single-use link): %v, want gone", err)
		}

		inactive := e.link(t, e.secret, service.LinkParams{Amount: 10000, Inactive: true})
		if _, _, err := pay(inactive); paylinks.KindOf(err) != paylinks.KindGone {
			t.Errorf("PayLinkWith(inactive): %v, want gone", err)
		}
		used := *info.Link
		used.Used = true
		if _, _, err := pay(&used); paylinks.KindOf(err) != paylinks.KindGone {
			t.Errorf("PayLinkWith(used): %v, want gone", err)
		}
		if _, _, err := pay(nil); paylinks.KindOf(err) != paylinks.KindNotFound {
			t.Errorf("PayLinkWith(nil): %v, want not found", err)
		}
	})
}
