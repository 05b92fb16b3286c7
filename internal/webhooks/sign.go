// Package webhooks delivers the outbox: a dispatcher leases due deliveries
// from the store, signs each (the v1 or Omise header and always the Standard
// Webhooks headers), POSTs it through an SSRF-guarded client and records the
// attempt, retrying on the Standard Webhooks schedule.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
)

// SecretPrefix starts every webhook secret (the Standard Webhooks form).
const SecretPrefix = "whsec_"

// NewSecret returns a new secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// SecretKey returns the HMAC key of a secret: its base64 part, decoded.
func SecretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook secret: not whsec_ and base64")
	}
	return key, nil
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{'.'})
		}
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// Sign returns the headers of a delivery of body with message id msgID at
// t, signed with every secret: the Standard Webhooks headers always, and
// the format's own (v1: X-Webhook-Signature; omise: Omise-Signature and
// Omise-Signature-Timestamp). Every HMAC is SHA-256 keyed with the
// secret's decoded bytes.
func Sign(format, msgID string, t time.Time, body []byte, secrets []string) (http.Header, error) {
	h := http.Header{}
	unix := strconv.FormatInt(t.Unix(), 10)
	var std, v1, omise []string
	for _, s := range secrets {
		key, err := SecretKey(s)
		if err != nil {
			return nil, err
		}
		std = append(std, "v1,"+base64.StdEncoding.EncodeToString(mac(key, msgID, unix, string(body))))
		sig := hex.EncodeToString(mac(key, unix, string(body)))
		v1 = append(v1, "v1="+sig)
		omise = append(omise, sig)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "paylinks-webhooks/1")
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", unix)
	h.Set("webhook-signature", strings.Join(std, " "))
	switch format {
	case paylinks.WebhookFormatOmise:
		h.Set("Omise-Signature", strings.Join(omise, ","))
		h.Set("Omise-Signature-Timestamp", unix)
	default:
		h.Set("X-Webhook-Signature", "t="+unix+","+strings.Join(v1, ","))
	}
	return h, nil
}
