package service_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

func rate(pct string, inclusive bool) paylinks.TaxRate {
	p, ok := paylinks.ParsePercent(pct)
	if !ok {
		panic(pct)
	}
	return paylinks.TaxRate{DisplayName: pct + "%", Percentage: p, Inclusive: inclusive}
}

func percentOff(pct string) *paylinks.Coupon {
	p, ok := paylinks.ParsePercent(pct)
	if !ok {
		panic(pct)
	}
	return &paylinks.Coupon{PercentOff: p}
}

func amountOff(amount int64, cur string) *paylinks.Coupon {
	return &paylinks.Coupon{AmountOff: amount, Currency: cur}
}

func ship(amount int64, cur string) *paylinks.ShippingRate {
	return &paylinks.ShippingRate{DisplayName: "Courier", Amount: amount, Currency: cur}
}

func line(unit, qty int64, rates ...paylinks.TaxRate) service.CartLine {
	return service.CartLine{UnitAmount: unit, Quantity: qty, TaxRates: rates}
}

func TestTotals(t *testing.T) {
	vat7, vat7incl, ny := rate("7", false), rate("7", true), rate("8.875", false)
	for _, tt := range []struct {
		name string
		cart service.Cart
		// subtotal, discount, shipping, tax, inclusive tax, total
		want          [6]int64
		lineDiscounts []int64
		display       string // the total as a decimal of the currency
	}{
		{"lines only", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 2), line(550, 1)}},
			[6]int64{2550, 0, 0, 0, 0, 2550}, nil, "25.50"},
		{"exclusive tax", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 3, vat7)}},
			[6]int64{3000, 0, 0, 210, 0, 3210}, nil, "32.10"},
		{"inclusive tax is shown, not added", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1070, 1, vat7incl)}},
			[6]int64{1070, 0, 0, 0, 70, 1070}, nil, "10.70"},
		{"8.875 % rounds once per line", service.Cart{Currency: "USD", Lines: []service.CartLine{line(999, 1, ny), line(999, 1, ny)}},
			// 88.66 → 89 on each line (not 177.32 → 177 on the sum)
			[6]int64{1998, 0, 0, 178, 0, 2176}, nil, "21.76"},
		{"half rounds up", service.Cart{Currency: "USD", Lines: []service.CartLine{line(5, 1, rate("10", false))}},
			[6]int64{5, 0, 0, 1, 0, 6}, nil, "0.06"},
		{"inclusive and exclusive rates on one line", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1070, 1, vat7incl, rate("2", false))}},
			[6]int64{1070, 0, 0, 21, 70, 1091}, nil, "10.91"},
		{"percent coupon per line", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1), line(333, 1)}, Coupon: percentOff("12.5")},
			[6]int64{1333, 167, 0, 0, 0, 1166}, []int64{125, 42}, "11.66"},
		{"percent coupon before tax", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1, vat7)}, Coupon: percentOff("10")},
			[6]int64{1000, 100, 0, 63, 0, 963}, []int64{100}, "9.63"},
		{"100 % coupon leaves shipping", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1999, 2, vat7)}, Coupon: percentOff("100"), Shipping: ship(500, "USD")},
			[6]int64{3998, 3998, 500, 0, 0, 500}, []int64{3998}, "5.00"},
		{"amount coupon shared in proportion", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1), line(3000, 1)}, Coupon: amountOff(500, "USD")},
			[6]int64{4000, 500, 0, 0, 0, 3500}, []int64{125, 375}, "35.00"},
		{"amount coupon remainders by size", service.Cart{Currency: "USD", Lines: []service.CartLine{line(100, 1), line(200, 1), line(300, 1)}, Coupon: amountOff(100, "USD")},
			// exact shares 16.67, 33.33, 50: floors 16, 33, 50, the unit left to the largest remainder
			[6]int64{600, 100, 0, 0, 0, 500}, []int64{17, 33, 50}, "5.00"},
		{"amount coupon ties go to the earlier line", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1, 1), line(1, 1), line(1, 1)}, Coupon: amountOff(2, "USD")},
			[6]int64{3, 2, 0, 0, 0, 1}, []int64{1, 1, 0}, "0.01"},
		{"amount coupon above the subtotal: never negative", service.Cart{Currency: "USD", Lines: []service.CartLine{line(300, 1, vat7)}, Coupon: amountOff(5000, "USD")},
			[6]int64{300, 300, 0, 0, 0, 0}, []int64{300}, "0.00"},
		{"untaxed shipping", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1, vat7)}, Shipping: ship(500, "USD")},
			[6]int64{1000, 0, 500, 70, 0, 1570}, nil, "15.70"},
		{"taxed shipping", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1, vat7)}, Shipping: ship(500, "USD"), ShippingTaxRates: []paylinks.TaxRate{vat7}},
			[6]int64{1000, 0, 500, 105, 0, 1605}, nil, "16.05"},
		{"shipping with tax included", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1000, 1)}, Shipping: ship(535, "USD"), ShippingTaxRates: []paylinks.TaxRate{vat7incl}},
			[6]int64{1000, 0, 535, 0, 35, 1535}, nil, "15.35"},
		{"JPY has no minor unit", service.Cart{Currency: "JPY", Lines: []service.CartLine{line(1980, 3, rate("10", false))}, Coupon: percentOff("15")},
			// 5940 − 891 = 5049 taxable, 504.9 → 505
			[6]int64{5940, 891, 0, 505, 0, 5554}, []int64{891}, "5554"},
		{"JPY inclusive consumption tax", service.Cart{Currency: "jpy", Lines: []service.CartLine{line(1100, 1, rate("10", true)), line(108, 1, rate("8", true))}},
			[6]int64{1208, 0, 0, 0, 108, 1208}, nil, "1208"},
		{"KWD has three decimals", service.Cart{Currency: "KWD", Lines: []service.CartLine{line(1250, 3, rate("5", false))}, Shipping: ship(500, "KWD")},
			// 3.750 + 0.1875 → 0.188 tax + 0.500 shipping
			[6]int64{3750, 0, 500, 188, 0, 4438}, nil, "4.438"},
		{"KWD amount coupon", service.Cart{Currency: "KWD", Lines: []service.CartLine{line(1001, 1), line(2002, 1)}, Coupon: amountOff(1000, "KWD")},
			[6]int64{3003, 1000, 0, 0, 0, 2003}, []int64{333, 667}, "2.003"},
		{"a free line", service.Cart{Currency: "USD", Lines: []service.CartLine{line(0, 1, vat7), line(100, 1)}, Coupon: amountOff(50, "USD")},
			[6]int64{100, 50, 0, 0, 0, 50}, []int64{0, 50}, "0.50"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := service.Totals(tt.cart)
			if err != nil {
				t.Fatal(err)
			}
			if g := [6]int64{got.Subtotal, got.Discount, got.Shipping, got.Tax, got.InclusiveTax, got.Total}; g != tt.want {
				t.Errorf("subtotal, discount, shipping, tax, inclusive tax, total: got %v, want %v", g, tt.want)
			}
			for i, d := range tt.lineDiscounts {
				if got.Lines[i].Discount != d {
					t.Errorf("line %d discount: got %d, want %d", i+1, got.Lines[i].Discount, d)
				}
			}
			if s := paylinks.FormatDecimal(got.Total, got.Currency); s != tt.display {
				t.Errorf("total shown as %s, want %s", s, tt.display)
			}
		})
	}
}

func TestTotalsRefusals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cart  service.Cart
		code  string
		param string
	}{
		{"no lines", service.Cart{Currency: "USD"}, "parameter_missing", "line_items"},
		{"no currency", service.Cart{Lines: []service.CartLine{line(1, 1)}}, "invalid_currency", "currency"},
		{"quantity 0", service.Cart{Currency: "USD", Lines: []service.CartLine{line(100, 0)}}, "parameter_invalid", "line_items"},
		{"negative amount", service.Cart{Currency: "USD", Lines: []service.CartLine{line(-100, 1)}}, "parameter_invalid", "line_items"},
		{"overflow", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1<<40, 1<<30)}}, "invalid_amount", "line_items"},
		{"sum overflow", service.Cart{Currency: "USD", Lines: []service.CartLine{line(1<<60, 1), line(1<<60, 1)}}, "invalid_amount", "line_items"},
		{"coupon in another currency", service.Cart{Currency: "USD", Lines: []service.CartLine{line(100, 1)}, Coupon: amountOff(10, "EUR")}, "currency_mismatch", "discounts"},
		{"shipping in another currency", service.Cart{Currency: "USD", Lines: []service.CartLine{line(100, 1)}, Shipping: ship(10, "EUR")}, "currency_mismatch", "shipping_options"},
	} {
		_, err := service.Totals(tt.cart)
		wantInvalid(t, tt.name, err, tt.code, tt.param)
	}
}

// TestTotalsProperties checks the rules on random carts: the total is
// subtotal − discount + shipping + tax and never negative; the line shares
// add up to the discount, which is never more than the subtotal; an
// amount_off discount is exactly min(amount_off, subtotal); and every
// rounded amount is within half a minor unit of its exact value.
func TestTotalsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	curs := []string{"USD", "JPY", "KWD"}
	randRates := func() []paylinks.TaxRate {
		var rs []paylinks.TaxRate
		for range rng.IntN(3) {
			rs = append(rs, paylinks.TaxRate{Percentage: paylinks.Percent(rng.Int64N(int64(paylinks.OneHundredPercent) / 4)), Inclusive: rng.IntN(2) == 0})
		}
		return rs
	}
	// within reports whether |got − num/den| ≤ 1/2.
	within := func(got int64, num, den *big.Int) bool {
		diff := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(got), den), num)
		diff.Abs(diff).Mul(diff, big.NewInt(2))
		return diff.Cmp(den) <= 0
	}
	sums := func(rs []paylinks.TaxRate) (excl, incl int64) {
		for _, r := range rs {
			if r.Inclusive {
				incl += int64(r.Percentage)
			} else {
				excl += int64(r.Percentage)
			}
		}
		return excl, incl
	}
	hundred := int64(paylinks.OneHundredPercent)
	for n := range 20000 {
		cur := curs[rng.IntN(len(curs))]
		c := service.Cart{Currency: cur}
		for range 1 + rng.IntN(6) {
			c.Lines = append(c.Lines, service.CartLine{UnitAmount: rng.Int64N(1_000_000), Quantity: 1 + rng.Int64N(20), TaxRates: randRates()})
		}
		switch rng.IntN(3) {
		case 1:
			c.Coupon = &paylinks.Coupon{PercentOff: paylinks.Percent(1 + rng.Int64N(hundred))}
		case 2:
			c.Coupon = &paylinks.Coupon{AmountOff: 1 + rng.Int64N(5_000_000), Currency: cur}
		}
		if rng.IntN(2) == 0 {
			c.Shipping = ship(rng.Int64N(100_000), cur)
			c.ShippingTaxRates = randRates()
		}
		got, err := service.Totals(c)
		if err != nil {
			t.Fatalf("cart %d: %v", n, err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("cart %d %+v: "+format, append([]any{n, c}, args...)...)
		}
		if got.Total != got.Subtotal-got.Discount+got.Shipping+got.Tax || got.Total < 0 {
			fail("total %d ≠ %d − %d + %d + %d", got.Total, got.Subtotal, got.Discount, got.Shipping, got.Tax)
		}
		if got.Discount > got.Subtotal || got.Discount < 0 {
			fail("discount %d of subtotal %d", got.Discount, got.Subtotal)
		}
		if c.Coupon != nil && c.Coupon.AmountOff > 0 && got.Discount != min(c.Coupon.AmountOff, got.Subtotal) {
			fail("amount_off %d gave discount %d of subtotal %d", c.Coupon.AmountOff, got.Discount, got.Subtotal)
		}
		var discounts, taxes, incls int64
		for i, l := range got.Lines {
			cl := c.Lines[i]
			if l.Amount != cl.UnitAmount*cl.Quantity || l.Discount < 0 || l.Discount > l.Amount || l.Total != l.Amount-l.Discount+l.Tax {
				fail("line %d: %+v", i, l)
			}
			if c.Coupon != nil && c.Coupon.PercentOff > 0 &&
				!within(l.Discount, new(big.Int).Mul(big.NewInt(l.Amount), big.NewInt(int64(c.Coupon.PercentOff))), big.NewInt(hundred)) {
				fail("line %d: discount %d is not %d × %s", i, l.Discount, l.Amount, c.Coupon.PercentOff)
			}
			taxable := l.Amount - l.Discount
			excl, incl := sums(cl.TaxRates)
			if !within(l.Tax, new(big.Int).Mul(big.NewInt(taxable), big.NewInt(excl)), big.NewInt(hundred)) {
				fail("line %d: tax %d on %d at %d", i, l.Tax, taxable, excl)
			}
			if !within(l.InclusiveTax, new(big.Int).Mul(big.NewInt(taxable), big.NewInt(incl)), big.NewInt(hundred+incl)) || l.InclusiveTax > taxable {
				fail("line %d: inclusive tax %d in %d at %d", i, l.InclusiveTax, taxable, incl)
			}
			discounts += l.Discount
			taxes += l.Tax
			incls += l.InclusiveTax
		}
		if discounts != got.Discount || taxes+got.ShippingTax != got.Tax {
			fail("lines add up to discount %d and tax %d, totals say %d and %d", discounts, taxes+got.ShippingTax, got.Discount, got.Tax)
		}
		if c.Shipping != nil {
			excl, _ := sums(c.ShippingTaxRates)
			if !within(got.ShippingTax, new(big.Int).Mul(big.NewInt(c.Shipping.Amount), big.NewInt(excl)), big.NewInt(hundred)) {
				fail("shipping tax %d on %d at %d", got.ShippingTax, c.Shipping.Amount, excl)
			}
		} else if got.Shipping != 0 || got.ShippingTax != 0 || got.InclusiveTax != incls {
			fail("no shipping, yet shipping %d tax %d", got.Shipping, got.ShippingTax)
		}
	}
}
