package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/ethrate"
)

func TestEthRateFlags(t *testing.T) {
	env := map[string]string{"PAYLINKS_ETH_RATE_SOURCES": "coinbase", "PAYLINKS_ETH_RATE_TIMEOUT": "750ms",
		"PAYLINKS_ETH_RATE_URL_COINGECKO": "http://127.0.0.1:1/gecko", "PAYLINKS_ETH_RATE_CHAINLINK_FEED": "0x00000000000000000000000000000000000000aa"}
	fs := flagSet("serve", io.Discard)
	f := addEthRateFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--eth-rate-sources", " Kraken, coingecko ,", "--eth-rate-url-kraken", "http://127.0.0.1:2",
		"--eth-rate-ttl", "10s", "--eth-rate-max-age", "1m", "--eth-test-rate", "3000.5"}); err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	if !slices.Equal(cfg.Sources, []string{"kraken", "coingecko"}) {
		t.Errorf("sources %q, want kraken, coingecko (the flag wins over the env)", cfg.Sources)
	}
	if len(cfg.URLs) != 2 || cfg.URLs["kraken"] != "http://127.0.0.1:2" || cfg.URLs["coingecko"] != "http://127.0.0.1:1/gecko" {
		t.Errorf("URLs %v, want kraken's flag and coingecko's env", cfg.URLs)
	}
	if cfg.TTL != 10*time.Second || cfg.MaxAge != time.Minute || cfg.Timeout != 750*time.Millisecond || cfg.TestRate != "3000.5" ||
		cfg.ChainlinkFeed != "0x00000000000000000000000000000000000000aa" {
		t.Errorf("config %+v", cfg)
	}

	// No flag, no env: the package's defaults, no source.
	fs = flagSet("serve", io.Discard)
	f = addEthRateFlags(fs, func(string) string { return "" })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg = f.config()
	if len(cfg.Sources) != 0 || len(cfg.URLs) != 0 || cfg.TTL != ethrate.DefaultTTL || cfg.MaxAge != ethrate.DefaultMaxAge ||
		cfg.Timeout != ethrate.DefaultTimeout || cfg.TestRate != "" || cfg.ChainlinkFeed != "" {
		t.Errorf("default config %+v", cfg)
	}
}

// TestEthRateFlagsMakeAWorkingFeed follows the flags to a price: a Kraken
// ticker served locally, named by --eth-rate-url-kraken.
func TestEthRateFlagsMakeAWorkingFeed(t *testing.T) {
	kraken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/0/public/Ticker" || r.URL.Query().Get("pair") != "ETHUSD" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"error":[],"result":{"XETHZUSD":{"c":["3012.45000","0.5"]}}}`)
	}))
	defer kraken.Close()
	fs := flagSet("serve", io.Discard)
	f := addEthRateFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--eth-rate-sources", "kraken", "--eth-rate-url-kraken", kraken.URL, "--eth-test-rate", "1"}); err != nil {
		t.Fatal(err)
	}
	feed, err := f.feed()
	if err != nil {
		t.Fatal(err)
	}
	r, err := feed.Rate(context.Background(), "USD")
	if err != nil || r.Price != "3012.45" || !slices.Equal(r.Sources, []string{"kraken"}) || r.Fixed {
		t.Errorf("Rate = %+v, %v; want 3012.45 from kraken", r, err)
	}
}

func TestServeRejectsBadEthRateFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--eth-rate-sources", "coinbase,binance"}, `unknown source "binance"`},
		{[]string{"--eth-rate-sources", "kraken,kraken"}, `"kraken" named twice`},
		{[]string{"--eth-rate-url-kraken", "api.kraken.example"}, "URL of kraken"},
		{[]string{"--eth-rate-ttl", "5m"}, "TTL 5m0s must be shorter than max age 2m0s"},
		{[]string{"--eth-rate-timeout", "-1s"}, "timeout -1s is negative"},
		{[]string{"--eth-test-rate", "3,000"}, "test rate"},
		{[]string{"--eth-rate-sources", "chainlink"}, "needs the Ethereum node's JSON-RPC URL"},
		{[]string{"--eth-rate-chainlink-feed", "0xabc"}, "not a 0x-prefixed 20-byte address"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--eth-") {
			t.Errorf("%q: %v, want an error naming the flags and containing %q", tc.args, err, tc.want)
		}
	}
}

func TestServeHelpListsEthRateFlags(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"help", "serve"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-eth-rate-sources", "-eth-rate-url-coinbase", "-eth-rate-url-kraken", "-eth-rate-url-coingecko", "-eth-rate-url-chainlink", "-eth-rate-chainlink-feed",
		"-eth-rate-ttl", "-eth-rate-max-age", "-eth-rate-timeout", "-eth-test-rate", "PAYLINKS_ETH_TEST_RATE", "ETH rates (crypto checkout)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve help lacks %q", want)
		}
	}
}
