package service

import (
	"fmt"

	"github.com/paylinks/paylinks"
)

// Quote is the price a hosted checkout page showed the payer: the amount in
// minor units (0: the payer chooses it), the currency, and the version of
// the link it was read from. The page's form carries it back, signed by
// internal/checkout so that the payer cannot change it, and the payment is
// refused, before anything is claimed or charged, when the price is no
// longer the one the payer saw.
type Quote struct {
	Amount   int64
	Currency string
	// Version is the link's UpdatedAt in Unix microseconds when the page
	// was shown; 0 for a session, whose price never changes.
	Version int64
}

// PayerChooses reports whether the page asked the payer for the amount.
func (q Quote) PayerChooses() bool { return q.Amount == 0 }

// LinkQuote is the quote of link l's hosted page as it shows l now.
func LinkQuote(l *paylinks.Link) Quote {
	return Quote{Amount: l.Amount, Currency: l.Currency, Version: l.UpdatedAt.UnixMicro()}
}

// SessionQuote is the quote of a checkout session's hosted page. A
// session's price is fixed when it is made (a later change of its link does
// not reach it), so its quote has no version.
func SessionQuote(s *paylinks.CheckoutSession) Quote {
	return Quote{Amount: s.Amount, Currency: s.Currency}
}

// CodePriceChanged is the code of the KindConflict error of a payment
// whose page showed another price than the one it would be charged.
const CodePriceChanged = "price_changed"

// checkQuote refuses a payment whose page showed q when the price is now
// amount in currency (amount 0: the payer chooses). Only the price
// counts: the amount, the currency, and whether the payer chooses the
// amount. A version that changed with the same price (the merchant edited
// the title or the description, or changed the price and back) is
// accepted, since the payer is charged exactly what the page showed. A nil
// q is a payment made without a page (the API, tests): nothing to check.
func checkQuote(q *Quote, amount int64, currency string) error {
	if q == nil || (q.Amount == amount && q.Currency == currency) {
		return nil
	}
	return &paylinks.Error{Kind: paylinks.KindConflict, Code: CodePriceChanged, Param: "quote",
		Message: fmt.Sprintf("the price changed from %s to %s since the page was shown; nothing was charged",
			quotePrice(q.Amount, q.Currency), quotePrice(amount, currency))}
}

func quotePrice(amount int64, currency string) string {
	if amount == 0 {
		return "an amount the payer chooses in " + currency
	}
	return paylinks.FormatDecimal(amount, currency) + " " + currency
}
