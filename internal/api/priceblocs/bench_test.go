package priceblocs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// BenchmarkListLinks serves one page of 20 links out of 200 (half of
// them cart links) on SQLite, in the PriceBlocs dialect (page-numbered,
// counted, carts read in one query) and, for comparison, in the v1
// dialect (cursor-paged, uncounted).
func BenchmarkListLinks(b *testing.B) {
	env := servertest.New(b, "sqlite")
	ctx := context.Background()
	pr, err := env.Service.Authenticate(ctx, env.SecretTest)
	if err != nil {
		b.Fatal(err)
	}
	prod, err := env.Service.CreateProduct(ctx, pr, service.ProductParams{Name: "Latte"})
	if err != nil {
		b.Fatal(err)
	}
	price, err := env.Service.CreatePrice(ctx, pr, service.PriceParams{ProductID: prod.ID, UnitAmount: 450, Currency: "USD"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		if i%2 == 0 {
			_, err = env.Service.CreateLink(ctx, pr, service.LinkParams{Title: fmt.Sprint("Link ", i), Amount: 1000, Currency: "USD", Multiple: true})
		} else {
			_, _, err = env.Service.CreateCartLink(ctx, pr, service.CartLinkParams{LineItems: []service.CartItemParams{{PriceID: price.ID, Quantity: 2}}})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, bb := range []struct{ name, path string }{
		{"priceblocs", "/v1/payment-links?page=3"},
		{"v1", "/api/v1/payment_links?limit=20"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", env.URL+bb.path, nil)
			req.Header.Set("Authorization", "Bearer "+env.SecretTest)
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
