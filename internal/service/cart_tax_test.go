package service_test

import (
	"context"
	"slices"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

func TestRatesForAddress(t *testing.T) {
	rate := func(name, country, state string, active bool) paylinks.TaxRate {
		r := paylinks.TaxRate{DisplayName: name, Country: country, State: state, Percentage: 10 * 10000}
		r.Active = active
		return r
	}
	rates := []paylinks.TaxRate{
		rate("DE VAT", "DE", "", true),
		rate("CA GST", "CA", "", true),
		rate("BC PST", "CA", "BC", true),
		rate("ON HST", "CA", "ON", true),
		rate("TX", "US", "TX", true),
		rate("CA sales", "US", "CA", true),
		rate("old FR", "FR", "", false),
		rate("nowhere", "", "", true),
	}
	for _, tt := range []struct {
		name string
		addr *paylinks.Address
		want []string
	}{
		{"no address", nil, nil},
		{"no country", &paylinks.Address{City: "Berlin"}, nil},
		{"a country-wide rate", &paylinks.Address{Country: "DE", State: "BE"}, []string{"DE VAT"}},
		{"country and state add up", &paylinks.Address{Country: "CA", State: "BC"}, []string{"CA GST", "BC PST"}},
		{"another state: the country's only", &paylinks.Address{Country: "CA", State: "QC"}, []string{"CA GST"}},
		{"state compared without case", &paylinks.Address{Country: "US", State: "tx"}, []string{"TX"}},
		{"a state's rate is not another state's", &paylinks.Address{Country: "US", State: "NY"}, nil},
		{"the state code of one country is not another's", &paylinks.Address{Country: "US", State: "CA"}, []string{"CA sales"}},
		{"an inactive rate never applies", &paylinks.Address{Country: "FR"}, nil},
		{"a country with no rate", &paylinks.Address{Country: "TH"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range service.RatesForAddress(rates, tt.addr) {
				got = append(got, r.DisplayName)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPayLinkRefusesCart: a cart link is not paid by PayLink (which would
// charge the default cart's total, ignoring the payer's choices).
func TestPayLinkRefusesCart(t *testing.T) {
	st := servertest.OpenStore(t, "sqlite")
	svc := service.New(st, service.Options{})
	ctx := context.Background()
	a, err := svc.EnsureAccount(ctx, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := svc.Authenticate(ctx, servertest.MustKey(t, svc, a.ID, false, paylinks.KeySecret))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := svc.CreateProduct(ctx, pr, service.ProductParams{Name: "Mug"})
	if err != nil {
		t.Fatal(err)
	}
	price, err := svc.CreatePrice(ctx, pr, service.PriceParams{ProductID: prod.ID, UnitAmount: 1500, Currency: "USD", Type: paylinks.PriceOneTime})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := svc.CreateCartLink(ctx, pr, service.CartLinkParams{LineItems: []service.CartItemParams{{PriceID: price.ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = svc.PayLink(ctx, service.PayParams{Slug: l.Slug, Email: "p@example.com",
		Card: service.CardInput{Number: "4242424242424242", ExpirationMonth: 12, ExpirationYear: 2040, SecurityCode: "123", Name: "P"}})
	if e := paylinks.AsError(err); e == nil || e.Code != "cart_link" {
		t.Errorf("PayLink of a cart link: %v, want cart_link", err)
	}
}
