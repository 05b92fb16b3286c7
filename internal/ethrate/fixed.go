package ethrate

import (
	"context"
	"fmt"
)

// FixedSource answers every currency with one fixed price. It is test
// mode's rate when no market source is configured (serve's
// --eth-test-rate): a rate made only of fixed sources has Fixed set, so the
// session shows it is not a market price. Live mode never uses it.
type FixedSource struct {
	price string
}

var _ Source = (*FixedSource)(nil)

// Fixed returns the source that always quotes price, an exact decimal
// such as "3000" or "2512.75" (positive, at most 18 decimals).
func Fixed(price string) (*FixedSource, error) {
	p, err := parsePrice(price)
	if err != nil {
		return nil, fmt.Errorf("fixed ETH rate: %w", err)
	}
	return &FixedSource{price: exactString(p)}, nil
}

// Name is "fixed".
func (*FixedSource) Name() string { return "fixed" }

// Quote returns the fixed price, observed now.
func (f *FixedSource) Quote(context.Context, string) (Quote, error) {
	return Quote{Price: f.price}, nil
}
