package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks"
)

// keyBodyLen is the number of base36 characters after a key's mode prefix
// (about 124 bits of entropy).
const keyBodyLen = 24

// KeyPrefix returns the fixed start of keys of that kind and mode, such as
// "skey_test_" or "rkey_live_".
func KeyPrefix(kind paylinks.KeyKind, livemode bool) string {
	p := map[paylinks.KeyKind]string{paylinks.KeySecret: "skey_", paylinks.KeyPublic: "pkey_", paylinks.KeyRestricted: "rkey_"}[kind]
	if livemode {
		return p + "live_"
	}
	return p + "test_"
}

// HashKey returns the SHA-256 of a whole key, the only form a key is stored in.
func HashKey(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// KeyParams describe a key to create.
type KeyParams struct {
	AccountID paylinks.ID
	Livemode  bool
	Kind      paylinks.KeyKind
	Scopes    []paylinks.Scope // restricted keys only
}

// CreateKey makes a new key and returns the stored record and the whole key,
// which is shown once and never again.
func (s *Service) CreateKey(ctx context.Context, kp KeyParams) (*paylinks.APIKey, string, error) {
	switch kp.Kind {
	case paylinks.KeySecret, paylinks.KeyPublic:
		if len(kp.Scopes) > 0 {
			return nil, "", paylinks.Invalid("bad_request", "scope", "only restricted keys take scopes")
		}
	case paylinks.KeyRestricted:
		if len(kp.Scopes) == 0 {
			return nil, "", paylinks.Invalid("bad_request", "scope", "a restricted key needs at least one scope")
		}
		for _, sc := range kp.Scopes {
			if !validScope(sc) {
				return nil, "", paylinks.Invalid("bad_request", "scope", "unknown scope %q", sc)
			}
		}
	default:
		return nil, "", paylinks.Invalid("bad_request", "kind", "kind must be secret, public or restricted")
	}
	if _, err := s.store.GetAccount(ctx, kp.AccountID); err != nil {
		return nil, "", fmt.Errorf("CreateKey: %w", err)
	}
	body, err := s.randomBase36(keyBodyLen)
	if err != nil {
		return nil, "", err
	}
	raw := KeyPrefix(kp.Kind, kp.Livemode) + body
	now := s.Now()
	id, err := s.newID(now)
	if err != nil {
		return nil, "", err
	}
	k := &paylinks.APIKey{ID: id, AccountID: kp.AccountID, Livemode: kp.Livemode, Kind: kp.Kind,
		Scopes: kp.Scopes, Prefix: raw[:len(KeyPrefix(kp.Kind, kp.Livemode))+6], Hash: HashKey(raw), CreatedAt: now}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return nil, "", fmt.Errorf("CreateKey: %w", err)
	}
	return k, raw, nil
}

func validScope(sc paylinks.Scope) bool {
	for _, a := range paylinks.AllScopes {
		if a == sc {
			return true
		}
	}
	return false
}

// RevokeKey revokes a key given whole (a leaked key, pasted as it is) or by
// its display prefix (as keys list shows it, with or without the trailing
// "…"). The key stops working everywhere within the key cache's TTL.
// Errors name the key by its display prefix only, never whole.
func (s *Service) RevokeKey(ctx context.Context, key string) (*paylinks.APIKey, error) {
	key = strings.TrimSuffix(strings.TrimSpace(key), "…")
	if !isWholeKey(key) {
		return s.revokeByPrefix(ctx, key)
	}
	shown := displayPrefix(key) + "…"
	k, err := s.store.KeyByHash(ctx, HashKey(key))
	switch {
	case errors.Is(err, paylinks.ErrNotFound):
		return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found",
			Message: fmt.Sprintf("no key is the key %s given whole (check it was copied entire)", shown)}
	case err != nil:
		return nil, fmt.Errorf("RevokeKey(%s): %w", shown, err)
	case k.RevokedAt != nil:
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "key_revoked",
			Message: fmt.Sprintf("the key %s was already revoked at %s", shown, k.RevokedAt.UTC().Format(time.RFC3339))}
	}
	// The store revokes by display prefix, refusing a prefix two unrevoked
	// keys share (one chance in billions for a handful of keys): the key
	// found by its hash is then left active, and the error says so.
	revoked, err := s.store.RevokeKey(ctx, k.Prefix, s.Now())
	switch {
	case errors.Is(err, paylinks.ErrConflict):
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "prefix_shared",
			Message: fmt.Sprintf("the key %s is active, but another active key shares its prefix, and keys are revoked by prefix: nothing was revoked", shown)}
	case errors.Is(err, paylinks.ErrNotFound): // revoked by another process since
		return nil, &paylinks.Error{Kind: paylinks.KindConflict, Code: "key_revoked", Message: fmt.Sprintf("the key %s was already revoked", shown)}
	case err != nil:
		return nil, fmt.Errorf("RevokeKey(%s): %w", shown, err)
	case revoked.ID != k.ID: // cannot be: the one unrevoked key with the prefix is k
		return nil, fmt.Errorf("RevokeKey(%s): revoked key %s instead of %s", shown, revoked.ID, k.ID)
	}
	s.keys.forget(revoked.Hash)
	return revoked, nil
}

// revokeByPrefix revokes the one unrevoked key whose display prefix is
// prefix.
func (s *Service) revokeByPrefix(ctx context.Context, prefix string) (*paylinks.APIKey, error) {
	if len(prefix) > displayPrefixLen {
		return nil, paylinks.Invalid("bad_request", "key", "%s… is neither a whole key nor a key's prefix: give the prefix keys list shows (%d characters) or the whole key",
			prefix[:displayPrefixLen], displayPrefixLen)
	}
	k, err := s.store.RevokeKey(ctx, prefix, s.Now())
	if err != nil {
		if errors.Is(err, paylinks.ErrConflict) {
			return nil, paylinks.Invalid("bad_request", "prefix", "prefix %q matches several keys; give more of it, or the whole key", prefix)
		}
		if errors.Is(err, paylinks.ErrNotFound) {
			return nil, &paylinks.Error{Kind: paylinks.KindNotFound, Code: "not_found", Message: fmt.Sprintf("no active key has the prefix %q", prefix)}
		}
		return nil, err
	}
	s.keys.forget(k.Hash)
	return k, nil
}

// displayPrefixLen is the length of a key's display prefix: its kind and
// mode ("skey_test_") and the first 6 characters after them.
const displayPrefixLen = len("skey_test_") + 6

// displayPrefix is the display prefix of a whole key.
func displayPrefix(raw string) string { return raw[:min(len(raw), displayPrefixLen)] }

// isWholeKey reports whether raw has the shape of a whole key: a kind and
// mode prefix and keyBodyLen lowercase base36 characters.
func isWholeKey(raw string) bool {
	for _, kind := range []paylinks.KeyKind{paylinks.KeySecret, paylinks.KeyPublic, paylinks.KeyRestricted} {
		for _, live := range []bool{false, true} {
			body, ok := strings.CutPrefix(raw, KeyPrefix(kind, live))
			if !ok || len(body) != keyBodyLen {
				continue
			}
			for i := 0; i < len(body); i++ {
				if c := body[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
					return false
				}
			}
			return true
		}
	}
	return false
}

var errBadKey = &paylinks.Error{Kind: paylinks.KindUnauthenticated, Code: "authentication_failure",
	Message: "authentication failed: the key is missing, invalid or revoked"}

// Authenticate returns the principal of a raw key. Once warm it costs no
// database round-trip: keys are cached for the cache's TTL, so a revocation
// made by any process is honoured within it.
func (s *Service) Authenticate(ctx context.Context, raw string) (paylinks.Principal, error) {
	if raw == "" || len(raw) > 200 || !(strings.HasPrefix(raw, "skey_") || strings.HasPrefix(raw, "pkey_") || strings.HasPrefix(raw, "rkey_")) {
		return paylinks.Principal{}, errBadKey
	}
	hash := HashKey(raw)
	now := time.Now()
	k, ok := s.keys.get(hash, now)
	if !ok {
		var err error
		k, err = s.store.KeyByHash(ctx, hash)
		if errors.Is(err, paylinks.ErrNotFound) {
			k = nil
		} else if err != nil {
			return paylinks.Principal{}, fmt.Errorf("Authenticate: %w", err)
		}
		s.keys.put(hash, k, now)
	}
	// The lookup was by hash; compare in constant time anyway so that no
	// code path ever branches on a partial match of key material.
	if k == nil || k.RevokedAt != nil || subtle.ConstantTimeCompare(k.Hash, hash) != 1 {
		return paylinks.Principal{}, errBadKey
	}
	return paylinks.Principal{AccountID: k.AccountID, Livemode: k.Livemode, KeyID: k.ID, Kind: k.Kind, Scopes: k.Scopes}, nil
}

// keyCache remembers lookups by key hash, misses included, for ttl.
type keyCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[[32]byte]keyEntry
}

type keyEntry struct {
	key *paylinks.APIKey // nil: no such key
	at  time.Time
}

const keyCacheMax = 10000

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, m: make(map[[32]byte]keyEntry)}
}

func (c *keyCache) get(hash []byte, now time.Time) (*paylinks.APIKey, bool) {
	c.mu.RLock()
	e, ok := c.m[[32]byte(hash)]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= c.ttl {
		return nil, false
	}
	return e.key, true
}

func (c *keyCache) put(hash []byte, k *paylinks.APIKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= keyCacheMax {
		for h, e := range c.m {
			if now.Sub(e.at) >= c.ttl {
				delete(c.m, h)
			}
		}
		if len(c.m) >= keyCacheMax {
			clear(c.m)
		}
	}
	c.m[[32]byte(hash)] = keyEntry{key: k, at: now}
}

func (c *keyCache) forget(hash []byte) {
	c.mu.Lock()
	delete(c.m, [32]byte(hash))
	c.mu.Unlock()
}

// randomBase36 returns n random lowercase base36 characters.
func (s *Service) randomBase36(n int) (string, error) {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	max := big.NewInt(int64(len(alphabet)))
	b := make([]byte, n)
	for i := range b {
		// Rejection sampling through big.Int keeps the distribution uniform.
		v, err := randInt(s.rand, max)
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		b[i] = alphabet[v]
	}
	return string(b), nil
}
