package storetest

import (
	"testing"

	"github.com/paylinks/paylinks"
)

// token returns an unsaved, unused token of the account and mode.
func (f *fixture) token(t *testing.T, a *paylinks.Account, livemode bool, sec int) *paylinks.Token {
	t.Helper()
	return &paylinks.Token{
		ID:        f.id(t),
		AccountID: a.ID,
		Livemode:  livemode,
		Card: paylinks.Card{Brand: "MasterCard", FirstDigits: "555555", LastDigits: "4444",
			ExpirationMonth: 1, ExpirationYear: 2031, Name: "T Payer", Fingerprint: "fp2", SecurityCodeCheck: true},
		CardID:       f.id(t),
		ProcessorRef: "sim:success",
		ChargeStatus: "unknown",
		CreatedAt:    at(sec),
	}
}

func testTokens(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	tok := f.token(t, a, false, 1)
	live := f.token(t, a, true, 2)
	live.Card = paylinks.Card{}
	for _, want := range []*paylinks.Token{tok, live} {
		if err := f.s.CreateToken(ctx, want); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		got, err := f.s.GetToken(ctx, want.AccountID, want.Livemode, want.ID)
		wantErr(t, "GetToken", err, nil)
		check(t, "GetToken", got, want)
	}
	dup := f.token(t, a, false, 3)
	dup.ID = tok.ID
	wantErr(t, "CreateToken(id taken)", f.s.CreateToken(ctx, dup), paylinks.ErrConflict)

	tests := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
	}{
		{"missing", a.ID, false, f.id(t)},
		{"other account", b.ID, false, tok.ID},
		{"other mode", a.ID, true, tok.ID},
	}
	for _, tt := range tests {
		_, err := f.s.GetToken(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "GetToken("+tt.name+")", err, paylinks.ErrNotFound)
	}
	got, err := f.s.GetToken(ctx, a.ID, false, tok.ID)
	wantErr(t, "GetToken after refused writes", err, nil)
	check(t, "GetToken after refused writes", got, tok)
}

func testUseToken(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, b := f.account(t), f.account(t)
	tok := f.token(t, a, false, 1)
	if err := f.s.CreateToken(ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	used := *tok
	used.Used = true

	tests := []struct {
		name     string
		account  paylinks.ID
		livemode bool
		id       paylinks.ID
		want     error
	}{
		{"other account", b.ID, false, tok.ID, paylinks.ErrNotFound},
		{"other mode", a.ID, true, tok.ID, paylinks.ErrNotFound},
		{"missing", a.ID, false, f.id(t), paylinks.ErrNotFound},
		{"first", a.ID, false, tok.ID, nil},
		{"second", a.ID, false, tok.ID, paylinks.ErrConflict},
	}
	for _, tt := range tests {
		got, err := f.s.UseToken(ctx, tt.account, tt.livemode, tt.id)
		wantErr(t, "UseToken("+tt.name+")", err, tt.want)
		if tt.want == nil {
			check(t, "UseToken("+tt.name+")", got, &used)
		}
	}
	got, err := f.s.GetToken(ctx, a.ID, false, tok.ID)
	wantErr(t, "GetToken after UseToken", err, nil)
	check(t, "GetToken after UseToken", got, &used)
}
