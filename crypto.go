package paylinks

import "time"

// EthRate is the price of one ether in a fiat currency, as a checkout
// session's crypto quote locks it. Price is an exact decimal string (fiat
// units per ETH, e.g. "3012.45"): money never passes through a float.
type EthRate struct {
	Currency string    // uppercase ISO 4217
	Price    string    // exact decimal, fiat units per 1 ETH
	Sources  []string  // the sources whose median this is, e.g. ["coinbase","kraken"]
	At       time.Time // when the rate was observed (the oldest source used)
	Fixed    bool      // a fixed test-mode rate set by a flag, not a market price
}
