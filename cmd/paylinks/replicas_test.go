package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/internal/store/postgres"
)

// sharedPublicURL is the public URL both replicas are given, as they would
// be behind one load balancer. Nothing listens there: the test talks to
// each replica directly.
const sharedPublicURL = "http://pay.example.test"

// startReplicas starts n paylinks processes on one database at the same
// time, as a deployment rolls out replicas, and returns them once all
// listen. The secret key printed on first start (by whichever process made
// the default account; possibly more than one) is in the skey of one of
// them at least.
func startReplicas(t *testing.T, n int, args ...string) []*process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*process, n)
	for i := range ps {
		p := &process{stdout: newLineWriter()}
		stderr := newLineWriter()
		p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		p.cmd.Stdout, p.cmd.Stderr = p.stdout, stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			if t.Failed() {
				t.Logf("replica %d stderr:\n%s", i, tail(stderr.String(), 4000))
			}
		})
		ps[i] = p
	}
	for _, p := range ps {
		p.url = p.stdout.wait(t, listenRe)
		if strings.Contains(p.stdout.String(), "secret key:") {
			p.skey = p.stdout.wait(t, secretKeyRe)
		}
	}
	return ps
}

// tail returns the last n bytes of s.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// replicaClient is an HTTP client that does not follow redirects and keeps
// no cookies: the test passes the CSRF cookie by hand, to say which
// replica set it.
func replicaClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// response is what a test reads of an HTTP response.
type response struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	r, err := fetch(c, req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return r
}

// fetch sends req and reads the whole response; safe in any goroutine.
func fetch(c *http.Client, req *http.Request) (response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}, err
}

// apiCall sends an Omise request with the key; form, when not nil, is the
// body.
func apiCall(t *testing.T, c *http.Client, key, method, u string, form url.Values) response {
	t.Helper()
	return send(t, c, apiRequest(key, method, u, form))
}

// apiRequest is the request apiCall sends.
func apiRequest(key, method, u string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(key, "")
	return req
}

// apiJSON is apiCall that wants 200 and decodes the body into v.
func apiJSON(t *testing.T, c *http.Client, key, method, u string, form url.Values, v any) {
	t.Helper()
	r := apiCall(t, c, key, method, u, form)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200: %s", method, u, r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
}

// apiLink is the part of an Omise link the test reads.
type apiLink struct {
	ID         string `json:"id"`
	Used       bool   `json:"used"`
	PaymentURI string `json:"payment_uri"`
	CreatedAt  string `json:"created_at"`
}

// slug returns the link's slug, the last element of its payment URI.
func (l apiLink) slug() string { return l.PaymentURI[strings.LastIndex(l.PaymentURI, "/")+1:] }

type apiCharge struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Paid   bool   `json:"paid"`
	Card   struct {
		Fingerprint string `json:"fingerprint"`
		LastDigits  string `json:"last_digits"`
	} `json:"card"`
}

type apiList[T any] struct {
	Data  []T `json:"data"`
	Total int `json:"total"`
}

func createLinkThrough(t *testing.T, c *http.Client, p *process, key, title string, multiple bool) apiLink {
	t.Helper()
	var l apiLink
	apiJSON(t, c, key, "POST", p.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
		"title": {title}, "description": {"made through " + p.url}, "multiple": {fmt.Sprint(multiple)}}, &l)
	if l.ID == "" || !strings.HasPrefix(l.PaymentURI, sharedPublicURL+"/l/") {
		t.Fatalf("created link %+v: want an id and a payment_uri under %s", l, sharedPublicURL)
	}
	return l
}

var csrfFieldRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// checkoutForm opens the hosted page of slug on replica p, as a payer's
// browser does, and returns the form's CSRF token and the cookie it is
// bound to.
func checkoutForm(t *testing.T, c *http.Client, p *process, slug string) (string, *http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.url+"/l/"+slug, nil)
	r := send(t, c, req)
	m := csrfFieldRe.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("GET /l/%s: status %d, want 200 with a form", slug, r.status)
	}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "pl_csrf" {
			return m[1], ck
		}
	}
	t.Fatalf("GET /l/%s set no pl_csrf cookie", slug)
	return "", nil
}

// payRequest posts the checkout form of slug, filled with the card number,
// with a token and cookie obtained from any replica, to replica p, from
// the test's own address.
func payRequest(p *process, slug, token string, cookie *http.Cookie, number string) *http.Request {
	return payRequestFrom(p, slug, token, cookie, number, "")
}

// payRequestFrom is payRequest from the payer's address payer, as a load
// balancer at 127.0.0.1 (a trusted proxy of the replicas) forwards it; an
// empty payer is the test's own address.
func payRequestFrom(p *process, slug, token string, cookie *http.Cookie, number, payer string) *http.Request {
	form := url.Values{"csrf": {token}, "email": {"payer@example.com"}, "number": {number},
		"exp": {"12 / " + time.Now().AddDate(2, 0, 0).Format("06")}, "csc": {"123"}, "name": {"Somchai Jaidee"}}
	req, _ := http.NewRequest("POST", p.url+"/l/"+slug, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	if payer != "" {
		req.Header.Set("X-Forwarded-For", payer)
	}
	return req
}

// TestTwoReplicasOnePostgres runs two real paylinks processes on one
// PostgreSQL database, as two replicas behind a load balancer, and checks
// that they behave as one server: a single-use link is paid once whatever
// the concurrency, a form rendered by one is accepted by the other, a card
// has one fingerprint, lists agree, the checkout's attempt limits are
// counted once for both, and a revocation reaches both.
func TestTwoReplicasOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two real server processes; skipped with -short")
	}
	dsn := postgres.TestDSN(t) // skips without PAYLINKS_TEST_POSTGRES, fails so under CI
	// The test is the load balancer: at 127.0.0.1, it says which payer's
	// address each checkout post comes from.
	reps := startReplicas(t, 2, "--db", dsn, "--public-url", sharedPublicURL, "--db-max-conns", "8",
		"--trusted-proxies", "127.0.0.1/32")
	var key string
	for _, p := range reps {
		if p.skey != "" {
			key = p.skey
		}
	}
	if key == "" {
		t.Fatalf("no replica printed the first-start keys:\n%s\n%s", reps[0].stdout, reps[1].stdout)
	}
	c := replicaClient()
	for i, p := range reps {
		for _, path := range []string{"/healthz", "/readyz"} {
			req, _ := http.NewRequest("GET", p.url+path, nil)
			if r := send(t, c, req); r.status != http.StatusOK {
				t.Fatalf("replica %d %s: status %d, want 200", i, path, r.status)
			}
		}
	}

	t.Run("SingleUseLinkPaidOnce", func(t *testing.T) {
		l := createLinkThrough(t, c, reps[0], key, "Single use", false)
		const n = 50
		type payer struct {
			form, post *process // the replica that rendered the form, the one the payment goes to
			token      string
			cookie     *http.Cookie
		}
		// Each payer from an address of its own: the 50 posts from one
		// address would pass the per-address attempt limit (30 at once),
		// which both replicas count together.
		payers := make([]payer, n)
		for i := range payers {
			// Every combination: forms from either replica posted to either.
			pr := payer{form: reps[i%2], post: reps[(i/2)%2]}
			pr.token, pr.cookie = checkoutForm(t, c, pr.form, l.slug())
			payers[i] = pr
		}
		results := make([]response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, pr := range payers {
			wg.Go(func() {
				<-start
				payer := fmt.Sprintf("198.51.100.%d", i+1)
				results[i], errs[i] = fetch(c, payRequestFrom(pr.post, l.slug(), pr.token, pr.cookie, "4242424242424242", payer))
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("payment %d: %v", i, errs[i])
			}
			count[r.status]++
			switch r.status {
			case http.StatusSeeOther:
			case http.StatusGone:
				if !strings.Contains(r.body, "already been paid") {
					t.Errorf("payment %d: 410 without saying the link was paid", i)
				}
			case http.StatusConflict:
				if !strings.Contains(r.body, "Nothing was charged") {
					t.Errorf("payment %d: 409 without saying nothing was charged", i)
				}
			default:
				t.Errorf("payment %d (form from %s, posted to %s): status %d, want 303, 410 or 409",
					i, payers[i].form.url, payers[i].post.url, r.status)
			}
		}
		if count[http.StatusSeeOther] != 1 || count[http.StatusGone]+count[http.StatusConflict] != n-1 {
			t.Errorf("statuses = %v, want one 303 and %d 410 or 409", count, n-1)
		}
		for i, p := range reps {
			var got apiLink
			apiJSON(t, c, key, "GET", p.url+"/links/"+l.ID, nil, &got)
			var cs apiList[apiCharge]
			apiJSON(t, c, key, "GET", p.url+"/links/"+l.ID+"/charges", nil, &cs)
			if !got.Used || cs.Total != 1 || len(cs.Data) != 1 || !cs.Data[0].Paid {
				t.Errorf("through replica %d: used %v, %d charges %+v; want used and one successful charge", i, got.Used, cs.Total, cs.Data)
			}
		}
	})

	t.Run("CheckoutAcrossReplicas", func(t *testing.T) {
		l := createLinkThrough(t, c, reps[1], key, "Multi use", true)
		var receipts []string
		for _, from := range []int{0, 1} {
			to := 1 - from
			token, cookie := checkoutForm(t, c, reps[from], l.slug())
			r := send(t, c, payRequest(reps[to], l.slug(), token, cookie, "4242424242424242"))
			loc := r.header.Get("Location")
			if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/l/"+l.slug()+"/complete?") {
				t.Fatalf("form from replica %d posted to replica %d: status %d location %q, want 303 to the receipt",
					from, to, r.status, loc)
			}
			receipts = append(receipts, loc)
		}
		// A receipt link signed by one replica opens on the other.
		for i, loc := range receipts {
			req, _ := http.NewRequest("GET", reps[i].url+loc, nil) // paid through 1-i
			if r := send(t, c, req); r.status != http.StatusOK || !strings.Contains(r.body, "Payment successful") {
				t.Errorf("receipt from replica %d opened on replica %d: status %d, want 200 with the receipt", 1-i, i, r.status)
			}
		}
		// One card, one fingerprint, whichever replica charged it.
		var cs apiList[apiCharge]
		apiJSON(t, c, key, "GET", reps[0].url+"/links/"+l.ID+"/charges", nil, &cs)
		if len(cs.Data) != 2 || !cs.Data[0].Paid || !cs.Data[1].Paid {
			t.Fatalf("charges = %+v, want two successful ones", cs.Data)
		}
		if a, b := cs.Data[0].Card.Fingerprint, cs.Data[1].Card.Fingerprint; a == "" || a != b {
			t.Errorf("one card charged through both replicas has fingerprints %q and %q, want one", a, b)
		}
	})

	// One payer's declines alternate between the replicas: the limit of
	// declines per address (5 by default) is reached after 5 declines, as
	// on one replica, not after 5 on each.
	t.Run("DeclineLimitAcrossReplicas", func(t *testing.T) {
		l := createLinkThrough(t, c, reps[0], key, "Declines", true)
		const payer, declines = "203.0.113.9", 5
		token, cookie := checkoutForm(t, c, reps[0], l.slug())
		for i := range declines {
			r := send(t, c, payRequestFrom(reps[i%2], l.slug(), token, cookie, "4111111111140011", payer))
			if r.status != http.StatusPaymentRequired {
				t.Fatalf("decline %d, through replica %d: status %d, want 402", i+1, i%2, r.status)
			}
		}
		for i := range 2 {
			r := send(t, c, payRequestFrom(reps[(declines+i)%2], l.slug(), token, cookie, "4242424242424242", payer))
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many attempts") {
				t.Errorf("after %d declines alternating between the replicas, a payment through replica %d: status %d, Retry-After %q; want 429 with the slow-down page",
					declines, (declines+i)%2, r.status, r.header.Get("Retry-After"))
			}
		}
		// The limit is the address's: another payer pays the same link.
		token, cookie = checkoutForm(t, c, reps[1], l.slug())
		if r := send(t, c, payRequestFrom(reps[1], l.slug(), token, cookie, "4242424242424242", "203.0.113.10")); r.status != http.StatusSeeOther {
			t.Errorf("another payer after the declines: status %d, want 303", r.status)
		}
	})

	t.Run("ListThroughEither", func(t *testing.T) {
		const perReplica = 15
		made := make([][]string, len(reps))
		var wg sync.WaitGroup
		for i, p := range reps {
			wg.Go(func() {
				for j := range perReplica {
					r, err := fetch(c, apiRequest(key, "POST", p.url+"/links", url.Values{"amount": {"5000"}, "currency": {"thb"},
						"title": {fmt.Sprintf("replica %d link %d", i, j)}, "description": {"listed"}}))
					var l apiLink
					if err != nil || r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &l) != nil {
						t.Errorf("create through replica %d: %v, status %d: %s", i, err, r.status, r.body)
						return
					}
					made[i] = append(made[i], l.ID)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		lists := make([][]string, len(reps))
		for i, p := range reps {
			var all apiList[apiLink]
			apiJSON(t, c, key, "GET", p.url+"/links?limit=100", nil, &all)
			if all.Total != len(all.Data) {
				t.Errorf("replica %d: total %d, %d links in the page", i, all.Total, len(all.Data))
			}
			for j := 1; j < len(all.Data); j++ {
				if all.Data[j].CreatedAt < all.Data[j-1].CreatedAt {
					t.Errorf("replica %d: link %d created %s after link %d created %s: not chronological",
						i, j-1, all.Data[j-1].CreatedAt, j, all.Data[j].CreatedAt)
				}
			}
			for _, l := range all.Data {
				lists[i] = append(lists[i], l.ID)
			}
		}
		if !slices.Equal(lists[0], lists[1]) {
			t.Errorf("the replicas list different links:\nreplica 0: %v\nreplica 1: %v", lists[0], lists[1])
		}
		seen := map[string]int{}
		for _, id := range lists[0] {
			seen[id]++
		}
		for i, ids := range made {
			for _, id := range ids {
				if seen[id] != 1 {
					t.Errorf("link %s made through replica %d is listed %d times, want once", id, i, seen[id])
				}
			}
		}
		// Pages fetched from alternate replicas add up to the whole list.
		var paged []string
		for offset, i := 0, 0; offset < len(lists[0]); offset, i = offset+7, i+1 {
			var pg apiList[apiLink]
			apiJSON(t, c, key, "GET", fmt.Sprintf("%s/links?limit=7&offset=%d", reps[i%2].url, offset), nil, &pg)
			for _, l := range pg.Data {
				paged = append(paged, l.ID)
			}
		}
		if !slices.Equal(paged, lists[0]) {
			t.Errorf("pages from alternate replicas:\n%v\nwant the whole list:\n%v", paged, lists[0])
		}
	})

	t.Run("RevocationReachesBoth", func(t *testing.T) {
		ctx := context.Background()
		var out, errOut strings.Builder
		if err := run(ctx, []string{"keys", "create", "--db", dsn}, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatalf("keys create: %v: %s", err, errOut.String())
		}
		k := strings.TrimSpace(out.String())
		// Both replicas accept the new key, and so have it cached.
		for i, p := range reps {
			if r := apiCall(t, c, k, "GET", p.url+"/links?limit=1", nil); r.status != http.StatusOK {
				t.Fatalf("new key through replica %d: status %d, want 200", i, r.status)
			}
		}
		out.Reset()
		if err := run(ctx, []string{"keys", "revoke", "--db", dsn, k[:16]}, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatalf("keys revoke: %v: %s", err, errOut.String())
		}
		revoked := time.Now()
		for i, p := range reps {
			for {
				r := apiCall(t, c, k, "GET", p.url+"/links?limit=1", nil)
				if r.status == http.StatusUnauthorized {
					t.Logf("replica %d refused the revoked key after %v", i, time.Since(revoked).Round(time.Millisecond))
					break
				}
				if time.Since(revoked) > 5*time.Second {
					t.Fatalf("replica %d still accepts the key 5s after its revocation: status %d", i, r.status)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// The revocation was of that key only.
		for i, p := range reps {
			if r := apiCall(t, c, key, "GET", p.url+"/links?limit=1", nil); r.status != http.StatusOK {
				t.Errorf("first-start key through replica %d after another key's revocation: status %d, want 200", i, r.status)
			}
		}
	})
}
