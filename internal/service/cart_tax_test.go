package service_test

import (
	"slices"
	"testing"

	"github.com/paylinks/paylinks"
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
