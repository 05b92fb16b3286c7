package store

import "context"

// SecretStore keeps the server's named secrets (the key of the checkout's
// CSRF tokens and receipt links, the key of card fingerprints) in the
// database, so that every process serving one database uses the same ones:
// a form rendered by one replica is accepted by another, and a card has one
// fingerprint whichever replica charged it.
type SecretStore interface {
	// ServerSecret returns the secret called name. When there is none yet it
	// calls generate and stores its result, unless another caller (in this
	// process or another) stored one first: every caller gets the one value
	// that was stored. A generate error, or an empty value, is returned
	// wrapped and nothing is stored. Secrets are never changed or deleted.
	ServerSecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
}
