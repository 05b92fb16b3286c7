package ethrate

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// PriceDecimals is the number of decimals an EthRate's Price is rounded to.
//
// The rule: the feed's price is the median of the fresh sources' prices,
// computed exactly (math/big.Rat); with an even count it is the exact mean
// of the two middle prices. That value is then rounded half up (prices are
// positive, so half away from zero) to PriceDecimals decimals, and written
// without trailing fractional zeros: "3012.45", "3000", "2999.99999999".
// Eight decimals are far finer than any fiat minor unit (KWD has 3), so the
// rounding never changes a quote by a whole minor unit.
const PriceDecimals = 8

// maxSourceDecimals is the most fractional digits a source's price may
// carry (CoinGecko's precision=full gives up to 18); more is malformed.
const maxSourceDecimals = 18

// maxPrice bounds a sane price: one ether is worth less than 10^12 units
// of any fiat currency the feed quotes. Above it an answer is malformed.
var maxPrice = new(big.Rat).SetInt64(1_000_000_000_000)

var (
	// plainDecimal is a price as exchanges write it in strings.
	plainDecimal = regexp.MustCompile(`^[0-9]{1,13}(\.[0-9]{1,18})?$`)
	// jsonDecimal is a price as a JSON number may carry it (CoinGecko),
	// with a short exponent: big.Rat would otherwise work on 10^huge.
	jsonDecimal = regexp.MustCompile(`^[0-9]{1,30}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,2})?$`)
)

var pow10Source = new(big.Int).Exp(big.NewInt(10), big.NewInt(maxSourceDecimals), nil)
var pow10Price = new(big.Int).Exp(big.NewInt(10), big.NewInt(PriceDecimals), nil)

// parsePrice parses a source's price exactly: a decimal string or a JSON
// number's text, positive, below maxPrice, with at most 18 decimals.
func parsePrice(s string) (*big.Rat, error) {
	if !plainDecimal.MatchString(s) && !jsonDecimal.MatchString(s) {
		return nil, fmt.Errorf("price %q is not a decimal number", truncate(s))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("price %q is not a decimal number", truncate(s))
	}
	if err := checkPrice(r, s); err != nil {
		return nil, err
	}
	return r, nil
}

// checkPrice checks that r, written s, is a sane price: positive, below
// maxPrice, with at most 18 decimals.
func checkPrice(r *big.Rat, s string) error {
	if r.Sign() <= 0 {
		return fmt.Errorf("price %q is not positive", s)
	}
	if r.Cmp(maxPrice) >= 0 {
		return fmt.Errorf("price %q is not a sane ETH price (10^12 or more)", s)
	}
	if !new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10Source)).IsInt() {
		return fmt.Errorf("price %q has more than %d decimals", s, maxSourceDecimals)
	}
	return nil
}

// formatPrice rounds r half up to PriceDecimals decimals and writes it
// without trailing fractional zeros (see PriceDecimals).
func formatPrice(r *big.Rat) string {
	scaled := new(big.Int).Mul(r.Num(), pow10Price)
	q, rem := new(big.Int).QuoRem(scaled, r.Denom(), new(big.Int))
	if rem.Lsh(rem, 1).CmpAbs(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	digits := q.String()
	if len(digits) <= PriceDecimals {
		digits = strings.Repeat("0", PriceDecimals-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-PriceDecimals], strings.TrimRight(digits[len(digits)-PriceDecimals:], "0")
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// median is the median of prices (at least one): the middle one, or the
// exact mean of the two middle ones when their count is even.
func median(prices []*big.Rat) (*big.Rat, error) {
	if len(prices) == 0 {
		return nil, errors.New("median of no prices")
	}
	sorted := slices.Clone(prices)
	slices.SortFunc(sorted, func(a, b *big.Rat) int { return a.Cmp(b) })
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return new(big.Rat).Set(sorted[mid]), nil
	}
	sum := new(big.Rat).Add(sorted[mid-1], sorted[mid])
	return sum.Quo(sum, big.NewRat(2, 1)), nil
}

// truncate shortens what a provider sent for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// exactString writes a parsed source price exactly, as a plain decimal
// without trailing fractional zeros.
func exactString(r *big.Rat) string {
	s := r.FloatString(maxSourceDecimals)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
