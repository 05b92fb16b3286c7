package ethrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Source is one place the price of ether comes from.
type Source interface {
	// Name names the source in EthRate.Sources and in errors, e.g. "kraken".
	Name() string
	// Quote asks the source for the price of one ether in currency (an
	// uppercase ISO 4217 code). A malformed, failed or unexpected answer
	// is an error, never a price.
	Quote(ctx context.Context, currency string) (Quote, error)
}

// Quote is one source's answer.
type Quote struct {
	// Price is the exact decimal price of one ether, validated: positive,
	// sane, at most 18 decimals.
	Price string
	// At is when the source says the price was observed; zero when the
	// source gives no time, and the feed then uses the time it fetched it.
	At time.Time
	// MaxAge, when set, is this source's own staleness bound, used instead
	// of the feed's: an oracle that updates on a price deviation or a
	// heartbeat (Chainlink) is current for its whole heartbeat.
	MaxAge time.Duration
}

// maxBody bounds how much of a provider's answer is read: a ticker is a
// few hundred bytes.
const maxBody = 1 << 20

// getJSON GETs rawURL and decodes its JSON body into v, keeping numbers
// as json.Number (never float64). A status other than 200 is an error
// carrying the provider's message, which errMessage extracts from the body.
func getJSON(ctx context.Context, client *http.Client, rawURL string, v any, errMessage func([]byte) string) error {
	return doJSON(ctx, client, http.MethodGet, rawURL, nil, v, errMessage)
}

// doJSON is getJSON with a method and a JSON request body (nil: none).
func doJSON(ctx context.Context, client *http.Client, method, rawURL string, reqBody []byte, v any, errMessage func([]byte) string) error {
	if client == nil {
		client = http.DefaultClient
	}
	var rd io.Reader
	if reqBody != nil {
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return err
	}
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "paylinks-ethrate")
	resp, err := client.Do(req)
	if err != nil {
		// Not the URL: a node's URL often holds its API key, and these
		// errors are logged.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			return fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("answer longer than %d bytes", maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		if msg := errMessage(body); msg != "" {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
		}
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed answer: %w", err)
	}
	return nil
}

// baseURL returns base without its trailing slashes, or def when empty.
func baseURL(base, def string) string {
	if base == "" {
		base = def
	}
	return strings.TrimRight(base, "/")
}
