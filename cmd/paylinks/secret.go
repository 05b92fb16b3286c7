package main

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/paylinks/paylinks/internal/store"
)

// The names of the server secrets in the database.
const (
	checkoutSecretName    = "checkout"    // CSRF tokens and receipt links of the hosted pages
	fingerprintSecretName = "fingerprint" // HMAC of card numbers
)

// serverSecrets are the secrets every process serving one database must
// share: a form rendered by one replica is posted to another, and a card
// must have one fingerprint whichever replica saw it.
type serverSecrets struct {
	checkout, fingerprint []byte
}

// loadSecrets reads the server secrets from the database, making each (32
// random bytes) the first time any process asks for it.
func loadSecrets(ctx context.Context, st store.SecretStore) (serverSecrets, error) {
	var s serverSecrets
	for _, sec := range []struct {
		name string
		dst  *[]byte
	}{{checkoutSecretName, &s.checkout}, {fingerprintSecretName, &s.fingerprint}} {
		v, err := st.ServerSecret(ctx, sec.name, randomSecret)
		if err != nil {
			return serverSecrets{}, fmt.Errorf("load server secret %q: %w", sec.name, err)
		}
		*sec.dst = v
	}
	return s, nil
}

// randomSecret returns 32 bytes from crypto/rand.
func randomSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}
