package service_test

import (
	"context"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// BenchmarkCreateCryptoSession: an ETH session (the rate from a fixed
// feed, as from a cache; a deposit index allocated in its own commit; the
// address derived) against a card-only one, on SQLite.
func BenchmarkCreateCryptoSession(b *testing.B) {
	for _, eth := range []bool{false, true} {
		name := "card"
		if eth {
			name = "eth"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			svc := service.New(servertest.OpenStore(b, "sqlite"), service.Options{EthTestRate: "3000"})
			a, err := svc.EnsureAccount(ctx, "acme")
			if err != nil {
				b.Fatal(err)
			}
			if eth {
				if _, err := svc.ConfigureCrypto(ctx, service.CryptoSettings{AccountID: a.ID, XPub: testXPub, ChainID: 1337}); err != nil {
					b.Fatal(err)
				}
			}
			pr := paylinks.Principal{AccountID: a.ID, Kind: paylinks.KeySecret}
			for b.Loop() {
				s, err := svc.CreateSession(ctx, pr, service.SessionParams{Amount: 9900, Currency: "USD"})
				if err != nil || (s.Crypto != nil) != eth {
					b.Fatal(err)
				}
			}
		})
	}
}
