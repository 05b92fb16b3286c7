package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks"
)

// AccountKeys returns the caller's account's API keys in the caller's mode,
// revoked ones included, newest first: prefixes and hashes, never a key.
// Owner only: a viewer may not even list them.
func (s *Service) AccountKeys(ctx context.Context, pr paylinks.Principal) ([]paylinks.APIKey, error) {
	if err := requireOwner(pr); err != nil {
		return nil, err
	}
	keys, err := s.store.AccountKeys(ctx, pr.AccountID, pr.Livemode)
	if err != nil {
		return nil, fmt.Errorf("AccountKeys: %w", err)
	}
	return keys, nil
}

// CreateAccountKey makes a key of the caller's account in the caller's
// mode and returns it with the whole key, shown once. Owner only; the
// same rules as CreateKey (scopes for restricted keys only).
func (s *Service) CreateAccountKey(ctx context.Context, pr paylinks.Principal, kind paylinks.KeyKind, scopes []paylinks.Scope) (*paylinks.APIKey, string, error) {
	if err := requireOwner(pr); err != nil {
		return nil, "", err
	}
	return s.CreateKey(ctx, KeyParams{AccountID: pr.AccountID, Livemode: pr.Livemode, Kind: kind, Scopes: scopes})
}

// RevokeAccountKey revokes a key of the caller's account and mode by id;
// it stops working everywhere within the key cache's TTL. Owner only.
// Errors: KindNotFound (not the caller's), KindConflict (revoked already).
func (s *Service) RevokeAccountKey(ctx context.Context, pr paylinks.Principal, id paylinks.ID) (*paylinks.APIKey, error) {
	if err := requireOwner(pr); err != nil {
		return nil, err
	}
	k, err := s.store.RevokeAccountKey(ctx, pr.AccountID, pr.Livemode, id, s.Now())
	switch {
	case errors.Is(err, paylinks.ErrNotFound):
		return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Param: "id", Message: "there is no such key"}
	case errors.Is(err, paylinks.ErrConflict):
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "key_revoked", Message: "this key was revoked already"}
	case err != nil:
		return nil, fmt.Errorf("RevokeAccountKey: %w", err)
	}
	s.keys.forget(k.Hash)
	return k, nil
}
