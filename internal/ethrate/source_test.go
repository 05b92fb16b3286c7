package ethrate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// provider starts a local HTTP server answering every request with status
// and body, after checking the request's path and query.
func provider(t *testing.T, wantPath, wantQuery string, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wantPath || (wantQuery != "" && r.URL.RawQuery != wantQuery) {
			t.Errorf("request %s?%s, want %s?%s", r.URL.Path, r.URL.RawQuery, wantPath, wantQuery)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type sourceCase struct {
	name     string
	currency string
	status   int
	body     string
	want     string // price; empty: an error containing wantErr
	wantErr  string
}

func runSourceCases(t *testing.T, cases []sourceCase, newSource func(url string) Source, wantPath, wantQuery func(cur string) string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := tc.currency
			if cur == "" {
				cur = "USD"
			}
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			url := provider(t, wantPath(cur), wantQuery(cur), status, tc.body)
			q, err := newSource(url).Quote(context.Background(), cur)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Quote = %+v, want an error containing %q", q, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Price != tc.want {
				t.Errorf("price %q, want %q", q.Price, tc.want)
			}
		})
	}
}

func TestCoinbase(t *testing.T) {
	cases := []sourceCase{
		{name: "documented", body: `{"data":{"amount":"3012.45","base":"ETH","currency":"USD"}}`, want: "3012.45"},
		{name: "EUR", currency: "EUR", body: `{"data":{"amount":"2790.10","base":"ETH","currency":"EUR"}}`, want: "2790.1"},
		{name: "404 body", status: 404, body: `{"errors":[{"id":"not_found","message":"Invalid currency"}]}`, wantErr: "HTTP 404: not_found: Invalid currency"},
		{name: "503 without body", status: 503, body: ``, wantErr: "HTTP 503"},
		{name: "other currency", body: `{"data":{"amount":"2790.10","base":"ETH","currency":"EUR"}}`, wantErr: "want ETH-USD"},
		{name: "other base", body: `{"data":{"amount":"97000.10","base":"BTC","currency":"USD"}}`, wantErr: "want ETH-USD"},
		{name: "no data", body: `{"warnings":[]}`, wantErr: "no data"},
		{name: "not JSON", body: `<html>`, wantErr: "malformed answer"},
		{name: "zero", body: `{"data":{"amount":"0","base":"ETH","currency":"USD"}}`, wantErr: "not positive"},
		{name: "negative", body: `{"data":{"amount":"-3012.45","base":"ETH","currency":"USD"}}`, wantErr: "not a decimal"},
		{name: "not a number", body: `{"data":{"amount":"NaN","base":"ETH","currency":"USD"}}`, wantErr: "not a decimal"},
		{name: "insane", body: `{"data":{"amount":"1000000000000","base":"ETH","currency":"USD"}}`, wantErr: "not a sane"},
		{name: "19 decimals", body: `{"data":{"amount":"3012.4500000000000000001","base":"ETH","currency":"USD"}}`, wantErr: "more than 18 decimals"},
		{name: "number, not string", body: `{"data":{"amount":3012.45,"base":"ETH","currency":"USD"}}`, wantErr: "malformed answer"},
	}
	runSourceCases(t, cases, func(url string) Source { return &Coinbase{BaseURL: url} },
		func(cur string) string { return "/v2/prices/ETH-" + cur + "/spot" }, func(string) string { return "" })
}

// krakenETHUSD is Kraken's documented Ticker answer for pair=ETHUSD.
const krakenETHUSD = `{"error":[],"result":{"XETHZUSD":{"a":["3012.46000","3","3.000"],"b":["3012.45000","1","1.000"],` +
	`"c":["3012.45000","0.05000000"],"v":["1500.1","9000.2"],"p":["3001.1","2999.9"],"t":[1200,8000],` +
	`"l":["2950.00000","2940.00000"],"h":["3050.00000","3060.00000"],"o":"2990.00000"}}}`

func TestKraken(t *testing.T) {
	cases := []sourceCase{
		{name: "documented", body: krakenETHUSD, want: "3012.45"},
		{name: "newer pair name", currency: "CHF", body: `{"error":[],"result":{"ETHCHF":{"c":["2650.1","0.1"]}}}`, want: "2650.1"},
		{name: "error array", body: `{"error":["EQuery:Unknown asset pair"]}`, wantErr: "EQuery:Unknown asset pair"},
		{name: "error with a result", body: `{"error":["EGeneral:Temporary lockout"],"result":{"XETHZUSD":{"c":["3012.45","1"]}}}`, wantErr: "EGeneral:Temporary lockout"},
		{name: "no error array", body: `{"result":{"XETHZUSD":{"c":["3012.45","1"]}}}`, wantErr: "no error array"},
		{name: "other pair", body: `{"error":[],"result":{"XETHZEUR":{"c":["2790.1","1"]}}}`, wantErr: "no XETHZUSD or ETHUSD ticker"},
		{name: "no last trade", body: `{"error":[],"result":{"XETHZUSD":{"a":["3012.46000","3","3.000"]}}}`, wantErr: "no last trade"},
		{name: "garbage price", body: `{"error":[],"result":{"XETHZUSD":{"c":["3,012.45","1"]}}}`, wantErr: "not a decimal"},
		{name: "HTTP 520", status: 520, body: `{"error":["EService:Unavailable"]}`, wantErr: "HTTP 520: EService:Unavailable"},
	}
	runSourceCases(t, cases, func(url string) Source { return &Kraken{BaseURL: url} },
		func(string) string { return "/0/public/Ticker" }, func(cur string) string { return "pair=ETH" + cur })
}

func TestCoinGecko(t *testing.T) {
	cases := []sourceCase{
		{name: "documented", body: `{"ethereum":{"usd":3012.45}}`, want: "3012.45"},
		// A float64 would turn this into 3012.123456789012.
		{name: "full precision stays exact", body: `{"ethereum":{"usd":3012.123456789012345678,"last_updated_at":1733370000}}`, want: "3012.123456789012345678"},
		{name: "exponent", body: `{"ethereum":{"usd":3.01245e3}}`, want: "3012.45"},
		{name: "EUR", currency: "EUR", body: `{"ethereum":{"eur":2790.1}}`, want: "2790.1"},
		{name: "missing currency", body: `{"ethereum":{}}`, wantErr: "no ethereum price in usd"},
		{name: "missing coin", body: `{}`, wantErr: "no ethereum price"},
		// encoding/json takes a quoted number into a json.Number: still exact.
		{name: "quoted price", body: `{"ethereum":{"usd":"3012.45"}}`, want: "3012.45"},
		{name: "text price", body: `{"ethereum":{"usd":"about 3000"}}`, wantErr: "malformed answer"},
		{name: "null price", body: `{"ethereum":{"usd":null}}`, wantErr: "not a decimal"},
		{name: "negative", body: `{"ethereum":{"usd":-1}}`, wantErr: "not a decimal"},
		{name: "huge exponent", body: `{"ethereum":{"usd":1e999999}}`, wantErr: "not a decimal"},
		{name: "bad timestamp", body: `{"ethereum":{"usd":3012.45,"last_updated_at":-5}}`, wantErr: "malformed last_updated_at"},
		{name: "rate limited", status: 429, body: `{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit."}}`, wantErr: "HTTP 429: You've exceeded the Rate Limit."},
	}
	runSourceCases(t, cases, func(url string) Source { return &CoinGecko{BaseURL: url} },
		func(string) string { return "/api/v3/simple/price" },
		func(cur string) string {
			return "ids=ethereum&include_last_updated_at=true&precision=full&vs_currencies=" + strings.ToLower(cur)
		})
}

func TestCoinGeckoTimestamp(t *testing.T) {
	url := provider(t, "/api/v3/simple/price", "", 200, `{"ethereum":{"usd":3012.45,"last_updated_at":1733370000}}`)
	q, err := (&CoinGecko{BaseURL: url}).Quote(context.Background(), "USD")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1733370000, 0); !q.At.Equal(want) {
		t.Errorf("At %s, want %s", q.At, want)
	}
}

func TestFixed(t *testing.T) {
	f, err := Fixed("2500.50")
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Quote(context.Background(), "JPY")
	if err != nil || q.Price != "2500.5" || !q.At.IsZero() {
		t.Errorf("Quote = %+v, %v; want 2500.5 with no time", q, err)
	}
	for _, bad := range []string{"", "0", "-1", "abc", "1.5.2", "3,000"} {
		if _, err := Fixed(bad); err == nil {
			t.Errorf("Fixed(%q) succeeded, want an error", bad)
		}
	}
}
