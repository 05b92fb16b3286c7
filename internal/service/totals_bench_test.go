package service_test

import (
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// BenchmarkTotals prices a 5-line cart with an amount coupon (the costlier
// discount: shares and remainders), an inclusive and an exclusive rate per
// line, and taxed shipping.
func BenchmarkTotals(b *testing.B) {
	rates := []paylinks.TaxRate{rate("7", true), rate("8.875", false)}
	c := service.Cart{Currency: "USD", Coupon: amountOff(777, "USD"), Shipping: ship(500, "USD"), ShippingTaxRates: rates[1:]}
	for i := range 5 {
		c.Lines = append(c.Lines, line(int64(450+i*125), int64(1+i), rates...))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := service.Totals(c); err != nil {
			b.Fatal(err)
		}
	}
}
