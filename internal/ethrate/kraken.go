package ethrate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultKrakenURL is the base URL of Kraken's public REST API.
const DefaultKrakenURL = "https://api.kraken.com"

// Kraken reads the last trade price of Kraken's public Ticker,
// GET /0/public/Ticker?pair=ETH{CUR}, documented as
// {"error":[],"result":{"XETHZUSD":{"a":[…],"b":[…],"c":["<price>","<lot volume>"],…}}}.
// Kraken answers errors with HTTP 200 and a non-empty "error" array
// (e.g. "EQuery:Unknown asset pair"), which is this source's error. The
// result is keyed by Kraken's own pair name: XETHZUSD, XETHZEUR, … for the
// old fiat pairs, ETHCHF-style for newer ones; either is accepted, nothing
// else. It gives no time: the feed uses the time it fetched the price.
type Kraken struct {
	BaseURL string       // empty: DefaultKrakenURL
	Client  *http.Client // nil: http.DefaultClient
}

var _ Source = (*Kraken)(nil)

// Name is "kraken".
func (*Kraken) Name() string { return "kraken" }

// Quote asks for the last trade price of ETH in currency.
func (k *Kraken) Quote(ctx context.Context, currency string) (Quote, error) {
	u := baseURL(k.BaseURL, DefaultKrakenURL) + "/0/public/Ticker?pair=" + url.QueryEscape("ETH"+currency)
	var ans struct {
		Error  *[]string `json:"error"`
		Result map[string]struct {
			C []string `json:"c"`
		} `json:"result"`
	}
	if err := getJSON(ctx, k.Client, u, &ans, krakenError); err != nil {
		return Quote{}, err
	}
	if ans.Error == nil {
		return Quote{}, fmt.Errorf("malformed answer: no error array")
	}
	if len(*ans.Error) > 0 {
		return Quote{}, fmt.Errorf("kraken error: %s", truncate(strings.Join(*ans.Error, ", ")))
	}
	ticker, ok := ans.Result["XETHZ"+currency]
	if !ok {
		ticker, ok = ans.Result["ETH"+currency]
	}
	if !ok {
		return Quote{}, fmt.Errorf("answer has no XETHZ%s or ETH%s ticker", currency, currency)
	}
	if len(ticker.C) == 0 {
		return Quote{}, fmt.Errorf("malformed answer: no last trade price (c)")
	}
	p, err := parsePrice(ticker.C[0])
	if err != nil {
		return Quote{}, err
	}
	return Quote{Price: exactString(p)}, nil
}

// krakenError is the message of a Kraken body with a non-200 status.
func krakenError(body []byte) string {
	var e struct {
		Error []string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return truncate(strings.Join(e.Error, ", "))
}
