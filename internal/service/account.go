package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/paylinks/paylinks"
)

func randInt(r io.Reader, max *big.Int) (int64, error) {
	v, err := rand.Int(r, max)
	if err != nil {
		return 0, err
	}
	return v.Int64(), nil
}

// DefaultAccountName is the name of the account made on first start.
const DefaultAccountName = "default"

// Bootstrap is what first start on an empty database made: the default
// account and its test keys, shown once.
type Bootstrap struct {
	Account   *paylinks.Account
	SecretKey string
	PublicKey string
	// TestMnemonic is the BIP39 mnemonic of the account's generated
	// test-mode ETH wallet (only its xpub is stored): shown once.
	TestMnemonic string
}

// EnsureAccount returns the account named name, creating it when missing.
func (s *Service) EnsureAccount(ctx context.Context, name string) (*paylinks.Account, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, paylinks.Invalid("bad_request", "account", "account name must be 1 to 100 characters")
	}
	a, err := s.store.AccountByName(ctx, name)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, paylinks.ErrNotFound) {
		return nil, fmt.Errorf("EnsureAccount: %w", err)
	}
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, err
	}
	a = &paylinks.Account{ID: id, Name: name, CreatedAt: now}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		if errors.Is(err, paylinks.ErrConflict) { // made by another process just now
			return s.store.AccountByName(ctx, name)
		}
		return nil, fmt.Errorf("EnsureAccount: %w", err)
	}
	return a, nil
}

// BootstrapIfEmpty creates the default account with a test secret key and a
// test public key when the database has no account yet, and returns them;
// on any other database it returns nil.
func (s *Service) BootstrapIfEmpty(ctx context.Context) (*Bootstrap, error) {
	n, err := s.store.CountAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("BootstrapIfEmpty: %w", err)
	}
	if n > 0 {
		return nil, nil
	}
	a, err := s.EnsureAccount(ctx, DefaultAccountName)
	if err != nil {
		return nil, err
	}
	_, sk, err := s.CreateKey(ctx, KeyParams{AccountID: a.ID, Kind: paylinks.KeySecret})
	if err != nil {
		return nil, err
	}
	_, pk, err := s.CreateKey(ctx, KeyParams{AccountID: a.ID, Kind: paylinks.KeyPublic})
	if err != nil {
		return nil, err
	}
	mnemonic, _, err := s.CreateTestWallet(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return &Bootstrap{Account: a, SecretKey: sk, PublicKey: pk, TestMnemonic: mnemonic}, nil
}
