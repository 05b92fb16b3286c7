package ethrate

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// DefaultChainlinkFeed is the address of Chainlink's ETH/USD price feed
// (the aggregator proxy) on Ethereum mainnet.
const DefaultChainlinkFeed = "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419"

// DefaultChainlinkMaxAge is how old a Chainlink answer may be: the ETH/USD
// feed's heartbeat is one hour (it also updates on a 0.5 % deviation),
// plus five minutes for the transaction that writes it.
const DefaultChainlinkMaxAge = time.Hour + 5*time.Minute

// ABI selectors of the aggregator's view functions: the first four bytes
// of keccak256 of "latestRoundData()" and "decimals()".
const (
	selectorLatestRoundData = "0xfeaf968c"
	selectorDecimals        = "0x313ce567"
)

var ethAddress = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// Chainlink reads a Chainlink aggregator through an Ethereum node's
// JSON-RPC: latestRoundData() (roundId, answer, startedAt, updatedAt,
// answeredInRound) and decimals(), by eth_call at the latest block. The
// price is answer / 10^decimals, exactly; updatedAt is the quote's time,
// and its staleness bound is MaxAge (the feed's heartbeat), not the
// feed's, since an oracle that writes on deviation is current for its
// whole heartbeat. An incomplete round (updatedAt 0), a non-positive answer
// or an answer carried from an older round is an error.
//
// It speaks JSON-RPC itself rather than through go-ethereum's ethclient:
// two eth_calls and an ABI decode of fixed-size words are a few lines, and
// keep this package free of go-ethereum's dependency tree.
type Chainlink struct {
	RPCURL   string        // the node's JSON-RPC HTTP URL
	Feed     string        // aggregator (proxy) address; empty: DefaultChainlinkFeed
	Currency string        // the fiat of the feed's pair, ETH/Currency; empty: USD
	MaxAge   time.Duration // 0: DefaultChainlinkMaxAge
	Client   *http.Client  // nil: http.DefaultClient
}

var _ Source = (*Chainlink)(nil)

// Name is "chainlink".
func (*Chainlink) Name() string { return "chainlink" }

// Quote reads the feed's latest round, when currency is the feed's.
func (c *Chainlink) Quote(ctx context.Context, currency string) (Quote, error) {
	feedCur := c.Currency
	if feedCur == "" {
		feedCur = "USD"
	}
	if !strings.EqualFold(currency, feedCur) {
		return Quote{}, fmt.Errorf("the feed is ETH/%s, not ETH/%s", feedCur, currency)
	}
	feed := c.Feed
	if feed == "" {
		feed = DefaultChainlinkFeed
	}
	if !ethAddress.MatchString(feed) {
		return Quote{}, fmt.Errorf("feed address %q is not a 0x-prefixed 20-byte address", truncate(feed))
	}
	dec, err := c.call(ctx, feed, selectorDecimals, 1)
	if err != nil {
		return Quote{}, fmt.Errorf("decimals(): %w", err)
	}
	if dec[0].BitLen() > 8 || dec[0].Int64() > maxSourceDecimals {
		return Quote{}, fmt.Errorf("decimals() = %s: more than %d are not supported", dec[0], maxSourceDecimals)
	}
	round, err := c.call(ctx, feed, selectorLatestRoundData, 5)
	if err != nil {
		return Quote{}, fmt.Errorf("latestRoundData(): %w", err)
	}
	roundID, answer, updatedAt, answeredIn := round[0], round[1], round[3], round[4]
	if answer.Bit(255) == 1 || answer.Sign() == 0 {
		return Quote{}, fmt.Errorf("latestRoundData(): answer is not positive")
	}
	if updatedAt.Sign() == 0 {
		return Quote{}, fmt.Errorf("latestRoundData(): round %s is not complete (updatedAt 0)", roundID)
	}
	if !updatedAt.IsInt64() {
		return Quote{}, fmt.Errorf("latestRoundData(): updatedAt %s is not a time", truncate(updatedAt.String()))
	}
	if answeredIn.Cmp(roundID) < 0 {
		return Quote{}, fmt.Errorf("latestRoundData(): answer carried from round %s into round %s", answeredIn, roundID)
	}
	price := new(big.Rat).SetFrac(answer, new(big.Int).Exp(big.NewInt(10), dec[0], nil))
	if err := checkPrice(price, price.FloatString(int(dec[0].Int64()))); err != nil {
		return Quote{}, err
	}
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultChainlinkMaxAge
	}
	return Quote{Price: exactString(price), At: time.Unix(updatedAt.Int64(), 0).UTC(), MaxAge: maxAge}, nil
}

// call makes an eth_call of selector on feed at the latest block and
// returns the result's first n 32-byte words as unsigned integers; a
// result of another length is an error.
func (c *Chainlink) call(ctx context.Context, feed, selector string, n int) ([]*big.Int, error) {
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "eth_call",
		"params": []any{map[string]string{"to": feed, "data": selector}, "latest"}})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Result *string `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := doJSON(ctx, c.Client, http.MethodPost, c.RPCURL, req, &ans, rpcError); err != nil {
		return nil, err
	}
	if ans.Error != nil {
		return nil, fmt.Errorf("node error %d: %s", ans.Error.Code, truncate(ans.Error.Message))
	}
	if ans.Result == nil {
		return nil, fmt.Errorf("malformed answer: no result")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(*ans.Result, "0x"))
	if err != nil || !strings.HasPrefix(*ans.Result, "0x") {
		return nil, fmt.Errorf("malformed result %q", truncate(*ans.Result))
	}
	if len(raw) != 32*n {
		return nil, fmt.Errorf("result of %d bytes, want %d (is %s a Chainlink aggregator?)", len(raw), 32*n, feed)
	}
	words := make([]*big.Int, n)
	for i := range words {
		words[i] = new(big.Int).SetBytes(raw[32*i : 32*(i+1)])
	}
	return words, nil
}

// rpcError is the message of a JSON-RPC error body with a non-200 status.
func rpcError(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return truncate(e.Error.Message)
}
