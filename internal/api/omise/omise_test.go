package omise_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/servertest"
)

// client talks to a test server as one key.
type client struct {
	t       *testing.T
	base    string
	key     string
	bearer  bool
	version string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c client) do(method, path, contentType, body string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		if c.bearer {
			req.Header.Set("Authorization", "Bearer "+c.key)
		} else {
			req.SetBasicAuth(c.key, "")
		}
	}
	if c.version != "" {
		req.Header.Set("Omise-Version", c.version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		c.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, raw)
	}
	return r
}

func (c client) form(method, path string, v url.Values) reply {
	c.t.Helper()
	return c.do(method, path, "application/x-www-form-urlencoded", v.Encode())
}

func (c client) json(method, path string, v any) reply {
	c.t.Helper()
	b, _ := json.Marshal(v)
	return c.do(method, path, "application/json", string(b))
}

// wantError checks an Omise error object.
func (r reply) wantError(t *testing.T, status int, code string, msgContains string) {
	t.Helper()
	if r.status != status || r.body["object"] != "error" || r.body["code"] != code {
		t.Fatalf("got %d %v, want %d error %s", r.status, r.raw, status, code)
	}
	if msg, _ := r.body["message"].(string); !strings.Contains(msg, msgContains) {
		t.Errorf("message %q does not mention %q", msg, msgContains)
	}
	if loc, _ := r.body["location"].(string); !strings.HasPrefix(loc, "https://") {
		t.Errorf("location %q is not a URL", loc)
	}
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

var (
	linkIDRe = regexp.MustCompile(`^link_test_[0-9a-z]+$`)
	timeRe   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

func forEachBackend(t *testing.T, f func(t *testing.T, env *servertest.Env)) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			f(t, servertest.New(t, b))
		})
	}
}

func TestCreateLinkEncodings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		tests := []struct {
			name string
			send func() reply
		}{
			{"form", func() reply {
				return c.form("POST", "/links", url.Values{"amount": {"19000"}, "currency": {"thb"}, "title": {"Cappuccino"},
					"description": {"Freshly brewed"}, "multiple": {"true"}})
			}},
			{"json", func() reply {
				return c.json("POST", "/links", map[string]any{"amount": 19000, "currency": "THB", "title": "Cappuccino",
					"description": "Freshly brewed", "multiple": true})
			}},
			{"json strings", func() reply {
				return c.json("POST", "/links", map[string]any{"amount": "19000", "currency": "thb", "title": "Cappuccino",
					"description": "Freshly brewed", "multiple": "true"})
			}},
			{"query string", func() reply {
				return c.do("POST", "/links?amount=19000&currency=thb&title=Cappuccino&description=Freshly+brewed&multiple=1", "", "")
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.send()
				if r.status != 200 {
					t.Fatalf("got %d %s, want 200", r.status, r.raw)
				}
				id := r.str("id")
				if !linkIDRe.MatchString(id) {
					t.Errorf("id %q does not look like link_test_…", id)
				}
				want := map[string]any{"object": "link", "livemode": false, "location": "/links/" + id, "deleted": false,
					"multiple": true, "used": false, "currency": "THB", "amount": 19000.0, "title": "Cappuccino",
					"description": "Freshly brewed", "used_at": nil, "deleted_at": nil}
				for k, v := range want {
					if got := r.body[k]; got != v {
						t.Errorf("%s: got %v, want %v", k, got, v)
					}
				}
				if !timeRe.MatchString(r.str("created_at")) {
					t.Errorf("created_at %q is not ISO 8601 UTC", r.str("created_at"))
				}
				if uri := r.str("payment_uri"); !strings.HasPrefix(uri, env.URL+"/l/cappuccino-") {
					t.Errorf("payment_uri %q does not point at the hosted page", uri)
				}
				charges, _ := r.body["charges"].(map[string]any)
				if charges["object"] != "list" || charges["total"] != 0.0 || charges["location"] != "/links/"+id+"/charges" ||
					charges["limit"] != 20.0 || charges["order"] != "chronological" {
					t.Errorf("charges = %v, want an empty list of the link's charges", charges)
				}
				// And the same link comes back from GET.
				g := c.do("GET", "/links/"+id, "", "")
				if g.status != 200 || g.str("id") != id || g.str("payment_uri") != r.str("payment_uri") {
					t.Errorf("GET: got %d %s", g.status, g.raw)
				}
			})
		}
	})
}

func TestCreateLinkValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		c := client{t: t, base: env.URL, key: env.SecretTest}
		valid := func() map[string]any {
			return map[string]any{"amount": 5000, "currency": "thb", "title": "T", "description": "D"}
		}
		tests := []struct {
			name   string
			change func(m map[string]any)
			code   string
			msg    string
		}{
			{"missing amount", func(m map[string]any) { delete(m, "amount") }, "invalid_amount", "amount"},
			{"amount not integer", func(m map[string]any) { m["amount"] = 12.5 }, "invalid_amount", "amount"},
			{"amount text", func(m map[string]any) { m["amount"] = "abc" }, "invalid_amount", "amount"},
			{"negative amount", func(m map[string]any) { m["amount"] = -100 }, "invalid_amount", "negative"},
			{"below THB minimum", func(m map[string]any) { m["amount"] = 1999 }, "invalid_amount", "20.00"},
			{"above THB maximum", func(m map[string]any) { m["amount"] = 100000001 }, "invalid_amount", "1000000.00"},
			{"below JPY minimum", func(m map[string]any) { m["amount"] = 99; m["currency"] = "jpy" }, "invalid_amount", "100"},
			{"missing currency", func(m map[string]any) { delete(m, "currency") }, "invalid_currency", "currency"},
			{"unknown currency", func(m map[string]any) { m["currency"] = "xyz" }, "invalid_currency", "xyz"},
			{"unsupported currency", func(m map[string]any) { m["currency"] = "brl" }, "invalid_currency", "brl"},
			{"missing title", func(m map[string]any) { delete(m, "title") }, "bad_request", "title"},
			{"blank title", func(m map[string]any) { m["title"] = "   " }, "bad_request", "title"},
			{"long title", func(m map[string]any) { m["title"] = strings.Repeat("x", 256) }, "bad_request", "title"},
			{"missing description", func(m map[string]any) { delete(m, "description") }, "bad_request", "description"},
			{"long description", func(m map[string]any) { m["description"] = strings.Repeat("x", 2001) }, "bad_request", "description"},
			{"multiple not boolean", func(m map[string]any) { m["multiple"] = "maybe" }, "bad_request", "multiple"},
			{"title an object", func(m map[string]any) { m["title"] = map[string]any{"a": 1} }, "bad_request", "title"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m := valid()
				tt.change(m)
				c.json("POST", "/links", m).wantError(t, 400, tt.code, tt.msg)
			})
		}
		t.Run("malformed JSON", func(t *testing.T) {
			c.do("POST", "/links", "application/json", `{"amount": 5000,`).wantError(t, 400, "bad_request", "JSON")
		})
		t.Run("amount 0 is the payer's choice", func(t *testing.T) {
			m := valid()
			m["amount"] = 0
			if r := c.json("POST", "/links", m); r.status != 200 || r.body["amount"] != 0.0 {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
		t.Run("nothing half-written", func(t *testing.T) {
			r := c.do("GET", "/links", "", "")
			if r.body["total"] != 1.0 { // only the amount-0 link above
				t.Errorf("total after refused creates = %v, want 1", r.body["total"])
			}
		})
	})
}

func TestVersions(t *testing.T) {
	forEachBackend(t, testVersions)
}

func testVersions(t *testing.T, env *servertest.Env) {
	modern := client{t: t, base: env.URL, key: env.SecretTest}
	create := func(c client) reply {
		return c.form("POST", "/links", url.Values{"amount": {"100000"}, "currency": {"thb"}, "title": {"A"}, "description": {"B"}})
	}
	for _, v := range []string{"2015-11-17", "2017-11-02"} {
		t.Run(v, func(t *testing.T) {
			c := modern
			c.version = v
			r := create(c)
			if r.status != 200 {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if r.body["currency"] != "thb" || !timeRe.MatchString(r.str("created")) {
				t.Errorf("got currency %v created %v, want lowercase and a created time", r.body["currency"], r.body["created"])
			}
			for _, k := range []string{"created_at", "used_at", "deleted_at"} {
				if _, ok := r.body[k]; ok {
					t.Errorf("%s present in version %s", k, v)
				}
			}
			if charges := r.body["charges"].(map[string]any); charges["order"] != nil {
				t.Errorf("nested list order = %v, want null in old versions", charges["order"])
			}
			d := c.do("DELETE", "/links/"+r.str("id"), "", "")
			want := map[string]any{"object": "link", "id": r.str("id"), "livemode": false, "deleted": true}
			if d.status != 200 || len(d.body) != len(want) {
				t.Fatalf("DELETE: got %d %s, want a Deletion", d.status, d.raw)
			}
			for k, w := range want {
				if d.body[k] != w {
					t.Errorf("DELETE %s = %v, want %v", k, d.body[k], w)
				}
			}
		})
	}
	t.Run("2019-05-29 delete returns the whole link", func(t *testing.T) {
		c := modern
		c.version = "2019-05-29"
		r := create(c)
		d := c.do("DELETE", "/links/"+r.str("id"), "", "")
		if d.status != 200 || d.body["deleted"] != true || !timeRe.MatchString(d.str("deleted_at")) || d.body["title"] != "A" {
			t.Fatalf("got %d %s", d.status, d.raw)
		}
		c.do("DELETE", "/links/"+r.str("id"), "", "").wantError(t, 404, "not_found", r.str("id"))
		c.do("GET", "/links/"+r.str("id"), "", "").wantError(t, 404, "not_found", r.str("id"))
	})
	t.Run("unknown version", func(t *testing.T) {
		c := modern
		c.version = "2020-01-01"
		create(c).wantError(t, 400, "bad_request", "2020-01-01")
	})
}

func TestAuthentication(t *testing.T) {
	forEachBackend(t, testAuthentication)
}

func testAuthentication(t *testing.T, env *servertest.Env) {
	ok := client{t: t, base: env.URL, key: env.SecretTest}
	revoked := servertest.MustKey(t, env.Service, env.Account.ID, false, "secret")
	prefix := revoked[:len("skey_test_")+6]
	if _, err := env.Service.RevokeKey(t.Context(), prefix); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    client
	}{
		{"no key", client{t: t, base: env.URL}},
		{"unknown key", client{t: t, base: env.URL, key: "skey_test_000000000000000000000000"}},
		{"garbage", client{t: t, base: env.URL, key: "hello"}},
		{"revoked key", client{t: t, base: env.URL, key: revoked}},
		{"public key", client{t: t, base: env.URL, key: env.PublicTest}},
		{"bearer public key", client{t: t, base: env.URL, key: env.PublicTest, bearer: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.do("GET", "/links", "", "").wantError(t, 401, "authentication_failure", "authentication")
			tt.c.form("POST", "/links", url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {"x"}, "description": {"y"}}).
				wantError(t, 401, "authentication_failure", "authentication")
		})
	}
	t.Run("basic and bearer", func(t *testing.T) {
		for _, c := range []client{ok, {t: t, base: env.URL, key: env.SecretTest, bearer: true}} {
			if r := c.do("GET", "/links", "", ""); r.status != 200 {
				t.Errorf("got %d %s", r.status, r.raw)
			}
		}
	})
	t.Run("request id", func(t *testing.T) {
		r := ok.do("GET", "/links", "", "")
		if !strings.HasPrefix(r.header.Get("Request-Id"), "req_") {
			t.Errorf("Request-Id = %q", r.header.Get("Request-Id"))
		}
	})
}

func TestIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *servertest.Env) {
		test := client{t: t, base: env.URL, key: env.SecretTest}
		live := client{t: t, base: env.URL, key: env.SecretLive}
		other := client{t: t, base: env.URL, key: env.OtherSecretTest}
		body := url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {"x"}, "description": {"y"}}
		tl := test.form("POST", "/links", body)
		ll := live.form("POST", "/links", body)
		if !strings.HasPrefix(ll.str("id"), "link_") || strings.HasPrefix(ll.str("id"), "link_test_") || ll.body["livemode"] != true {
			t.Fatalf("live link: %s", ll.raw)
		}
		liveAsTest := "link_test_" + strings.TrimPrefix(ll.str("id"), "link_")
		cases := []struct {
			name string
			c    client
			id   string
		}{
			{"test key, live id", test, ll.str("id")},
			{"test key, live link's suffix as a test id", test, liveAsTest},
			{"live key, test id", live, tl.str("id")},
			{"other account", other, tl.str("id")},
			{"malformed id", test, "link_test_!!"},
			{"charge id", test, "chrg_test_" + strings.TrimPrefix(tl.str("id"), "link_test_")},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				tt.c.do("GET", "/links/"+tt.id, "", "").wantError(t, 404, "not_found", "was not found")
				tt.c.do("GET", "/links/"+tt.id+"/charges", "", "").wantError(t, 404, "not_found", "was not found")
				tt.c.do("DELETE", "/links/"+tt.id, "", "").wantError(t, 404, "not_found", "was not found")
			})
		}
		for name, c := range map[string]client{"test": test, "live": live} {
			if r := c.do("GET", "/links", "", ""); r.body["total"] != 1.0 {
				t.Errorf("%s key lists total %v, want only its own mode's 1", name, r.body["total"])
			}
		}
		if r := other.do("GET", "/links", "", ""); r.body["total"] != 0.0 {
			t.Errorf("other account lists total %v, want 0", r.body["total"])
		}
		// Both links still exist for their owners.
		for _, x := range []struct {
			c  client
			id string
		}{{test, tl.str("id")}, {live, ll.str("id")}} {
			if r := x.c.do("GET", "/links/"+x.id, "", ""); r.status != 200 {
				t.Errorf("owner GET %s: %d", x.id, r.status)
			}
		}
	})
}

func TestListLinks(t *testing.T) {
	for _, b := range servertest.Backends() {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			testListLinks(t, b)
		})
	}
}

func testListLinks(t *testing.T, backend string) {
	var now time.Time
	clock := func() time.Time { return now }
	env := servertest.New(t, backend, servertest.Options{Now: clock})
	c := client{t: t, base: env.URL, key: env.SecretTest}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 30 {
		now = start.Add(time.Duration(i) * time.Hour)
		r := c.form("POST", "/links", url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {fmt.Sprint("link ", i)}, "description": {"d"}})
		ids = append(ids, r.str("id"))
	}
	now = start.Add(48 * time.Hour)
	c.do("DELETE", "/links/"+ids[29], "", "")
	ids = ids[:29]

	get := func(q string) ([]string, reply) {
		t.Helper()
		r := c.do("GET", "/links"+q, "", "")
		if r.status != 200 {
			t.Fatalf("GET /links%s: %d %s", q, r.status, r.raw)
		}
		var got []string
		for _, d := range r.body["data"].([]any) {
			got = append(got, d.(map[string]any)["id"].(string))
		}
		return got, r
	}
	rev := func(s []string) []string {
		out := make([]string, len(s))
		for i := range s {
			out[i] = s[len(s)-1-i]
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
		total float64
	}{
		{"", ids[:20], 29},
		{"/", ids[:20], 29},
		{"?offset=20", ids[20:], 29},
		{"?limit=5&offset=3", ids[3:8], 29},
		{"?order=reverse_chronological&limit=3", rev(ids)[:3], 29},
		{"?from=2024-03-01T05:00:00Z&to=2024-03-01T09:00:00Z", ids[5:10], 5},
		{"?from=2024-03-01T05:00:00%2B00:00&limit=2&order=reverse_chronological", rev(ids[5:])[:2], 24},
		{"?limit=500", ids, 29},
		{"?offset=100", nil, 29},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, r := get(tt.query)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if r.body["total"] != tt.total {
				t.Errorf("total = %v, want %v", r.body["total"], tt.total)
			}
			if r.body["object"] != "list" || r.body["location"] != "/links" || !timeRe.MatchString(r.str("from")) || !timeRe.MatchString(r.str("to")) {
				t.Errorf("list envelope: %v", r.raw[:min(len(r.raw), 300)])
			}
		})
	}
	t.Run("limit above 100 is clamped", func(t *testing.T) {
		_, r := get("?limit=500")
		if r.body["limit"] != 100.0 {
			t.Errorf("limit = %v, want 100", r.body["limit"])
		}
	})
	t.Run("default window echoes epoch", func(t *testing.T) {
		_, r := get("")
		if r.body["from"] != "1970-01-01T00:00:00Z" || r.body["offset"] != 0.0 || r.body["limit"] != 20.0 || r.body["order"] != "chronological" {
			t.Errorf("got %v", r.raw[:200])
		}
	})
	t.Run("parameters in a JSON body on GET", func(t *testing.T) {
		r := c.do("GET", "/links", "application/json", `{"limit":2,"order":"reverse_chronological","from":"2024-03-01T00:00:00.5+07:00"}`)
		if r.status != 200 || len(r.body["data"].([]any)) != 2 || r.body["order"] != "reverse_chronological" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("parameters in a form body on GET", func(t *testing.T) {
		r := c.do("GET", "/links", "application/x-www-form-urlencoded", "limit=3")
		if r.status != 200 || len(r.body["data"].([]any)) != 3 {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	for _, bad := range []struct{ q, code, msg string }{
		{"?limit=0", "invalid_page", "limit"},
		{"?limit=x", "bad_request", "limit"},
		{"?offset=-1", "invalid_page", "offset"},
		{"?order=sideways", "bad_request", "order"},
		{"?from=yesterday", "bad_request", "from"},
		{"?from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z", "invalid_page", "to"},
	} {
		t.Run(bad.q, func(t *testing.T) {
			c.do("GET", "/links"+bad.q, "", "").wantError(t, 400, bad.code, bad.msg)
		})
	}
	t.Run("link charges list", func(t *testing.T) {
		r := c.do("GET", "/links/"+ids[0]+"/charges", "", "")
		if r.status != 200 || r.body["object"] != "list" || r.body["total"] != 0.0 || len(r.body["data"].([]any)) != 0 {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("unknown endpoint", func(t *testing.T) {
		// A wrong method on a served path: 405 with Allow (issue #13).
		r := c.do("PUT", "/links/"+ids[0], "", "")
		r.wantError(t, 405, "method_not_allowed", "PUT")
		if got := r.header.Get("Allow"); got != "GET, HEAD, DELETE" {
			t.Errorf("Allow = %q, want GET, HEAD, DELETE", got)
		}
		c.do("PUT", "/nothing/here", "", "").wantError(t, 404, "not_found", "PUT")
	})
}
