package service_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store"
)

// payEnv is a service on a real store with an account and its test and
// live principals.
type payEnv struct {
	svc                      *service.Service
	st                       store.Store
	secret, public, liveSecr paylinks.Principal
}

func newPayEnv(t *testing.T, backend string, opt service.Options) *payEnv {
	t.Helper()
	st := servertest.OpenStore(t, backend)
	svc := service.New(st, opt)
	ctx := context.Background()
	a, err := svc.EnsureAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	auth := func(live bool, kind paylinks.KeyKind) paylinks.Principal {
		t.Helper()
		pr, err := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, live, kind))
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	return &payEnv{svc: svc, st: st, secret: auth(false, paylinks.KeySecret), public: auth(false, paylinks.KeyPublic),
		liveSecr: auth(true, paylinks.KeySecret)}
}

func (e *payEnv) link(t *testing.T, pr paylinks.Principal, lp service.LinkParams) *paylinks.Link {
	t.Helper()
	if lp.Title == "" {
		lp.Title = "Hot latte"
	}
	if lp.Currency == "" {
		lp.Currency = "THB"
	}
	l, err := e.svc.CreateLink(context.Background(), pr, lp)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func goodCard(number string) service.CardInput {
	csc := "123"
	if payments.Brand(number) == payments.BrandAmex {
		csc = "1234"
	}
	return service.CardInput{Number: number, SecurityCode: csc, Name: "Somchai P", ExpirationMonth: 12, ExpirationYear: time.Now().Year() + 2}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

func TestPayLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		single := e.link(t, e.secret, service.LinkParams{Amount: 10000, Description: "A warm cup"})

		// A decline is a failed charge that leaves the link payable.
		c, l, err := e.svc.PayLink(ctx, service.PayParams{Slug: single.Slug, Card: goodCard("4111111111140011"), Email: "a@example.com"})
		if err != nil {
			t.Fatalf("PayLink(decline): %v", err)
		}
		if c.Status != paylinks.ChargeFailed || c.FailureCode != payments.FailInsufficientFund || l.Used {
			t.Fatalf("decline: status %q code %q used %v", c.Status, c.FailureCode, l.Used)
		}

		c, l, err = e.svc.PayLink(ctx, service.PayParams{Slug: single.Slug, Card: goodCard("4242 4242 4242 4242"), Email: "a@example.com"})
		if err != nil {
			t.Fatalf("PayLink(success): %v", err)
		}
		if got, want := c.Status, paylinks.ChargeSuccessful; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		if got, want := c.Description, "Hot latte\n\nA warm cup"; got != want {
			t.Errorf("description = %q, want %q", got, want)
		}
		if c.LinkID == nil || *c.LinkID != single.ID || c.Amount != 10000 || c.Currency != "THB" || c.PaidAt == nil {
			t.Errorf("charge = %+v", c)
		}
		if c.Card.Brand != "Visa" || c.Card.FirstDigits != "424242" || c.Card.LastDigits != "4242" || c.Card.Fingerprint == "" {
			t.Errorf("card = %+v", c.Card)
		}
		if !l.Used || l.UsedAt == nil {
			t.Errorf("returned link: used %v used_at %v, want used", l.Used, l.UsedAt)
		}
		stored, err := e.svc.GetLink(ctx, e.secret, single.ID, "x")
		if err != nil {
			t.Fatal(err)
		}
		if !stored.Used || stored.UsedAt == nil {
			t.Errorf("stored link: used %v used_at %v, want used", stored.Used, stored.UsedAt)
		}

		// Paid: gone, whatever the card.
		_, _, err = e.svc.PayLink(ctx, service.PayParams{Slug: single.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if got := paylinks.KindOf(err); got != paylinks.KindGone {
			t.Errorf("paying a used link: kind %q (%v), want gone", got, err)
		}

		// The link's charges: one failed, one successful.
		cs, total, err := e.svc.ListCharges(ctx, e.secret, paylinks.ChargeFilter{LinkID: &single.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(cs) != 2 || cs[0].Status != paylinks.ChargeFailed || cs[1].Status != paylinks.ChargeSuccessful {
			t.Errorf("link charges: total %d %+v", total, cs)
		}

		// Events: charge.create twice and the link's update when used.
		evs, _, err := e.st.ListEvents(ctx, store.EventFilter{AccountID: e.secret.AccountID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]int{}
		for _, ev := range evs {
			keys[ev.Key]++
		}
		if keys["charge.create"] != 2 || keys["link.update"] != 1 {
			t.Errorf("events = %v, want 2 charge.create and 1 link.update", keys)
		}
	})
}

func TestPayLinkMultiple(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		l := e.link(t, e.secret, service.LinkParams{Amount: 5000, Multiple: true})
		for i := 0; i < 3; i++ {
			c, got, err := e.svc.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Card: goodCard("5555555555554444"), Email: "b@example.com"})
			if err != nil || !c.Paid() || got.Used {
				t.Fatalf("payment %d: %v paid %v used %v", i, err, c != nil && c.Paid(), got != nil && got.Used)
			}
		}
	})
}

func TestPayLinkPayerAmount(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{})
	l := e.link(t, e.secret, service.LinkParams{Amount: 0, Currency: "JPY"})
	tests := []struct {
		amount   int64
		wantKind paylinks.ErrorKind
	}{
		{50, paylinks.KindInvalid},      // below ¥100
		{6000001, paylinks.KindInvalid}, // above ¥6,000,000
		{1000, ""},
	}
	for _, tt := range tests {
		c, _, err := e.svc.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Amount: tt.amount, Card: goodCard("4242424242424242"), Email: "c@example.com"})
		if got := paylinks.KindOf(err); got != tt.wantKind {
			t.Errorf("amount %d: kind %q (%v), want %q", tt.amount, got, err, tt.wantKind)
		}
		if err == nil && c.Amount != tt.amount {
			t.Errorf("amount %d: charge amount %d", tt.amount, c.Amount)
		}
		if err != nil {
			var fe service.FieldErrors
			if !errors.As(err, &fe) || fe.Param("amount") == nil {
				t.Errorf("amount %d: error %v does not name the amount field", tt.amount, err)
			}
		}
	}
}

func TestPayLinkValidation(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{})
	l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
	past := time.Now().AddDate(0, -2, 0)
	tests := []struct {
		name      string
		card      service.CardInput
		email     string
		wantParam []string
	}{
		{"luhn", service.CardInput{Number: "4242424242424241", SecurityCode: "123", Name: "A", ExpirationMonth: 1, ExpirationYear: 2099 - 60}, "a@example.com", []string{"number"}},
		{"expired", service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "A", ExpirationMonth: int(past.Month()), ExpirationYear: past.Year() - 1}, "a@example.com", []string{"expiration_year"}},
		{"bad month", service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "A", ExpirationMonth: 13, ExpirationYear: time.Now().Year() + 1}, "a@example.com", []string{"expiration_month"}},
		{"amex needs 4", service.CardInput{Number: "378282246310005", SecurityCode: "123", Name: "A", ExpirationMonth: 1, ExpirationYear: time.Now().Year() + 1}, "a@example.com", []string{"security_code"}},
		{"visa needs 3", service.CardInput{Number: "4242424242424242", SecurityCode: "1234", Name: "A", ExpirationMonth: 1, ExpirationYear: time.Now().Year() + 1}, "a@example.com", []string{"security_code"}},
		{"everything", service.CardInput{}, "not-an-email", []string{"number", "expiration_month", "security_code", "name", "email"}},
		{"email without domain dot", goodCard("4242424242424242"), "a@localhost", []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.svc.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Card: tt.card, Email: tt.email})
			var fe service.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FieldErrors", err)
			}
			if got := paylinks.KindOf(err); got != paylinks.KindInvalid {
				t.Errorf("kind = %q, want invalid", got)
			}
			var got []string
			for _, f := range fe {
				got = append(got, f.Param)
			}
			if len(got) != len(tt.wantParam) {
				t.Fatalf("params = %v, want %v", got, tt.wantParam)
			}
			for i := range got {
				if got[i] != tt.wantParam[i] {
					t.Errorf("params = %v, want %v", got, tt.wantParam)
				}
			}
		})
	}
	cs, _, _ := e.svc.ListCharges(context.Background(), e.secret, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 10})
	if len(cs) != 0 {
		t.Errorf("invalid input made %d charges", len(cs))
	}
}

func TestPayLinkUnpayable(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{})
	ctx := context.Background()
	deleted := e.link(t, e.secret, service.LinkParams{Amount: 10000})
	if _, err := e.svc.DeleteLink(ctx, e.secret, deleted.ID, "x"); err != nil {
		t.Fatal(err)
	}
	inactive := e.link(t, e.secret, service.LinkParams{Amount: 10000, Inactive: true})
	live := e.link(t, e.liveSecr, service.LinkParams{Amount: 10000})
	tests := []struct {
		slug     string
		wantKind paylinks.ErrorKind
	}{
		{deleted.Slug, paylinks.KindNotFound},
		{"no-such-slug", paylinks.KindNotFound},
		{inactive.Slug, paylinks.KindGone},
		{live.Slug, paylinks.KindUnavailable},
	}
	for _, tt := range tests {
		_, _, err := e.svc.PayLink(ctx, service.PayParams{Slug: tt.slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if got := paylinks.KindOf(err); got != tt.wantKind {
			t.Errorf("PayLink(%s): kind %q (%v), want %q", tt.slug, got, err, tt.wantKind)
		}
	}
	info, err := e.svc.Checkout(ctx, live.Slug)
	if err != nil || info.Available || info.Merchant != "acme" {
		t.Errorf("Checkout(live) = %+v, %v; want unavailable, merchant acme", info, err)
	}
}

// failingProcessor errs on every charge, like a processor that is down.
type failingProcessor struct{ *payments.Simulator }

func (failingProcessor) Charge(context.Context, payments.ChargeRequest) (payments.Outcome, error) {
	return payments.Outcome{}, errors.New("processor down")
}

var _ payments.Processor = failingProcessor{}

func TestPayLinkProcessorErrorReleasesClaim(t *testing.T) {
	e := newPayEnv(t, "sqlite", service.Options{TestProcessor: failingProcessor{&payments.Simulator{}}})
	l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
	for i := 0; i < 2; i++ { // the second attempt would be refused if the claim were kept
		_, _, err := e.svc.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
		if err == nil || paylinks.KindOf(err) != paylinks.KindInternal {
			t.Fatalf("attempt %d: err = %v, want an internal error", i, err)
		}
	}
}

// TestPayLinkConcurrent pays one single-use link 50 times at once: exactly
// one charge succeeds, the others are refused clearly, and the link is used.
func TestPayLinkConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{TestProcessor: &payments.Simulator{Delay: 5 * time.Millisecond}})
		l := e.link(t, e.secret, service.LinkParams{Amount: 10000})
		const n = 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid, refused := 0, map[string]int{}
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c, _, err := e.svc.PayLink(context.Background(), service.PayParams{Slug: l.Slug, Card: goodCard("4242424242424242"), Email: "a@example.com"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && c.Paid():
					paid++
				case err != nil:
					refused[paylinks.AsError(err).Code]++
				default:
					t.Errorf("charge %s status %s", c.ID, c.Status)
				}
			}()
		}
		close(start)
		wg.Wait()
		if paid != 1 {
			t.Errorf("successful payments = %d, want 1", paid)
		}
		if got := refused["link_used"] + refused["payment_in_progress"]; got != n-1 {
			t.Errorf("refusals = %v, want %d link_used or payment_in_progress", refused, n-1)
		}
		got, err := e.svc.GetLink(context.Background(), e.secret, l.ID, "x")
		if err != nil || !got.Used {
			t.Errorf("link used = %v (%v), want true", got != nil && got.Used, err)
		}
		cs, total, _ := e.svc.ListCharges(context.Background(), e.secret, paylinks.ChargeFilter{LinkID: &l.ID, Limit: 100})
		if total != 1 || len(cs) != 1 || !cs[0].Paid() {
			t.Errorf("link charges: total %d, want 1 successful", total)
		}
	})
}

func TestTokensAndCharges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		e := newPayEnv(t, backend, service.Options{})
		ctx := context.Background()
		card := goodCard("4242424242424242")
		if _, err := e.svc.CreateToken(ctx, e.secret, card); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("CreateToken with a secret key: %v, want forbidden", err)
		}
		tok, err := e.svc.CreateToken(ctx, e.public, card)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Used || tok.ChargeStatus != "unknown" || tok.Card.LastDigits != "4242" || !tok.Card.SecurityCodeCheck {
			t.Errorf("token = %+v", tok)
		}
		cp := service.ChargeParams{Amount: 12345, Currency: "thb", TokenID: tok.ID, TokenRef: "tokn_x", Capture: true,
			Description: "order 1", Metadata: map[string]string{"order": "1"}}
		if _, err := e.svc.CreateCharge(ctx, e.public, cp); paylinks.KindOf(err) != paylinks.KindForbidden {
			t.Errorf("CreateCharge with a public key: %v, want forbidden", err)
		}
		c, err := e.svc.CreateCharge(ctx, e.secret, cp)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Paid() || c.Currency != "THB" || c.Card.Fingerprint != tok.Card.Fingerprint || c.CardID != tok.CardID || c.Metadata["order"] != "1" {
			t.Errorf("charge = %+v", c)
		}
		_, err = e.svc.CreateCharge(ctx, e.secret, cp)
		if ae := paylinks.AsError(err); ae == nil || ae.Code != "used_token" {
			t.Errorf("second charge of the token: %v, want used_token", err)
		}
		got, err := e.svc.GetToken(ctx, e.secret, tok.ID, "x")
		if err != nil || !got.Used || got.ChargeStatus != "successful" {
			t.Errorf("token after charge = %+v, %v", got, err)
		}

		decl, _ := e.svc.CreateToken(ctx, e.public, goodCard("4111111111130012"))
		cp.TokenID = decl.ID
		c, err = e.svc.CreateCharge(ctx, e.secret, cp)
		if err != nil || c.Status != paylinks.ChargeFailed || c.FailureCode != payments.FailStolenOrLostCard {
			t.Errorf("declined charge = %+v, %v", c, err)
		}

		bad := card
		bad.Number = "1234"
		_, err = e.svc.CreateToken(ctx, e.public, bad)
		if paylinks.KindOf(err) != paylinks.KindInvalid {
			t.Errorf("token of a bad number: %v, want invalid", err)
		}
	})
}

// TestCardDataNeverStored pays and tokenizes, then searches every file of
// the SQLite database for the card number and security code.
func TestCardDataNeverStored(t *testing.T) {
	dir := t.TempDir()
	st, err := openSQLite(t, filepath.Join(dir, "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, service.Options{})
	ctx := context.Background()
	a, _ := svc.EnsureAccount(ctx, "acme")
	pub, _ := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, false, paylinks.KeyPublic))
	sec, _ := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, false, paylinks.KeySecret))
	l, _ := svc.CreateLink(ctx, sec, service.LinkParams{Title: "T", Amount: 10000, Currency: "THB", Multiple: true})
	card := service.CardInput{Number: "3566111111111113", SecurityCode: "987", Name: "N", ExpirationMonth: 1, ExpirationYear: time.Now().Year() + 3}
	if _, _, err := svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Card: card, Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateToken(ctx, pub, card); err != nil {
		t.Fatal(err)
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"3566111111111113", "3566 1111", "987\x00"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q", filepath.Base(f), secret)
			}
		}
	}
}
