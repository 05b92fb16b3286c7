package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paylinks/paylinks/internal/browsertest"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// newBrowser starts headless Chromium for the test (see browsertest.New).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t)
}

// consoleErrors collects the errors and exceptions the page writes to its
// console, CSP violations and failed subresource loads included.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func watchConsole(ctx context.Context) *consoleErrors {
	ce := &consoleErrors{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// The pages' own statuses (410, 402, …) are logged by Chromium
			// as failed loads of the document; they are tested elsewhere.
			// Any other failed load (a subresource) is an error.
			if strings.HasPrefix(m.Text, "Failed to load resource") && strings.Contains(m.URL, "/l/") {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				ce.mu.Lock()
				ce.msgs = append(ce.msgs, m.String())
				ce.mu.Unlock()
			}
		}
	}()
	return ce
}

func (ce *consoleErrors) get() []string {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	return append([]string(nil), ce.msgs...)
}

// screenshot saves a full-page PNG into the test's temp dir, and into
// $PAYLINKS_SCREENSHOT_DIR too when it is set, for a human to look at.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, d := range []string{dir, os.Getenv("PAYLINKS_SCREENSHOT_DIR")} {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot %s (%d bytes)", filepath.Join(dir, name), len(png))
}

// text is the page's text once it has loaded completely ("" before: a
// half-parsed receipt must not be read as the whole of it).
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" && document.body ? document.body.innerText : ""`))
	if err != nil {
		return "" // navigating: the old document is gone
	}
	return s
}

// fill types a payment into the form like a payer: the script formats
// the number and the expiry as they are typed.
func fill(number, csc string) chromedp.Action[chromedp.Void] {
	exp := "12" + time.Now().AddDate(2, 0, 0).Format("06")
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID("number")),
		clear("email"),
		chromedp.SendKeys(chromedp.ID("email"), "payer@example.com"),
		clear("number"),
		chromedp.SendKeys(chromedp.ID("number"), number),
		clear("exp"),
		chromedp.SendKeys(chromedp.ID("exp"), exp),
		chromedp.SendKeys(chromedp.ID("csc"), csc),
		clear("name"),
		chromedp.SendKeys(chromedp.ID("name"), "Somchai Jaidee"),
	)
}

// clear empties an input, as a payer selecting its text and deleting it.
func clear(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.getElementById("` + id + `").value = ""`)
}

func waitText(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := text(t, ctx)
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("page never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserCheckout(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, "sqlite", roomy, service.Options{})
	dir := t.TempDir()
	console := watchConsole(ctx)

	single := e.link(t, e.test, service.LinkParams{Title: "Hot latte", Description: "Oat milk, large, extra shot.\nPick up at the counter.", Amount: 25000})
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/l/"+single.Slug), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	page := text(t, ctx)
	for _, want := range []string{"Acme Coffee", "Hot latte", "THB\u00a0250.00", "TEST MODE", "4242 4242 4242 4242"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	// The stylesheet applies: it is the only source of the page's colours.
	if bg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(243, 244, 247)" {
		t.Errorf("body background = %q, want the stylesheet's rgb(243, 244, 247)", bg)
	}
	screenshot(t, ctx, dir, "checkout.png")

	// Pay with 4242…: the script groups the digits as they are typed.
	if err := chromedp.Do(ctx, fill("4242424242424242", "123")); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("number"))); got != "4242 4242 4242 4242" {
		t.Errorf("typed number shows as %q, want it grouped", got)
	}
	if brand, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("pay").dataset.brand || ""`)); brand != "visa" {
		t.Errorf("brand = %q, want visa", brand)
	}
	screenshot(t, ctx, dir, "checkout-filled.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	receipt := waitText(t, ctx, "Payment successful")
	for _, want := range []string{"•••• 4242", "chrg_test_", "THB\u00a0250.00"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
	screenshot(t, ctx, dir, "receipt.png")

	// The used single-use link: the 410 page.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/l/"+single.Slug)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "This link has already been paid")
	screenshot(t, ctx, dir, "used.png")

	// A declining card: the page again with the message.
	multi := e.link(t, e.test, service.LinkParams{Title: "Donation", Amount: 0, Currency: "JPY", Multiple: true})
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/l/"+multi.Slug), chromedp.WaitVisible(chromedp.ID("amount")),
		chromedp.SendKeys(chromedp.ID("amount"), "1500"), fill("4111111111130012", "123"), chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	declined := waitText(t, ctx, "Your card was declined")
	if !strings.Contains(declined, "lost or stolen") {
		t.Errorf("decline page lacks the decline message:\n%s", declined)
	}
	screenshot(t, ctx, dir, "declined.png")

	// A payer-chosen amount, paid: the receipt shows it.
	if err := chromedp.Do(ctx, clear("amount"), chromedp.SendKeys(chromedp.ID("amount"), "1500"), fill("5555555555554444", "123"), chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	receipt = waitText(t, ctx, "Payment successful")
	if !strings.Contains(receipt, "¥1,500") || !strings.Contains(receipt, "•••• 4444") {
		t.Errorf("payer-amount receipt lacks ¥1,500 or the card:\n%s", receipt)
	}

	// A 360 px phone: nothing scrolls sideways.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(e.url+"/l/"+multi.Slug), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("page is %d px wide on a 360 px screen", w)
	}
	screenshot(t, ctx, dir, "checkout-360.png")

	time.Sleep(100 * time.Millisecond) // let the last console events arrive
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestBrowserSession pays a checkout session in the browser: the page has
// the merchant's cancel link, and success lands on the merchant's success
// URL with the session id added.
func TestBrowserSession(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, "sqlite", roomy, service.Options{})
	console := watchConsole(ctx)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>Shop</title><p>Thanks! session=%s path=%s</p>", r.URL.Query().Get("session_id"), r.URL.Path)
	}))
	t.Cleanup(merchant.Close)
	l := e.link(t, e.test, service.LinkParams{Title: "Pro plan", Amount: 9900, Currency: "USD", Multiple: true,
		SuccessURL: merchant.URL + "/thanks?plan=pro", CancelURL: merchant.URL + "/cart"})
	sess, err := e.svc.CreateSession(context.Background(), e.test, service.SessionParams{LinkID: &l.ID})
	if err != nil {
		t.Fatal(err)
	}
	sid := paylinks.FormatSessionID(sess.ID)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/c/"+sid), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	page := text(t, ctx)
	for _, want := range []string{"Pro plan", "$99.00", "Cancel and return to Acme Coffee"} {
		if !strings.Contains(page, want) {
			t.Errorf("session page lacks %q:\n%s", want, page)
		}
	}
	if href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("cancel").href`)); href != merchant.URL+"/cart" {
		t.Errorf("cancel link = %q, want %q", href, merchant.URL+"/cart")
	}
	screenshot(t, ctx, t.TempDir(), "session.png")
	if err := chromedp.Do(ctx, fill("4242424242424242", "123"), chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	landed := waitText(t, ctx, "Thanks!")
	if !strings.Contains(landed, "session="+sid) || !strings.Contains(landed, "path=/thanks") {
		t.Errorf("success page shows %q, want the merchant's /thanks with session_id=%s", landed, sid)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`))
	if !strings.Contains(loc, "plan=pro") {
		t.Errorf("success URL lost its own query: %q", loc)
	}
	// The paid session cannot be paid again.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/c/"+sid)); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx); strings.Contains(s, "Card number") {
		t.Errorf("a completed session still shows the card form:\n%s", s)
	}
	time.Sleep(100 * time.Millisecond)
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
