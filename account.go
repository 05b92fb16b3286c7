package paylinks

import (
	"slices"
	"time"
)

// Account is a merchant: it owns keys, links and charges.
type Account struct {
	ID        ID
	Name      string
	CreatedAt time.Time
}

// KeyKind is the kind of an API key.
type KeyKind string

// The key kinds: secret keys have every scope, public keys may only make
// tokens, restricted keys have the scopes they were given.
const (
	KeySecret     KeyKind = "secret"
	KeyPublic     KeyKind = "public"
	KeyRestricted KeyKind = "restricted"
)

// Scope is a permission a restricted key carries.
type Scope string

// The scopes.
const (
	ScopeLinksRead     Scope = "links:read"
	ScopeLinksWrite    Scope = "links:write"
	ScopeSessionsRead  Scope = "sessions:read"
	ScopeSessionsWrite Scope = "sessions:write"
	ScopeWebhooksRead  Scope = "webhooks:read"
	ScopeWebhooksWrite Scope = "webhooks:write"
	ScopeEventsRead    Scope = "events:read"
)

// AllScopes lists every scope, in a stable order.
var AllScopes = []Scope{ScopeLinksRead, ScopeLinksWrite, ScopeSessionsRead, ScopeSessionsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite, ScopeEventsRead}

// APIKey is a stored key: only the SHA-256 hash of the whole key and a short
// display prefix are kept.
type APIKey struct {
	ID        ID
	AccountID ID
	Livemode  bool
	Kind      KeyKind
	Scopes    []Scope
	Prefix    string // e.g. "skey_test_4f8a2c" — enough to recognise, not to use
	Hash      []byte // SHA-256 of the whole key
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Principal is who a request acts as: the account and mode of its key, and
// what the key may do.
type Principal struct {
	AccountID ID
	Livemode  bool
	KeyID     ID
	Kind      KeyKind
	Scopes    []Scope
}

// Can reports whether the principal holds scope s. Secret keys hold every
// scope; public keys hold none (they may only create tokens).
func (p Principal) Can(s Scope) bool {
	switch p.Kind {
	case KeySecret:
		return true
	case KeyRestricted:
		return slices.Contains(p.Scopes, s)
	}
	return false
}
