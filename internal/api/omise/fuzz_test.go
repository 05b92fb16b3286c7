package omise_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
)

// FuzzCreateLink sends arbitrary bodies, content types and query strings to
// POST /links on a real server. It must never answer 500 or a non-JSON body,
// and a link it accepts must have a valid amount for its currency.
func FuzzCreateLink(f *testing.F) {
	seeds := []struct{ ctype, query, body string }{
		{"application/x-www-form-urlencoded", "", "amount=5000&currency=thb&title=a&description=b"},
		{"application/json", "", `{"amount":5000,"currency":"thb","title":"a","description":"b","multiple":true}`},
		{"application/json", "", `{"amount":"5000","currency":"THB","title":"a","description":"b","multiple":"true"}`},
		{"", "amount=5000&currency=jpy&title=a&description=b", ""},
		{"application/x-www-form-urlencoded", "", "amount=5000.5&currency=thb&title=a&description=b"},
		{"application/x-www-form-urlencoded", "", "amount[x]=1&currency=thb&title=a&description=b"},
		{"application/json", "", `{"amount":1e3,"currency":"thb","title":"a","description":"b"}`},
		{"application/json", "", `{"amount":-0,"currency":"usd","title":"a","description":"b"}`},
		{"text/plain", "amount=99999999999999999999", `{"title":[1,2]}`},
		{"application/x-www-form-urlencoded", "", "card[number][]=1&card[number]=2"},
		{"application/x-www-form-urlencoded", "", "amount=5000&currency=thb&title=a%00b&description=b"},
		{"application/x-www-form-urlencoded", "", "amount=5000&currency=thb&title=a&description=%FF"},
		{"application/json", "", `{"amount":5000,"currency":"thb","title":"\ud800","description":"b"}`},
		{"application/json", "", `{"amount":5000,"currency":"thb","title":"a","description":"l1\n\tl2 \u0e01 \ud83d\ude00"}`},
		{"application/json", "", "{\"amount\":5000,\"currency\":\"thb\",\"title\":\"a\xc3\",\"description\":\"b\"}"},
		{"application/x-www-form-urlencoded", "", "amount=+5000&currency=THB%20&title=a&description=b"},
		{"application/x-www-form-urlencoded", "", "amount=05000&currency=usd%0A&title=a&description=b"},
	}
	for _, s := range seeds {
		f.Add(s.ctype, s.query, s.body)
	}
	env := servertest.New(f, "sqlite")
	f.Fuzz(func(t *testing.T, ctype, query, body string) {
		req, err := http.NewRequest("POST", env.URL+"/links", strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = strings.Map(func(r rune) rune {
			if r < 0x21 || r == '#' || r == 0x7f {
				return -1
			}
			return r
		}, query)
		ctype = strings.Map(func(r rune) rune {
			if r < 0x20 || r >= 0x7f {
				return -1
			}
			return r
		}, ctype)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.SetBasicAuth(env.SecretTest, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct {
			Object      string `json:"object"`
			Amount      int64  `json:"amount"`
			Currency    string `json:"currency"`
			Code        string `json:"code"`
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("status %d, body not JSON: %q", resp.StatusCode, raw)
		}
		switch resp.StatusCode {
		case 200:
			if out.Object != "link" {
				t.Fatalf("200 without a link: %s", raw)
			}
			spelled := strings.Count(body+query, "\ufffd") + strings.Count(strings.ToLower(body+query), `\ufffd`) +
				strings.Count(strings.ToUpper(body+query), "%EF%BF%BD")
			for _, text := range []string{out.Title, out.Description} {
				if strings.Count(text, "\ufffd") > spelled || strings.ContainsFunc(text, func(r rune) bool {
					return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f
				}) || strings.ContainsAny(out.Title, "\n\t") {
					t.Fatalf("accepted text %q / %q from %q %q", out.Title, out.Description, query, body)
				}
			}
			if out.Amount != 0 {
				if err := paylinks.CheckAmount(out.Amount, out.Currency, "amount"); err != nil {
					t.Fatalf("accepted an invalid amount %d %s: %v", out.Amount, out.Currency, err)
				}
			}
		case 400:
			if out.Object != "error" || out.Code == "" {
				t.Fatalf("400 without an error object: %s", raw)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
	})
}
