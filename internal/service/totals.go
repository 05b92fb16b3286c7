package service

import (
	"math"
	"math/big"
	"sort"

	"github.com/paylinks/paylinks"
)

// Cart totals. One function, Totals, computes every amount a cart shows
// and charges; the hosted page, the API and the charge all take its
// numbers, never a number a browser sent.
//
// The rules, in minor units of the cart's one currency (a yen, a cent, a
// fils: the currency's exponent never enters the arithmetic, which is all
// on integers, with exact intermediate products):
//
//  1. A line's amount is unit_amount × quantity, exactly.
//  2. Discount. A percent_off coupon takes round(amount × percent) from each
//     line. An amount_off coupon takes min(amount_off, subtotal) from the
//     cart, shared among the lines in proportion to their amounts: each
//     line gets the floor of its exact share, and the few minor units left
//     go one each to the lines with the largest remainders (the earlier
//     line on a tie), so the shares add up to the discount exactly.
//  3. Tax, per line, on the line's amount after its discount share. The
//     line's exclusive rates (inclusive false) add round(taxable × Σ their
//     percentages) on top; its inclusive rates are already inside the
//     amount, and the tax they include is round(taxable × Σp / (100 % + Σp)).
//     Shipping is taxed the same way by the rates given for it.
//  4. round is half away from zero (half up: every value here is ≥ 0), and
//     it is applied once per line (and once for shipping): never per
//     rate, never on sums.
//  5. total = subtotal − discount + shipping + exclusive tax. Inclusive tax
//     is shown as included and adds nothing. The discount is never more
//     than the subtotal, so the total is never negative.
//
// A rate's inclusive flag decides how it applies; the tax_behavior of
// prices and shipping rates is kept for automatic tax, which is not built
// yet.

// CartLine is one line of a cart: a unit amount, a quantity, and the tax
// rates that apply to it.
type CartLine struct {
	UnitAmount int64
	Quantity   int64
	TaxRates   []paylinks.TaxRate
}

// Cart is what Totals prices: lines in Currency, at most one coupon, and
// an optional shipping rate with the tax rates that apply to shipping.
type Cart struct {
	Currency         string
	Lines            []CartLine
	Coupon           *paylinks.Coupon
	Shipping         *paylinks.ShippingRate
	ShippingTaxRates []paylinks.TaxRate
}

// LineTotals are one line's amounts.
type LineTotals struct {
	Amount       int64 // unit_amount × quantity
	Discount     int64 // its share of the discount
	Tax          int64 // exclusive tax added
	InclusiveTax int64 // tax included in Amount − Discount
	Total        int64 // Amount − Discount + Tax
}

// CartTotals are a cart's amounts, in minor units of Currency.
type CartTotals struct {
	Currency     string
	Lines        []LineTotals
	Subtotal     int64 // Σ line amounts
	Discount     int64
	Shipping     int64
	ShippingTax  int64 // exclusive tax on shipping (part of Tax)
	Tax          int64 // exclusive tax added, lines and shipping
	InclusiveTax int64 // tax included in the amounts, lines and shipping
	Total        int64 // Subtotal − Discount + Shipping + Tax
}

// maxCartAmount bounds every amount Totals computes, far below overflow.
const maxCartAmount = math.MaxInt64 / 4

// Totals computes a cart's amounts by the rules above. A cart with no line,
// a negative amount or quantity, an amount_off coupon or shipping in
// another currency, or amounts too large to add is refused (KindInvalid).
func Totals(c Cart) (*CartTotals, error) {
	cur, ok := currencyCode(c.Currency)
	if !ok {
		return nil, paylinks.Invalid("invalid_currency", "currency", "currency %q is not a currency code", c.Currency)
	}
	if len(c.Lines) == 0 {
		return nil, paylinks.Invalid("parameter_missing", "line_items", "a cart needs at least one line")
	}
	t := &CartTotals{Currency: cur, Lines: make([]LineTotals, len(c.Lines))}
	for i, l := range c.Lines {
		if l.UnitAmount < 0 || l.Quantity < 1 {
			return nil, paylinks.Invalid("parameter_invalid", "line_items", "line %d needs a unit amount of 0 or more and a quantity of 1 or more", i+1)
		}
		amount, ok := mulChecked(l.UnitAmount, l.Quantity)
		if !ok || t.Subtotal > maxCartAmount-amount {
			return nil, paylinks.Invalid("invalid_amount", "line_items", "the cart's amounts are too large")
		}
		t.Lines[i].Amount = amount
		t.Subtotal += amount
	}
	if err := discount(c.Coupon, cur, t); err != nil {
		return nil, err
	}
	for i, l := range c.Lines {
		lt := &t.Lines[i]
		lt.Tax, lt.InclusiveTax = lineTax(lt.Amount-lt.Discount, l.TaxRates)
		lt.Total = lt.Amount - lt.Discount + lt.Tax
		t.Discount += lt.Discount
		t.Tax += lt.Tax
		t.InclusiveTax += lt.InclusiveTax
	}
	if s := c.Shipping; s != nil {
		if s.Currency != cur {
			return nil, paylinks.Invalid("currency_mismatch", "shipping_options", "the shipping rate is in %s, the cart in %s", s.Currency, cur)
		}
		if s.Amount < 0 || s.Amount > maxCartAmount {
			return nil, paylinks.Invalid("invalid_amount", "shipping_options", "the shipping amount is out of range")
		}
		t.Shipping = s.Amount
		var incl int64
		t.ShippingTax, incl = lineTax(s.Amount, c.ShippingTaxRates)
		t.Tax += t.ShippingTax
		t.InclusiveTax += incl
	}
	t.Total = t.Subtotal - t.Discount + t.Shipping + t.Tax
	if t.Tax > maxCartAmount || t.Total > maxCartAmount {
		return nil, paylinks.Invalid("invalid_amount", "line_items", "the cart's amounts are too large")
	}
	return t, nil
}

// currencyCode uppercases a three-letter code without requiring it to be
// one paylinks charges in (totals are arithmetic; charging checks limits).
func currencyCode(s string) (string, bool) {
	if len(s) != 3 {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		} else if c < 'A' || c > 'Z' {
			return "", false
		}
	}
	return string(b), true
}

func mulChecked(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > maxCartAmount/b {
		return 0, false
	}
	return a * b, true
}

// discount fills each line's Discount (rule 2).
func discount(c *paylinks.Coupon, cur string, t *CartTotals) error {
	switch {
	case c == nil:
		return nil
	case c.PercentOff > 0:
		for i := range t.Lines {
			t.Lines[i].Discount = mulDivRound(t.Lines[i].Amount, int64(c.PercentOff), int64(paylinks.OneHundredPercent))
		}
		return nil
	case c.AmountOff > 0:
		if c.Currency != cur {
			return paylinks.Invalid("currency_mismatch", "discounts", "the coupon is in %s, the cart in %s", c.Currency, cur)
		}
	default:
		return nil
	}
	if t.Subtotal == 0 {
		return nil
	}
	total := min(c.AmountOff, t.Subtotal)
	type rem struct {
		i int
		r *big.Int
	}
	rems := make([]rem, len(t.Lines))
	var given int64
	sub := big.NewInt(t.Subtotal)
	for i := range t.Lines {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(t.Lines[i].Amount)), sub, new(big.Int))
		t.Lines[i].Discount = q.Int64()
		given += q.Int64()
		rems[i] = rem{i, r}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r.Cmp(rems[b].r) > 0 })
	for k := int64(0); k < total-given; k++ {
		t.Lines[rems[k].i].Discount++
	}
	return nil
}

// lineTax is rule 3 for one taxable amount: the exclusive tax added and the
// inclusive tax included, each rounded once.
func lineTax(taxable int64, rates []paylinks.TaxRate) (exclusive, inclusive int64) {
	var excl, incl int64
	for _, r := range rates {
		if r.Inclusive {
			incl += int64(r.Percentage)
		} else {
			excl += int64(r.Percentage)
		}
	}
	if excl > 0 {
		exclusive = mulDivRound(taxable, excl, int64(paylinks.OneHundredPercent))
	}
	if incl > 0 {
		inclusive = mulDivRound(taxable, incl, int64(paylinks.OneHundredPercent)+incl)
	}
	return exclusive, inclusive
}

// mulDivRound returns a × b / d rounded half up, for a, b ≥ 0 and d > 0,
// computed exactly.
func mulDivRound(a, b, d int64) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	n.Mul(n, big.NewInt(2))
	n.Add(n, big.NewInt(d))
	n.Quo(n, new(big.Int).Mul(big.NewInt(d), big.NewInt(2)))
	return n.Int64()
}
