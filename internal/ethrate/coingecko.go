package ethrate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultCoinGeckoURL is the base URL of CoinGecko's public API.
const DefaultCoinGeckoURL = "https://api.coingecko.com"

// CoinGecko reads CoinGecko's simple price,
// GET /api/v3/simple/price?ids=ethereum&vs_currencies=usd&include_last_updated_at=true&precision=full,
// documented as {"ethereum":{"usd":3012.45,"last_updated_at":1733370000}}.
// The price is a JSON number: it is decoded as json.Number and kept an
// exact decimal, never a float64. last_updated_at (Unix seconds) is the
// quote's time, so the feed's staleness bound applies to CoinGecko's own
// observation, not to when its cache was read.
type CoinGecko struct {
	BaseURL string       // empty: DefaultCoinGeckoURL
	Client  *http.Client // nil: http.DefaultClient
}

var _ Source = (*CoinGecko)(nil)

// Name is "coingecko".
func (*CoinGecko) Name() string { return "coingecko" }

// Quote asks for the price of ETH in currency.
func (g *CoinGecko) Quote(ctx context.Context, currency string) (Quote, error) {
	vs := strings.ToLower(currency)
	q := url.Values{"ids": {"ethereum"}, "vs_currencies": {vs}, "include_last_updated_at": {"true"}, "precision": {"full"}}
	u := baseURL(g.BaseURL, DefaultCoinGeckoURL) + "/api/v3/simple/price?" + q.Encode()
	var ans map[string]map[string]json.Number
	if err := getJSON(ctx, g.Client, u, &ans, coingeckoError); err != nil {
		return Quote{}, err
	}
	eth, ok := ans["ethereum"]
	if !ok {
		return Quote{}, fmt.Errorf("answer has no ethereum price")
	}
	price, ok := eth[vs]
	if !ok {
		return Quote{}, fmt.Errorf("answer has no ethereum price in %s", vs)
	}
	p, err := parsePrice(price.String())
	if err != nil {
		return Quote{}, err
	}
	quote := Quote{Price: exactString(p)}
	if ts, ok := eth["last_updated_at"]; ok {
		sec, err := ts.Int64()
		if err != nil || sec <= 0 {
			return Quote{}, fmt.Errorf("malformed last_updated_at %q", truncate(ts.String()))
		}
		quote.At = time.Unix(sec, 0).UTC()
	}
	return quote, nil
}

// coingeckoError is the message of CoinGecko's error body,
// {"status":{"error_code":429,"error_message":"…"}} or {"error":"…"}.
func coingeckoError(body []byte) string {
	var e struct {
		Status struct {
			Message string `json:"error_message"`
		} `json:"status"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Status.Message != "" {
		return truncate(e.Status.Message)
	}
	return truncate(e.Error)
}
