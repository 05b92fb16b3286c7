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
	return s.AuthorizeAccess(ctx, raw, NeedScope(scope))
}

// Access is what an endpoint requires of the key that calls it: a scope
// (secret keys hold every scope, restricted keys the ones they were given),
// or, for making tokens, a public key. The zero Access allows no key.
type Access struct {
	scope     paylinks.Scope
	publicKey bool
}

// NeedScope is the access of an endpoint whose operation requires scope sc.
func NeedScope(sc paylinks.Scope) Access { return Access{scope: sc} }

// NeedPublicKey is the access of token creation, which only public keys
// may do.
var NeedPublicKey = Access{publicKey: true}

// Allows reports whether pr may call an endpoint that needs a, by the same
// rules the service's operations apply (require, and CreateToken's kind
// check).
func (a Access) Allows(pr paylinks.Principal) bool {
	if a.publicKey {
		return pr.Kind == paylinks.KeyPublic
	}
	return a.scope != "" && pr.Can(a.scope)
}

// AuthorizeAccess authenticates a raw key and checks that it has access a:
// the principal, an unauthenticated error for a missing, bad or revoked
// key, or a forbidden error for a key that may not call the endpoint.
// Whatever runs before an endpoint and answers for it (the Idempotency-Key
// replay) calls it first, so that it answers only keys the endpoint would
// serve.
func (s *Service) AuthorizeAccess(ctx context.Context, raw string, a Access) (paylinks.Principal, error) {
	pr, err := s.Authenticate(ctx, raw)
	if err != nil {
		return paylinks.Principal{}, err
	}
	switch {
	case a.Allows(pr):
		return pr, nil
	case a.publicKey:
		return paylinks.Principal{}, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "authentication_failure",
			Message: "this endpoint needs a public key"}
	case a.scope == "":
		return paylinks.Principal{}, &paylinks.Error{Kind: paylinks.KindForbidden, Code: "forbidden",
			Message: "no key may call this endpoint"}
	}
	return paylinks.Principal{}, require(pr, a.scope)
}
