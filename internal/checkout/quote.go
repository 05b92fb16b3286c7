package checkout

import (
	"strconv"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/payments"
	"github.com/paylinks/paylinks/internal/service"
)

// The checkout form carries the price it showed: its token field is the
// page's quote, "<amount>.<currency>.<version>" (the amount "any" when the
// payer chooses it, the version the link's UpdatedAt in Unix microseconds
// in base 36), then "." and the CSRF token, an HMAC with the server secret
// of the cookie, the page and the quote. A quote cannot be changed without
// the token failing, and a token without one fails too. The service
// compares the quote with the price when the payer pays (service.Quote);
// keeping it in the token field means every client that posts the form
// back as it came carries it.

// quoteText is q as the form carries it. Every view of a page writes its
// quote, so the texts are cached (a link's quote changes only with it).
func quoteText(q service.Quote) string {
	if s, ok := quoteTexts.get(q); ok {
		return s
	}
	amount := "any"
	if !q.PayerChooses() {
		amount = strconv.FormatInt(q.Amount, 10)
	}
	s := amount + "." + q.Currency + "." + strconv.FormatInt(q.Version, 36)
	quoteTexts.put(q, s)
	return s
}

var quoteTexts = newBoundedMap[service.Quote, string](4096)

// parseQuote reads a quoteText.
func parseQuote(s string) (service.Quote, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return service.Quote{}, false
	}
	var q service.Quote
	if parts[0] != "any" {
		n, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil || n <= 0 {
			return service.Quote{}, false
		}
		q.Amount = n
	}
	if _, ok := paylinks.CurrencyLimits[parts[1]]; !ok {
		return service.Quote{}, false
	}
	q.Currency = parts[1]
	v, err := strconv.ParseInt(parts[2], 36, 64)
	if err != nil {
		return service.Quote{}, false
	}
	q.Version = v
	return q, true
}

// priceChanged reports whether the service refused a payment because the
// price is no longer the one the page showed.
func priceChanged(err error) bool {
	e := paylinks.AsError(err)
	return e != nil && e.Code == service.CodePriceChanged
}

// priceNotice tells the payer that the price of the page's purchase (what:
// "link" or "checkout") changed from shown to now, in the payer's locale
// lang, and that nothing was charged.
func priceNotice(what string, shown, now service.Quote, lang string) *formError {
	price := func(q service.Quote) string { return FormatAmount(q.Amount, q.Currency, lang) }
	var msg string
	switch {
	case !shown.PayerChooses() && !now.PayerChooses():
		msg = "The price of this " + what + " changed from " + price(shown) + " to " + price(now) + ". Check the new price and pay again."
	case !shown.PayerChooses():
		msg = "The price of this " + what + " changed from " + price(shown) + " to an amount you choose in " + now.Currency +
			". Enter the amount and pay again."
	case !now.PayerChooses():
		msg = "The price of this " + what + " changed: you no longer choose the amount, it is now " + price(now) +
			". Check the new price and pay again."
	default:
		msg = "The currency of this " + what + " changed from " + shown.Currency + " to " + now.Currency +
			". Enter the amount in " + now.Currency + " and pay again."
	}
	return &formError{Title: "The price has changed", Message: msg + " Nothing was charged.", Notice: true}
}

// forPrice returns the values to show again when the price changed from
// shown to now: the payer's amount only if the payer still chooses it in
// the same currency.
func (f formValues) forPrice(shown, now service.Quote) formValues {
	if !now.PayerChooses() || shown.Currency != now.Currency {
		f.Amount = ""
	}
	return f
}

// brandName is the brand of a card number's digits as the page names it
// to the payer, "" when the page shows no brand for it.
func brandName(digits string) string {
	switch b := payments.Brand(digits); b {
	case payments.BrandMastercard:
		return "Mastercard"
	case payments.BrandVisa, payments.BrandAmex, payments.BrandJCB:
		return b
	}
	return ""
}
