package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// t0 has nanoseconds, so that every round trip checks truncation.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("ICT", 7*3600))

func newID(tb testing.TB) paylinks.ID {
	tb.Helper()
	id, err := paylinks.NewID(time.Now(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func mustAccount(tb testing.TB, db *postgres.DB) *paylinks.Account {
	tb.Helper()
	a := &paylinks.Account{ID: newID(tb), Name: "acct-" + newID(tb).String(), CreatedAt: t0}
	if err := db.CreateAccount(context.Background(), a); err != nil {
		tb.Fatal(err)
	}
	return a
}

func linkFor(tb testing.TB, a *paylinks.Account, multiple bool, created time.Time) (*paylinks.Link, *paylinks.Event) {
	tb.Helper()
	l := &paylinks.Link{
		ID: newID(tb), AccountID: a.ID, Slug: "s" + newID(tb).String(), Title: "Tea",
		Amount: 9900, Currency: "THB", Multiple: multiple, Active: true,
		CreatedAt: created, UpdatedAt: created,
	}
	return l, eventFor(tb, a, "link.create", "link", l.ID, created)
}

func eventFor(tb testing.TB, a *paylinks.Account, key, typ string, obj paylinks.ID, at time.Time) *paylinks.Event {
	tb.Helper()
	return &paylinks.Event{ID: newID(tb), AccountID: a.ID, Key: key, ObjectType: typ, ObjectID: obj,
		Data: []byte(fmt.Sprintf(`{"id": %q,  "b":1, "a":2}`, obj)), CreatedAt: at}
}

func mustLink(tb testing.TB, db *postgres.DB, a *paylinks.Account, multiple bool) *paylinks.Link {
	tb.Helper()
	l, ev := linkFor(tb, a, multiple, t0)
	if err := db.CreateLink(context.Background(), l, ev, nil); err != nil {
		tb.Fatal(err)
	}
	return l
}

func chargeFor(tb testing.TB, a *paylinks.Account, l *paylinks.Link, status paylinks.ChargeStatus, at time.Time) *paylinks.Charge {
	tb.Helper()
	c := &paylinks.Charge{
		ID: newID(tb), AccountID: a.ID, LinkID: &l.ID, Amount: l.Amount, Currency: l.Currency,
		Status: status, Capture: true, CardID: newID(tb), CreatedAt: at,
		Card: paylinks.Card{Brand: "Visa", FirstDigits: "424242", LastDigits: "4242",
			ExpirationMonth: 12, ExpirationYear: 2030, Name: "A B", Fingerprint: "fp", SecurityCodeCheck: true},
		Email: "a@example.com", Metadata: map[string]string{"order": "42"},
	}
	if status == paylinks.ChargeSuccessful {
		c.PaidAt = &at
	} else {
		c.FailureCode, c.FailureMessage = "insufficient_fund", "insufficient funds"
	}
	return c
}
