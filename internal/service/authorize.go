package service

import (
	"context"

	"github.com/paylinks/paylinks"
)

// Authorize authenticates a raw key and checks that it holds scope: the
// principal, an unauthenticated error for a missing, bad or revoked key, or
// a forbidden error for a key without the scope (public keys hold none).
// Dialects that check scopes before reading a request call it, so that a
// key without the scope learns nothing about the request's validity.
func (s *Service) Authorize(ctx context.Context, raw string, scope paylinks.Scope) (paylinks.Principal, error) {
	pr, err := s.Authenticate(ctx, raw)
	if err != nil {
		return pr, err
	}
	if err := require(pr, scope); err != nil {
		return paylinks.Principal{}, err
	}
	return pr, nil
}
