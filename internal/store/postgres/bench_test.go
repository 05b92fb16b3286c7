package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

func BenchmarkCreateLink(b *testing.B) {
	db := postgres.OpenTest(b)
	a := mustAccount(b, db)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			l, ev := linkFor(b, a, true, time.Now())
			if err := db.CreateLink(ctx, l, ev, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l, ev := linkFor(b, a, true, time.Now())
				if err := db.CreateLink(ctx, l, ev, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// seedLinks inserts n links of one account with one INSERT … SELECT.
func seedLinks(b *testing.B, db *postgres.DB, a *paylinks.Account, n int) {
	b.Helper()
	_, err := db.Pool().Exec(context.Background(), `INSERT INTO links
		(id, account_id, livemode, slug, title, amount, currency, multiple, active, created_at, updated_at)
		SELECT gen_random_uuid(), $1, false, 'seed-' || i, 'Tea', 9900, 'THB', true, true,
			$2::timestamptz + i * interval '1 second', $2::timestamptz + i * interval '1 second'
		FROM generate_series(1, $3) AS i`, a.ID, t0, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(context.Background(), `VACUUM ANALYZE links`); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGetLink(b *testing.B) {
	db := postgres.OpenTest(b)
	a := mustAccount(b, db)
	seedLinks(b, db, a, 10_000)
	l := mustLink(b, db, a, false)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.GetLink(ctx, a.ID, false, l.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListLinks(b *testing.B) {
	db := postgres.OpenTest(b)
	a := mustAccount(b, db)
	seedLinks(b, db, a, 10_000)
	ctx := context.Background()
	first, _, err := db.ListLinks(ctx, paylinks.LinkFilter{AccountID: a.ID, Limit: 5000})
	if err != nil {
		b.Fatal(err)
	}
	mid := first[len(first)-1].ID
	for _, bc := range []struct {
		name string
		f    paylinks.LinkFilter
	}{
		{"first20", paylinks.LinkFilter{AccountID: a.ID, Order: paylinks.ReverseChronological, Limit: 20}},
		{"offset5000", paylinks.LinkFilter{AccountID: a.ID, Offset: 5000, Limit: 20}},
		{"keyset5000", paylinks.LinkFilter{AccountID: a.ID, After: &mid, Limit: 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				ls, _, err := db.ListLinks(ctx, bc.f)
				if err != nil || len(ls) != 20 {
					b.Fatal(len(ls), err)
				}
			}
		})
	}
}
