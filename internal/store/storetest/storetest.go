// Package storetest is the conformance suite of store.Store. Every
// implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestDB(t) })
//	}
//
// Each call of open must return a fresh, empty store and arrange (t.Cleanup)
// to close it; the suite closes one store itself, so a second Close must be
// harmless. The suite assumes nothing about the database behind the store.
package storetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// Run runs the conformance suite against the stores that open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Ping", testPing},
		{"Close", testClose},
		{"Accounts", testAccounts},
		{"Keys", testKeys},
		{"RevokeKey", testRevokeKey},
		{"CreateLink", testCreateLink},
		{"GetLink", testGetLink},
		{"ListLinks", testListLinks},
		{"ListLinksAfter", testListLinksAfter},
		{"ListLinksTotals", testListLinksTotals},
		{"ListLinksOffsets", testListLinksOffsets},
		{"UpdateLink", testUpdateLink},
		{"DeleteLink", testDeleteLink},
		{"Times", testTimes},
		{"ClaimLink", testClaimLink},
		{"ClaimLinkConcurrent", testClaimLinkConcurrent},
		{"CreateCharge", testCreateCharge},
		{"CreateChargeClaim", testCreateChargeClaim},
		{"LimitedLinkClaims", testLimitedLinkClaims},
		{"CreateChargeToken", testCreateChargeToken},
		{"ListCharges", testListCharges},
		{"LinkCharges", testLinkCharges},
		{"Tokens", testTokens},
		{"UseToken", testUseToken},
		{"Events", testEvents},
		{"ListEvents", testListEvents},
		{"Sessions", testSessions}, {"ListSessions", testListSessions}, {"ClaimSession", testClaimSession}, {"PaySession", testPaySession}, {"Idempotency", testIdempotency}, {"IdempotencyConcurrent", testIdempotencyConcurrent}, {"IdempotencyObject", testIdempotencyObject},
		{"ServerSecret", testServerSecret},
		{"Chain", testChain},
		{"AttemptLink", testAttemptLink},
		{"AttemptSession", testAttemptSession},
		{"AttemptToken", testAttemptToken},
		{"AttemptIdempotency", testAttemptIdempotency},
		{"LeaseAttempts", testLeaseAttempts},
		{"SimulatorLedger", testSimulatorLedger},
		{"WebhookEndpoints", testWebhookEndpoints}, {"WebhookFanout", testWebhookFanout}, {"WebhookLease", testWebhookLease}, {"WebhookLeaseConcurrent", testWebhookLeaseConcurrent}, {"EventPage", testEventPage}, {"WebhookFinishBatch", testWebhookFinishBatch},
		{"ChargeOps", testChargeOps},
		{"ExpireCharge", testExpireCharge},
		{"Refunds", testRefunds},
		{"Search", testSearch},
		{"CatalogItems", testCatalogItems}, {"CatalogKeys", testCatalogKeys}, {"ListCatalogItems", testListCatalogItems}, {"UpdateCatalogItem", testUpdateCatalogItem}, {"RedeemCatalogItems", testRedeemCatalogItems}, {"RedeemConcurrent", testRedeemConcurrent}, {"CartLinks", testCartLinks}, {"AttemptCart", testAttemptCart}, {"AttemptRedeemConcurrent", testAttemptRedeemConcurrent}, {"UpdateCartLink", testUpdateCartLink}, {"CatalogIdempotency", testCatalogIdempotency},
		{"Users", testUsers},
		{"UserSessions", testUserSessions},
		{"AccountSettings", testAccountSettings}, {"AccountKeys", testAccountKeys}, {"UserTOTP", testUserTOTP},
		{"CryptoConfig", testCryptoConfig}, {"AllocateDepositIndexConcurrent", testAllocateDepositIndexConcurrent}, {"SessionCrypto", testSessionCrypto}, {"ExpiredCryptoSessions", testExpiredCryptoSessions},
		{"FindLinks", testFindLinks}, {"ListChargesAfter", testListChargesAfter}, {"ChargeDays", testChargeDays}, {"EventsByObject", testEventsByObject}, {"SessionsOfLink", testSessionsOfLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newFixture(t, open))
		})
	}
}

// base is the fixture's clock: every time the suite writes is base plus
// whole seconds, so it is exact at microsecond precision (Times tests the
// truncation of finer ones).
var base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// at returns base plus sec seconds.
func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func ptr[T any](v T) *T { return &v }

// fixture is one fresh store and the helpers that fill it.
type fixture struct {
	s     store.Store
	rng   *rand.ChaCha8
	slugs int
}

func newFixture(t *testing.T, open func(t *testing.T) store.Store) *fixture {
	t.Helper()
	var seed [32]byte
	copy(seed[:], t.Name())
	return &fixture{s: open(t), rng: rand.NewChaCha8(seed)}
}

// id returns a new random id; ids made by one fixture are unique, and their
// order is unrelated to the order they were made in.
func (f *fixture) id(t *testing.T) paylinks.ID {
	t.Helper()
	id, err := paylinks.NewID(base, f.rng)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// account creates an account.
func (f *fixture) account(t *testing.T) *paylinks.Account {
	t.Helper()
	a := &paylinks.Account{ID: f.id(t), CreatedAt: base}
	a.Name = "account-" + a.ID.String()
	if err := f.s.CreateAccount(t.Context(), a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a
}

// link returns an unsaved single-use, active link of the account and mode
// created at sec, changed by edit when it is not nil.
func (f *fixture) link(t *testing.T, a *paylinks.Account, livemode bool, sec int, edit func(*paylinks.Link)) *paylinks.Link {
	t.Helper()
	f.slugs++
	l := &paylinks.Link{
		ID:          f.id(t),
		AccountID:   a.ID,
		Livemode:    livemode,
		Slug:        fmt.Sprintf("slug-%d-%d", f.slugs, f.rng.Uint64()%1000),
		Title:       fmt.Sprintf("Link %d", f.slugs),
		Description: "a description",
		Amount:      12345,
		Currency:    "THB",
		Active:      true,
		SuccessURL:  "https://example.com/ok",
		CancelURL:   "https://example.com/cancel",
		CreatedAt:   at(sec),
		UpdatedAt:   at(sec),
	}
	if edit != nil {
		edit(l)
	}
	return l
}

// event returns an unsaved event about an object.
func (f *fixture) event(t *testing.T, accountID paylinks.ID, livemode bool, key string, objectID paylinks.ID, sec int) *paylinks.Event {
	t.Helper()
	id := f.id(t)
	return &paylinks.Event{
		ID:         id,
		AccountID:  accountID,
		Livemode:   livemode,
		Key:        key,
		ObjectType: "link",
		ObjectID:   objectID,
		Data:       json.RawMessage(fmt.Sprintf(`{"id": %q, "n": %d}`, objectID, sec)),
		CreatedAt:  at(sec),
	}
}

// createLink saves l with a "link.create" event and returns the event.
func (f *fixture) createLink(t *testing.T, l *paylinks.Link) *paylinks.Event {
	t.Helper()
	ev := f.event(t, l.AccountID, l.Livemode, "link.create", l.ID, int(l.CreatedAt.Sub(base)/time.Second))
	if err := f.s.CreateLink(t.Context(), l, ev, nil); err != nil {
		t.Fatalf("CreateLink(%s): %v", l.Slug, err)
	}
	return ev
}

// newLink makes and saves a link; see link.
func (f *fixture) newLink(t *testing.T, a *paylinks.Account, livemode bool, sec int, edit func(*paylinks.Link)) *paylinks.Link {
	t.Helper()
	l := f.link(t, a, livemode, sec, edit)
	f.createLink(t, l)
	return l
}

// charge returns an unsaved successful charge of the account and mode.
func (f *fixture) charge(t *testing.T, a *paylinks.Account, livemode bool, sec int, edit func(*paylinks.Charge)) *paylinks.Charge {
	t.Helper()
	c := &paylinks.Charge{
		ID:        f.id(t),
		AccountID: a.ID,
		Livemode:  livemode,
		Amount:    12345,
		Currency:  "THB",
		Status:    paylinks.ChargeSuccessful,
		Capture:   true,
		Card: paylinks.Card{Brand: "Visa", FirstDigits: "424242", LastDigits: "4242",
			ExpirationMonth: 12, ExpirationYear: 2030, Name: "A Payer", Fingerprint: "fp", SecurityCodeCheck: true},
		CardID:    f.id(t),
		IP:        "2001:db8::7",
		CreatedAt: at(sec),
		PaidAt:    ptr(at(sec)),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// wantErr reports an error unless err is (wraps) want; want nil means no error.
func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: got error %v, want nil", op, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: got error %v, want %v", op, err, want)
	}
}

// check reports every difference between got and want. Times compare as
// instants, want truncated to the microsecond, and got must be in UTC; JSON
// compares by value; empty and nil slices and maps are equal.
func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	var out []string
	walk(&out, what, reflect.ValueOf(&got).Elem(), reflect.ValueOf(&want).Elem())
	for _, d := range out {
		t.Error(d)
	}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func walk(out *[]string, path string, g, w reflect.Value) {
	report := func(got, want any) {
		*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, got, want))
	}
	switch {
	case g.Type() == timeType:
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time).Truncate(time.Microsecond)
		if !gt.Equal(wt) || gt.Location() != time.UTC {
			report(gt, wt.UTC())
		}
	case g.Type() == rawType:
		if !jsonEqual(g.Bytes(), w.Bytes()) {
			report(string(g.Bytes()), string(w.Bytes()))
		}
	case g.Kind() == reflect.Pointer:
		switch {
		case g.IsNil() && w.IsNil():
		case g.IsNil() || w.IsNil():
			report(fmtPtr(g), fmtPtr(w))
		default:
			walk(out, path, g.Elem(), w.Elem())
		}
	case g.Kind() == reflect.Struct:
		for i := range g.NumField() {
			if fd := g.Type().Field(i); fd.IsExported() {
				walk(out, path+"."+fd.Name, g.Field(i), w.Field(i))
			}
		}
	case g.Kind() == reflect.Slice && g.Len() == 0 && w.Len() == 0,
		g.Kind() == reflect.Map && g.Len() == 0 && w.Len() == 0:
	case g.Kind() == reflect.Slice && g.Type().Elem().Kind() == reflect.Struct:
		if g.Len() != w.Len() {
			report(fmt.Sprintf("%d items", g.Len()), fmt.Sprintf("%d items", w.Len()))
			return
		}
		for i := range g.Len() {
			walk(out, fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i))
		}
	default:
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			report(g.Interface(), w.Interface())
		}
	}
}

func fmtPtr(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("&%v", v.Elem().Interface())
}

func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// page is the reference model of every time-ordered list: the items that
// keep accepts and that were created in [from, to] (zero: unbounded),
// ordered by (created_at, id) in order, then offset and limit (0: no limit)
// applied; and the number before offset and limit.
func page[T any](all []T, keep func(T) bool, key func(T) (time.Time, paylinks.ID),
	from, to time.Time, order paylinks.Order, offset, limit int) ([]T, int) {
	var in []T
	for _, v := range all {
		c, _ := key(v)
		if keep(v) && (from.IsZero() || !c.Before(from)) && (to.IsZero() || !c.After(to)) {
			in = append(in, v)
		}
	}
	slices.SortFunc(in, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		c := cmp.Or(ta.Compare(tb), bytes.Compare(ia[:], ib[:]))
		if order == paylinks.ReverseChronological {
			return -c
		}
		return c
	})
	total := len(in)
	in = in[min(offset, len(in)):]
	if limit > 0 {
		in = in[:min(limit, len(in))]
	}
	return in, total
}

// ids lists the ids of items, for messages that must stay readable.
func ids[T any](items []T, id func(T) paylinks.ID) []string {
	s := make([]string, len(items))
	for i, v := range items {
		s[i] = id(v).String()[24:] // the random end; the start is the time
	}
	return s
}

func testPing(t *testing.T, f *fixture) {
	if err := f.s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: got %v, want nil", err)
	}
}

func testClose(t *testing.T, f *fixture) {
	if err := f.s.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := f.s.Ping(ctx); err == nil {
		t.Errorf("Ping after Close: got nil, want an error")
	}
}
