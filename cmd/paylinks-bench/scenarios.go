package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// scenario is one hot path under load. Adding one is adding an entry to
// scenarios with its operation (and, if the route may be missing, a ready
// check that says why it is skipped).
type scenario struct {
	name string
	op   string  // what one operation is, for the report
	bar  float64 // the ratio to the baseline issue 6 asks for; 0: none
	// ready returns why the scenario cannot run against this server, or
	// "" when it can. nil: always ready.
	ready func(ctx context.Context, c *http.Client, e *env) string
	// do is one operation; an error counts against the scenario.
	do func(ctx context.Context, w *worker, e *env) error
	// client makes the HTTP client for conns connections; nil: a shared
	// keep-alive client. With perWorkerClient each connection gets its own
	// client(1).
	client          func(conns int) *http.Client
	perWorkerClient bool
	// after, when set, runs after the measured window and its answer is
	// the result's note.
	after func(ctx context.Context, e *env) string
}

// scenarios are run in this order: reads first, then the writes that grow
// the database, so that every read sees the preloaded database alone.
var scenarios = []scenario{
	{name: "retrieve", op: "GET /links/{id}, random id", bar: 0.45, do: retrieve},
	{name: "list", op: "GET /links?limit=20&offset=random", bar: 0.25, do: listOffset},
	{name: "v1-list", op: "GET /api/v1/payment_links?limit=20, cursor pages", bar: 0.25, ready: v1Ready("GET"), do: listCursorV1},
	{name: "page", op: "GET /l/{slug}, random slug", bar: 0.35, ready: pageReady, do: page},
	{name: "create", op: "POST /links (durable)", bar: 0.30, do: create},
	{name: "pay", op: "GET /l/{slug} + POST /l/{slug}, test card, new payer", bar: 0.15, ready: payReady, do: pay,
		client: payerClient, perWorkerClient: true},
	{name: "cart-page", op: "GET /l/{slug} of a 5-item cart link (priced by the service)", ready: cartReady, do: cartPage},
	{name: "cart-pay", op: "GET /l/{slug} + POST /l/{slug} of the 5-item cart link, shipping address, test card, new payer",
		ready: cartReady, do: cartPay, client: payerClient, perWorkerClient: true},
	{name: "pay-proxied", op: "pay behind a proxy: kept-alive connections, payer in X-Forwarded-For", ready: payProxiedReady, do: payProxied},
	{name: "charge", op: "POST /tokens + POST /charges, test card", ready: chargeReady, do: charge},
	{name: "refund", op: "POST /tokens + POST /charges (capture=false) + POST /charges/{id}/capture + POST /charges/{id}/refunds",
		ready: chargeReady, do: captureRefund},
	{name: "v1-create", op: "POST /api/v1/payment_links + Idempotency-Key", ready: v1Ready("POST"), do: createV1},
	// Last: from here on one webhook endpoint is subscribed to every event.
	{name: "webhooks", op: "POST /links with one v1 endpoint subscribed to every event (compare: create)", ready: webhooksReady,
		do: create, after: webhooksNote},
	{name: "pay-hooked", op: "pay with one v1 endpoint subscribed to every event (compare: pay)", ready: func(ctx context.Context, c *http.Client, e *env) string {
		if why := webhooksReady(ctx, c, e); why != "" {
			return why
		}
		return payReady(ctx, c, e)
	}, do: pay, client: payerClient, perWorkerClient: true, after: webhooksNote},
}

// baselineScenario is the load the baseline server gets: the same closed
// loop as every scenario, on a fixed path.
func baselineScenario() scenario {
	return scenario{name: "baseline", op: "GET link-sized JSON, stdlib server", do: func(ctx context.Context, w *worker, e *env) error {
		return w.get(ctx, e.base+"/links/x", "", http.StatusOK, nil)
	}}
}

// get does one GET with the auth header (if any) and checks the status
// and, when want is set, that the body contains it.
func (w *worker) get(ctx context.Context, u, auth string, status int, want []byte) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	b, _, err := sendResp(w.client, req, status, &w.buf)
	if err == nil && want != nil && !bytes.Contains(b, want) {
		err = fmt.Errorf("GET %s: answer without %q: %.160q", req.URL.Path, want, b)
	}
	return err
}

// post sends a body and returns the response body when the status is want.
func (w *worker) post(ctx context.Context, u, auth, contentType, body string, status int, hdr http.Header) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header[k] = v
	}
	return sendResp(w.client, req, status, &w.buf)
}

// check returns why sc cannot run now, or "".
func (sc scenario) check(ctx context.Context, c *http.Client, e *env) string {
	if len(e.links) == 0 {
		return "no links preloaded"
	}
	if sc.ready == nil {
		return ""
	}
	return sc.ready(ctx, c, e)
}

func (e *env) randomLink(w *worker) linkRef { return e.links[w.rng.IntN(len(e.links))] }

var (
	objectLink = []byte(`"object":"link"`)
	objectList = []byte(`"object":"list"`)
)

func retrieve(ctx context.Context, w *worker, e *env) error {
	return w.get(ctx, e.base+"/links/"+e.randomLink(w).ID, e.secretAuth, http.StatusOK, objectLink)
}

// listOffset reads one Omise page of 20 at a random offset below
// min(links, --list-max-offset), in either order: the same pages cost the
// same whatever the size of the list, so a p99 that grows with it is the
// list's own cost (such as counting the total).
func listOffset(ctx context.Context, w *worker, e *env) error {
	off := w.rng.IntN(max(1, min(e.nLinks-20, e.maxOffset)))
	order := "chronological"
	if w.rng.IntN(2) == 0 {
		order = "reverse_chronological"
	}
	u := e.base + "/links?limit=20&offset=" + strconv.Itoa(off) + "&order=" + order
	return w.get(ctx, u, e.secretAuth, http.StatusOK, objectList)
}

// v1Cursor is a connection's walk through the v1 cursor pages.
type v1Cursor struct {
	after string
	left  int // pages still to follow before starting again
}

// listCursorV1 follows nextCursor for a random number of pages (up to 50),
// then starts again from the first page.
func listCursorV1(ctx context.Context, w *worker, e *env) error {
	cur, _ := w.state.(*v1Cursor)
	if cur == nil {
		cur = &v1Cursor{}
		w.state = cur
	}
	u := e.base + "/api/v1/payment_links?limit=20"
	if cur.after != "" {
		u += "&starting_after=" + url.QueryEscape(cur.after)
	} else {
		cur.left = w.rng.IntN(51)
	}
	if err := w.get(ctx, u, "Bearer "+e.secretKey, http.StatusOK, nil); err != nil {
		cur.after = ""
		return err
	}
	var page struct {
		HasMore    bool    `json:"hasMore"`
		NextCursor *string `json:"nextCursor"`
	}
	if err := json.Unmarshal(w.buf.Bytes(), &page); err != nil {
		cur.after = ""
		return fmt.Errorf("GET /api/v1/payment_links: %w", err)
	}
	cur.after = ""
	if page.HasMore && page.NextCursor != nil && cur.left > 0 {
		cur.after, cur.left = *page.NextCursor, cur.left-1
	}
	return nil
}

// v1Ready skips the v1 scenarios until the route answers something other
// than 404 or 405.
func v1Ready(method string) func(ctx context.Context, c *http.Client, e *env) string {
	return func(ctx context.Context, c *http.Client, e *env) string {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequestWithContext(ctx, method, e.base+"/api/v1/payment_links?limit=1", body)
		if err != nil {
			return err.Error()
		}
		req.Header.Set("Authorization", "Bearer "+e.secretKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return err.Error()
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return fmt.Sprintf("not implemented yet (%s /api/v1/payment_links answers %d)", method, resp.StatusCode)
		}
		return ""
	}
}

var created atomic.Int64

func create(ctx context.Context, w *worker, e *env) error {
	p := linkParams(int(created.Add(1)))
	form := url.Values{"amount": {strconv.FormatInt(p.Amount, 10)}, "currency": {"thb"},
		"title": {"Bench create " + strconv.Itoa(w.id)}, "description": {p.Description}}
	b, _, err := w.post(ctx, e.base+"/links", e.secretAuth, "application/x-www-form-urlencoded", form.Encode(), http.StatusOK, nil)
	if err == nil && !bytes.Contains(b, objectLink) {
		err = fmt.Errorf("POST /links: answer without %q: %.160q", objectLink, b)
	}
	return err
}

var (
	runID       = strconv.FormatInt(time.Now().UnixNano(), 36)
	idempotency atomic.Int64
)

func createV1(ctx context.Context, w *worker, e *env) error {
	n := idempotency.Add(1)
	body := `{"title":"Bench v1 ` + strconv.FormatInt(n, 10) + `","fiatAmount":"99.00","fiatCurrency":"THB"}`
	hdr := http.Header{"Idempotency-Key": {"bench-" + runID + "-" + strconv.FormatInt(n, 10)}}
	_, _, err := w.post(ctx, e.base+"/api/v1/payment_links", "Bearer "+e.secretKey, "application/json", body, http.StatusCreated, hdr)
	return err
}

func page(ctx context.Context, w *worker, e *env) error {
	return w.get(ctx, e.base+"/l/"+e.randomLink(w).Slug, "", http.StatusOK, nil)
}

func pageReady(ctx context.Context, c *http.Client, e *env) string {
	_, why := fetchPage(ctx, c, e, e.links[0].Slug)
	return why
}

// fetchPage GETs a hosted page and returns its body, or why it failed.
func fetchPage(ctx context.Context, c *http.Client, e *env, slug string) ([]byte, string) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/l/"+slug, nil)
	if err != nil {
		return nil, err.Error()
	}
	b, err := send(c, req, http.StatusOK)
	if err != nil {
		return nil, "the hosted page does not answer 200: " + err.Error()
	}
	return b, ""
}

func payReady(ctx context.Context, c *http.Client, e *env) string {
	if len(e.multi) == 0 {
		return "no multi-use link preloaded"
	}
	b, why := fetchPage(ctx, c, e, e.multi[0].Slug)
	if why != "" {
		return why
	}
	if _, ok := csrfField(b); !ok {
		return "the hosted page has no csrf field"
	}
	return ""
}

func payProxiedReady(ctx context.Context, c *http.Client, e *env) string {
	if !e.proxied {
		return "the server must trust 127.0.0.1 as its proxy: serve --trusted-proxies 127.0.0.1/32, and --proxied here"
	}
	return payReady(ctx, c, e)
}

var csrfAttr = []byte(`name="csrf" value="`)

// csrfField returns the CSRF token of a checkout page's form.
func csrfField(page []byte) (string, bool) {
	i := bytes.Index(page, csrfAttr)
	if i < 0 {
		return "", false
	}
	rest := page[i+len(csrfAttr):]
	j := bytes.IndexByte(rest, '"')
	if j <= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// payExpiry is a test card expiry three years ahead.
var payExpiry = fmt.Sprintf("12 / %02d", (time.Now().Year()+3)%100)

// pay is one payer: a new connection (from a new loopback address, as a
// new payer has one) opens the checkout page of a random multi-use link and
// pays it with a test card that succeeds; the answer is the 303 to the
// receipt.
func pay(ctx context.Context, w *worker, e *env) error {
	// The next payment is another payer, with a connection of its own.
	defer w.client.CloseIdleConnections()
	return payOnce(ctx, w, e, nil)
}

// payProxied is one payer behind a reverse proxy: the page and the payment
// come over the proxy's kept-alive connection, with the payer's own
// address in X-Forwarded-For (the server trusts 127.0.0.1 as its proxy).
func payProxied(ctx context.Context, w *worker, e *env) error {
	n := proxiedPayer.Add(1) % (2 * 256 * 254)
	ip := net.IPv4(198, byte(18+n/(256*254)), byte(n/254%256), byte(1+n%254)).String()
	return payOnce(ctx, w, e, http.Header{"X-Forwarded-For": {ip}})
}

// proxiedPayer numbers the addresses of payers behind the proxy, in
// 198.18.0.0/15 (set aside for benchmarks).
var proxiedPayer atomic.Uint32

// payOnce opens a random multi-use link's checkout page and pays it, each
// request with hdr.
func payOnce(ctx context.Context, w *worker, e *env, hdr http.Header) error {
	l := e.multi[w.rng.IntN(len(e.multi))]
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/l/"+l.Slug, nil)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	b, resp, err := sendResp(w.client, req, http.StatusOK, &w.buf)
	if err != nil {
		return err
	}
	token, ok := csrfField(b)
	if !ok {
		return fmt.Errorf("GET /l/%s: no csrf field", l.Slug)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "pl_csrf" {
			cookie = c
		}
	}
	if cookie == nil {
		return fmt.Errorf("GET /l/%s: no pl_csrf cookie", l.Slug)
	}
	form := url.Values{"csrf": {token}, "email": {"payer@example.com"}, "number": {"4242 4242 4242 4242"},
		"exp": {payExpiry}, "csc": {"123"}, "name": {"Bench Payer"}}
	post := http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}}
	for k, v := range hdr {
		post[k] = v
	}
	_, resp, err = w.post(ctx, e.base+"/l/"+l.Slug, "", "application/x-www-form-urlencoded", form.Encode(), http.StatusSeeOther, post)
	if err != nil {
		return err
	}
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/complete?") {
		return fmt.Errorf("POST /l/%s: redirected to %q, not the receipt", l.Slug, loc)
	}
	return nil
}

// payerAddr numbers the loopback source addresses of new payers.
var payerAddr atomic.Uint32

// payerClient returns a client whose every new connection comes from the
// next address of 127.16.0.0/12 (all of 127/8 is this machine's loopback),
// so that each payment is a distinct payer to the per-address attempt
// limits of the hosted page, as in a real flash sale.
func payerClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return newClient(conns, func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			return d.DialContext(ctx, network, addr)
		}
		n := payerAddr.Add(1) % (16 * 256 * 254)
		ip := net.IPv4(127, byte(16+n/(256*254)), byte(n/254%256), byte(1+n%254))
		dd := *d
		dd.LocalAddr = &net.TCPAddr{IP: ip}
		return dd.DialContext(ctx, "tcp4", addr)
	})
}

func chargeReady(ctx context.Context, c *http.Client, e *env) string {
	if e.publicAuth == "" {
		return "no public key (pass --public-key with --url)"
	}
	return ""
}

// testCardToken makes a token of a test card with the public key and
// returns its id.
func testCardToken(ctx context.Context, w *worker, e *env) (string, error) {
	exp := strconv.Itoa(time.Now().Year() + 3)
	form := url.Values{"card[name]": {"Bench Payer"}, "card[number]": {"4242424242424242"},
		"card[expiration_month]": {"12"}, "card[expiration_year]": {exp}, "card[security_code]": {"123"}}
	b, _, err := w.post(ctx, e.base+"/tokens", e.publicAuth, "application/x-www-form-urlencoded", form.Encode(), http.StatusOK, nil)
	if err != nil {
		return "", err
	}
	var tok struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.ID == "" {
		return "", fmt.Errorf("POST /tokens: no token id in %.160q", b)
	}
	return tok.ID, nil
}

// charge is an API payment: a token of a test card (public key), then a
// charge of it (secret key).
func charge(ctx context.Context, w *worker, e *env) error {
	tok, err := testCardToken(ctx, w, e)
	if err != nil {
		return err
	}
	form := url.Values{"amount": {"10000"}, "currency": {"thb"}, "card": {tok}}
	b, _, err := w.post(ctx, e.base+"/charges", e.secretAuth, "application/x-www-form-urlencoded", form.Encode(), http.StatusOK, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"status":"successful"`)) {
		return fmt.Errorf("POST /charges: not successful: %.160q", b)
	}
	return nil
}

// captureRefund is the charge lifecycle: a token, an authorization of it,
// its capture and a refund of part of it, each recorded before the
// processor is asked.
func captureRefund(ctx context.Context, w *worker, e *env) error {
	tok, err := testCardToken(ctx, w, e)
	if err != nil {
		return err
	}
	var obj struct {
		ID string `json:"id"`
	}
	form := url.Values{"amount": {"10000"}, "currency": {"thb"}, "card": {tok}, "capture": {"false"}}
	b, _, err := w.post(ctx, e.base+"/charges", e.secretAuth, "application/x-www-form-urlencoded", form.Encode(), http.StatusOK, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &obj); err != nil || obj.ID == "" || !bytes.Contains(b, []byte(`"status":"pending"`)) {
		return fmt.Errorf("POST /charges capture=false: not authorized: %.160q", b)
	}
	b, _, err = w.post(ctx, e.base+"/charges/"+obj.ID+"/capture", e.secretAuth, "application/x-www-form-urlencoded", "", http.StatusOK, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"status":"successful"`)) {
		return fmt.Errorf("POST /charges/{id}/capture: not captured: %.160q", b)
	}
	b, _, err = w.post(ctx, e.base+"/charges/"+obj.ID+"/refunds", e.secretAuth, "application/x-www-form-urlencoded", "amount=4000", http.StatusOK, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"object":"refund"`)) {
		return fmt.Errorf("POST /charges/{id}/refunds: no refund: %.160q", b)
	}
	return nil
}

// cartReady makes, once per run, the link cart-page and cart-pay use: five
// catalog prices (the first adjustable), a tax rate and a shipping rate,
// through the PriceBlocs API.
func cartReady(ctx context.Context, c *http.Client, e *env) string {
	if e.cartSlug != "" {
		return ""
	}
	create := func(path, body string) (map[string]any, string) {
		req, err := http.NewRequestWithContext(ctx, "POST", e.base+path, strings.NewReader(body))
		if err != nil {
			return nil, err.Error()
		}
		req.Header.Set("Authorization", e.secretAuth)
		req.Header.Set("Content-Type", "application/json")
		b, err := send(c, req, http.StatusOK)
		if err != nil {
			return nil, "POST " + path + ": " + err.Error() + " (a server without the PriceBlocs catalog?)"
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, "POST " + path + ": " + err.Error()
		}
		return obj, ""
	}
	var items []string
	for i := range 5 {
		prod, why := create("/v1/products", fmt.Sprintf(`{"name": "Bench item %d"}`, i+1))
		if why != "" {
			return why
		}
		price, why := create("/v1/prices", fmt.Sprintf(`{"product": %q, "unit_amount": %d, "currency": "usd"}`, prod["id"], 500+100*i))
		if why != "" {
			return why
		}
		item := fmt.Sprintf(`{"price": %q, "quantity": %d}`, price["id"], 1+i%2)
		if i == 0 {
			item = fmt.Sprintf(`{"price": %q, "quantity": 1, "adjustable_quantity": {"enabled": true, "maximum": 9}}`, price["id"])
		}
		items = append(items, item)
	}
	tax, why := create("/v1/tax-rates", `{"display_name": "Sales tax", "percentage": 8.875, "inclusive": false}`)
	if why != "" {
		return why
	}
	ship, why := create("/v1/shipping-rates", `{"display_name": "Courier", "fixed_amount": {"amount": 500, "currency": "usd"}}`)
	if why != "" {
		return why
	}
	link, why := create("/v1/payment-links", fmt.Sprintf(`{"line_items": [%s], "tax_rates": [%q],
		"shipping_options": [{"shipping_rate": %q}], "shipping_address_collection": {"allowed_countries": ["US"]},
		"allow_promotion_codes": true}`, strings.Join(items, ", "), tax["id"], ship["id"]))
	if why != "" {
		return why
	}
	slug, _ := link["short_id"].(string)
	if slug == "" {
		return "the payment link has no short_id"
	}
	b, why := fetchPage(ctx, c, e, slug)
	if why != "" {
		return why
	}
	if _, ok := csrfField(b); !ok {
		return "the cart page has no csrf field"
	}
	e.cartSlug = slug
	return ""
}

func cartPage(ctx context.Context, w *worker, e *env) error {
	return w.get(ctx, e.base+"/l/"+e.cartSlug, "", http.StatusOK, nil)
}

// cartPay is one payer of the cart link: a new connection opens its page
// and pays the total it shows, with a shipping address; the answer is the
// 303 to the receipt.
func cartPay(ctx context.Context, w *worker, e *env) error {
	defer w.client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/l/"+e.cartSlug, nil)
	if err != nil {
		return err
	}
	b, resp, err := sendResp(w.client, req, http.StatusOK, &w.buf)
	if err != nil {
		return err
	}
	token, ok := csrfField(b)
	if !ok {
		return fmt.Errorf("GET /l/%s: no csrf field", e.cartSlug)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "pl_csrf" {
			cookie = c
		}
	}
	if cookie == nil {
		return fmt.Errorf("GET /l/%s: no pl_csrf cookie", e.cartSlug)
	}
	form := url.Values{"csrf": {token}, "op": {"pay"}, "email": {"payer@example.com"}, "number": {"4242 4242 4242 4242"},
		"exp": {payExpiry}, "csc": {"123"}, "name": {"Bench Payer"}, "shipping_name": {"Bench Payer"},
		"shipping_line1": {"1 Main St"}, "shipping_city": {"Austin"}, "shipping_postal_code": {"78701"},
		"shipping_state": {"TX"}, "shipping_country": {"US"}}
	_, resp, err = w.post(ctx, e.base+"/l/"+e.cartSlug, "", "application/x-www-form-urlencoded", form.Encode(), http.StatusSeeOther,
		http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}})
	if err != nil {
		return err
	}
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/complete?") {
		return fmt.Errorf("POST /l/%s: redirected to %q, not the receipt", e.cartSlug, loc)
	}
	return nil
}
