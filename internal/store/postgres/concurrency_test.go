package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// twoReplicas opens two pools on one fresh schema, like two app replicas
// sharing a database.
func twoReplicas(t *testing.T) [2]*postgres.DB {
	t.Helper()
	dsn := postgres.TestDSN(t)
	var dbs [2]*postgres.DB
	for i := range dbs {
		db, err := postgres.Open(context.Background(), dsn, 25)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

const racers = 50

// TestClaimLinkRace: 50 attempts over two pools claim one single-use link at
// once; exactly one gets it.
func TestClaimLinkRace(t *testing.T) {
	t.Parallel()
	dbs := twoReplicas(t)
	a := mustAccount(t, dbs[0])
	l := mustLink(t, dbs[0], a, false)

	now := time.Now()
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		claim := newID(t)
		wg.Go(func() {
			<-start
			err := dbs[i%2].ClaimLink(context.Background(), l.ID, claim, now, now.Add(time.Minute))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, paylinks.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != racers-1 {
		t.Errorf("claims: %d won, %d conflicts; want 1, %d", wins.Load(), conflicts.Load(), racers-1)
	}
}

// TestPayRace: 50 payers over two pools run the whole pay flow on one
// single-use link (claim, "charge the card", record the charge with the
// claim, release the claim on failure); exactly one charge succeeds and the
// link ends up used.
func TestPayRace(t *testing.T) {
	t.Parallel()
	dbs := twoReplicas(t)
	a := mustAccount(t, dbs[0])
	l := mustLink(t, dbs[0], a, false)

	var paid, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		claim := newID(t)
		c := chargeFor(t, a, l, paylinks.ChargeSuccessful, time.Now())
		ev := eventFor(t, a, "charge.create", "charge", c.ID, c.CreatedAt)
		wg.Go(func() {
			ctx := context.Background()
			db := dbs[i%2]
			<-start
			// Each payer retries while another holds a short claim, as a
			// checkout would: the link must still be paid once only.
			for {
				now := time.Now()
				err := db.ClaimLink(ctx, l.ID, claim, now, now.Add(50*time.Millisecond))
				if errors.Is(err, paylinks.ErrConflict) {
					if got, err := db.GetLink(ctx, a.ID, false, l.ID); err == nil && got.Used {
						refused.Add(1)
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				break
			}
			err := db.CreateCharge(ctx, store.ChargeWrite{Charge: c, Events: []paylinks.Event{*ev}, ClaimID: &claim})
			switch {
			case err == nil:
				paid.Add(1)
			case errors.Is(err, paylinks.ErrConflict):
				refused.Add(1)
				_ = db.ReleaseClaim(ctx, l.ID, claim)
			default:
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()

	ctx := context.Background()
	if paid.Load() != 1 || refused.Load() != racers-1 {
		t.Errorf("pay flows: %d paid, %d refused; want 1, %d", paid.Load(), refused.Load(), racers-1)
	}
	got, err := dbs[1].GetLink(ctx, a.ID, false, l.ID)
	if err != nil || !got.Used || got.UsedAt == nil {
		t.Errorf("link = %+v, %v; want used", got, err)
	}
	cs, total, err := dbs[1].ListCharges(ctx, paylinks.ChargeFilter{AccountID: a.ID, LinkID: &l.ID})
	if err != nil || total != 1 || len(cs) != 1 {
		t.Errorf("charges on the link: %d (total %d), %v; want 1", len(cs), total, err)
	}
	_, nev, err := dbs[0].ListEvents(ctx, store.EventFilter{AccountID: a.ID})
	if err != nil || nev != 2 { // link.create + one charge.create
		t.Errorf("events: %d, %v; want 2", nev, err)
	}
}

// TestCreateChargeRace: 50 writers over two pools record a successful charge
// against the same claim at once (as if the claim had leaked to every
// attempt); the conditional UPDATE lets exactly one commit.
func TestCreateChargeRace(t *testing.T) {
	t.Parallel()
	dbs := twoReplicas(t)
	a := mustAccount(t, dbs[0])
	l := mustLink(t, dbs[0], a, false)
	claim := newID(t)
	if err := dbs[0].ClaimLink(context.Background(), l.ID, claim, time.Now(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var paid, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		c := chargeFor(t, a, l, paylinks.ChargeSuccessful, time.Now())
		wg.Go(func() {
			<-start
			err := dbs[i%2].CreateCharge(context.Background(), store.ChargeWrite{Charge: c, ClaimID: &claim})
			switch {
			case err == nil:
				paid.Add(1)
			case errors.Is(err, paylinks.ErrConflict):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if paid.Load() != 1 || refused.Load() != racers-1 {
		t.Errorf("charges: %d committed, %d refused; want 1, %d", paid.Load(), refused.Load(), racers-1)
	}
	_, total, err := dbs[0].ListCharges(context.Background(), paylinks.ChargeFilter{AccountID: a.ID})
	if err != nil || total != 1 {
		t.Errorf("stored charges: %d, %v; want 1", total, err)
	}
}
