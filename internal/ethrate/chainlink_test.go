package ethrate

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/sha3"
)

func TestChainlinkSelectors(t *testing.T) {
	for sig, want := range map[string]string{"latestRoundData()": selectorLatestRoundData, "decimals()": selectorDecimals} {
		h := sha3.NewLegacyKeccak256()
		h.Write([]byte(sig))
		if got := "0x" + hex.EncodeToString(h.Sum(nil)[:4]); got != want {
			t.Errorf("selector of %s = %s, want %s", sig, got, want)
		}
	}
}

// aggregator is a local Ethereum JSON-RPC node answering eth_call on one
// Chainlink aggregator address, ABI-encoded as the contract returns.
type aggregator struct {
	mu        sync.Mutex
	address   string
	decimals  int64
	roundID   int64
	answer    *big.Int // may be negative: encoded in two's complement
	updatedAt int64
	answered  int64
	revert    bool
	url       string
}

func word(x *big.Int) string {
	if x.Sign() < 0 {
		x = new(big.Int).Add(x, new(big.Int).Lsh(big.NewInt(1), 256))
	}
	return fmt.Sprintf("%064x", x)
}

func newAggregator(t *testing.T) *aggregator {
	a := &aggregator{address: "0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419", decimals: 8, roundID: 1106804644422573200,
		answer: big.NewInt(301245000000), answered: 1106804644422573200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.Method != "eth_call" || len(req.Params) != 2 {
			http.Error(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}`, http.StatusBadRequest)
			return
		}
		var call struct{ To, Data string }
		json.Unmarshal(req.Params[0], &call)
		a.mu.Lock()
		defer a.mu.Unlock()
		reply := func(result string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x%s"}`, req.ID, result)
		}
		switch {
		case a.revert:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"execution reverted"}}`, req.ID)
		case !strings.EqualFold(call.To, a.address):
			reply("") // no contract there: an empty result
		case call.Data == selectorDecimals:
			reply(word(big.NewInt(a.decimals)))
		case call.Data == selectorLatestRoundData:
			reply(word(big.NewInt(a.roundID)) + word(a.answer) + word(big.NewInt(a.updatedAt-12)) +
				word(big.NewInt(a.updatedAt)) + word(big.NewInt(a.answered)))
		default:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"execution reverted"}}`, req.ID)
		}
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *aggregator) set(f func(a *aggregator)) {
	a.mu.Lock()
	f(a)
	a.mu.Unlock()
}

func TestChainlink(t *testing.T) {
	clk := newClock()
	a := newAggregator(t)
	a.set(func(a *aggregator) { a.updatedAt = clk.Now().Add(-40 * time.Minute).Unix() })
	src := &Chainlink{RPCURL: a.url}
	q, err := src.Quote(context.Background(), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if q.Price != "3012.45" || !q.At.Equal(clk.Now().Add(-40*time.Minute)) || q.MaxAge != DefaultChainlinkMaxAge {
		t.Errorf("quote %+v, want 3012.45 at updatedAt with the heartbeat's max age", q)
	}

	// In a feed, the 40-minute-old answer is fresh (the heartbeat is 1h)
	// although the feed's own max age is 2 minutes.
	f, err := NewFeed([]Source{src}, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := mustRate(t, f, "USD")
	if r.Price != "3012.45" || r.Sources[0] != "chainlink" {
		t.Errorf("rate %+v", r)
	}
	// Another currency is not this feed's.
	if _, err := f.Rate(context.Background(), "EUR"); !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "ETH/USD, not ETH/EUR") {
		t.Errorf("EUR: %v, want ErrNoRate naming the feed's pair", err)
	}

	for _, tc := range []struct {
		name string
		edit func(a *aggregator)
		want string
	}{
		{"past the heartbeat", func(a *aggregator) { a.updatedAt = clk.Now().Add(-2 * time.Hour).Unix() }, "stale: observed 2h0m0s ago, max age 1h5m0s"},
		{"negative answer", func(a *aggregator) { a.answer = big.NewInt(-5) }, "answer is not positive"},
		{"zero answer", func(a *aggregator) { a.answer = big.NewInt(0) }, "answer is not positive"},
		{"incomplete round", func(a *aggregator) { a.updatedAt = 0 }, "not complete"},
		{"carried answer", func(a *aggregator) { a.answered = a.roundID - 1 }, "carried from round"},
		{"reverted", func(a *aggregator) { a.revert = true }, "node error -32000: execution reverted"},
		{"not an aggregator", func(a *aggregator) { a.address = "0x0000000000000000000000000000000000000001" }, "result of 0 bytes"},
		{"too many decimals", func(a *aggregator) { a.decimals = 30 }, "more than 18"},
		{"insane answer", func(a *aggregator) { a.answer = new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil) }, "not a sane"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAggregator(t)
			a.set(func(a *aggregator) { a.updatedAt = clk.Now().Add(-time.Minute).Unix() })
			a.set(tc.edit)
			f, err := NewFeed([]Source{&Chainlink{RPCURL: a.url}}, Config{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.Rate(context.Background(), "USD")
			if !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Rate = %+v, %v; want ErrNoRate containing %q", r, err, tc.want)
			}
		})
	}
}

// TestFeedCacheEndsWithTheOracleHeartbeat: a rate made of a Chainlink
// answer 64 minutes old is cached for one minute, not the TTL's 30 s
// beyond its max age.
func TestFeedCacheEndsWithTheOracleHeartbeat(t *testing.T) {
	clk := newClock()
	a := newAggregator(t)
	a.set(func(a *aggregator) { a.updatedAt = clk.Now().Add(-64*time.Minute - 50*time.Second).Unix() })
	f, err := NewFeed([]Source{&Chainlink{RPCURL: a.url}}, Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustRate(t, f, "USD")
	clk.Add(5 * time.Second)
	mustRate(t, f, "USD") // cached: 64m55s old
	clk.Add(10 * time.Second)
	if r, err := f.Rate(context.Background(), "USD"); !errors.Is(err, ErrNoRate) {
		t.Errorf("past the heartbeat, within the TTL: %+v, %v; want ErrNoRate", r, err)
	}
}

// TestNewChainlink: New builds the chainlink source on the configured node
// and feed address, in the median with the exchanges.
func TestNewChainlink(t *testing.T) {
	clk := newClock()
	a := newAggregator(t)
	a.set(func(a *aggregator) {
		a.address = "0x00000000000000000000000000000000000000aa"
		a.updatedAt = clk.Now().Add(-10 * time.Minute).Unix()
	})
	m := newMarket(t, clk)
	m.set("kraken", "3000")
	cfg := m.config(clk, "kraken", "chainlink")
	cfg.URLs["chainlink"] = a.url
	cfg.ChainlinkFeed = "0x00000000000000000000000000000000000000AA"
	r := mustRate(t, mustNew(t, cfg), "USD")
	if r.Price != "3006.225" || r.Sources[1] != "chainlink" || !r.At.Equal(clk.Now().Add(-10*time.Minute)) {
		t.Errorf("rate %+v, want the mean of 3000 and 3012.45 observed 10 minutes ago", r)
	}
}

// TestNodeURLStaysOutOfErrors: a node's URL often holds an API key, and
// ErrNoRate's reasons are logged.
func TestNodeURLStaysOutOfErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	rpc := srv.URL + "/v3/SECRETKEY?apikey=SECRETKEY"
	srv.Close() // nothing listens there now
	f := mustNew(t, Config{Sources: []string{"chainlink"}, URLs: map[string]string{"chainlink": rpc}})
	_, err := f.Rate(context.Background(), "USD")
	if !errors.Is(err, ErrNoRate) || strings.Contains(err.Error(), "SECRETKEY") || !strings.Contains(err.Error(), "chainlink: decimals(): Post:") {
		t.Errorf("Rate: %v, want ErrNoRate naming the call without the node's URL", err)
	}
}
