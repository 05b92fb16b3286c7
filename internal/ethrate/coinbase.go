package ethrate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultCoinbaseURL is the base URL of Coinbase's public price API.
const DefaultCoinbaseURL = "https://api.coinbase.com"

// Coinbase reads Coinbase's spot price, GET /v2/prices/ETH-{CUR}/spot,
// documented as {"data":{"amount":"3012.45","base":"ETH","currency":"USD"}}.
// It gives no time: the feed uses the time it fetched the price.
type Coinbase struct {
	BaseURL string       // empty: DefaultCoinbaseURL
	Client  *http.Client // nil: http.DefaultClient
}

var _ Source = (*Coinbase)(nil)

// Name is "coinbase".
func (*Coinbase) Name() string { return "coinbase" }

// Quote asks for the spot price of ETH in currency.
func (c *Coinbase) Quote(ctx context.Context, currency string) (Quote, error) {
	u := baseURL(c.BaseURL, DefaultCoinbaseURL) + "/v2/prices/" + url.PathEscape("ETH-"+currency) + "/spot"
	var ans struct {
		Data *struct {
			Amount   string `json:"amount"`
			Base     string `json:"base"`
			Currency string `json:"currency"`
		} `json:"data"`
	}
	if err := getJSON(ctx, c.Client, u, &ans, coinbaseError); err != nil {
		return Quote{}, err
	}
	if ans.Data == nil {
		return Quote{}, fmt.Errorf("malformed answer: no data")
	}
	if ans.Data.Base != "ETH" || !strings.EqualFold(ans.Data.Currency, currency) {
		return Quote{}, fmt.Errorf("answer is for %q-%q, want ETH-%s", truncate(ans.Data.Base), truncate(ans.Data.Currency), currency)
	}
	p, err := parsePrice(ans.Data.Amount)
	if err != nil {
		return Quote{}, err
	}
	return Quote{Price: exactString(p)}, nil
}

// coinbaseError is the message of Coinbase's error body,
// {"errors":[{"id":"not_found","message":"Invalid currency"}]}.
func coinbaseError(body []byte) string {
	var e struct {
		Errors []struct {
			ID      string `json:"id"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return truncate(e.Errors[0].ID + ": " + e.Errors[0].Message)
}
