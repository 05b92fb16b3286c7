package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paylinks/paylinks/internal/browsertest"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// newChrome starts headless Chromium for the test (see browsertest.New).
func newChrome(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t)
}

// consoleErrors collects console errors and exceptions (CSP violations
// included: an inline style without the nonce would be one).
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

// screenshot saves a full-page PNG into dir, and into
// $PAYLINKS_SCREENSHOT_DIR too when it is set, for a human to look at.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	for _, d := range []string{dir, os.Getenv("PAYLINKS_SCREENSHOT_DIR")} {
		if d != "" {
			if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func bodyText(ctx context.Context) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return ""
	}
	return s
}

func waitText(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := bodyText(ctx)
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("page never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserDashboard: a new owner sets a password through the setup
// link, signs in, creates a link, sees its QR code and share URL, and sees
// the link's payment on the payments page, at 1280 and 360 px.
func TestBrowserDashboard(t *testing.T) {
	ctx := newChrome(t)
	env := servertest.New(t, "sqlite")
	console := watchConsole(ctx)
	dir := t.TempDir()
	_, token, err := env.Service.CreateUser(context.Background(), service.UserParams{Account: "acme", Email: "owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}

	// Set a password through the setup link.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/setup?token="+token), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), password), chromedp.SendKeys(chromedp.ID("confirm"), password),
		chromedp.Submit(chromedp.ID("password"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Your password is set")
	screenshot(t, ctx, dir, "dashboard-signin-1280.png")

	// Sign in with the keyboard only: type, Enter.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password+"\r")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "No links yet")
	// The stylesheet (inline, allowed by its nonce) applies.
	if bg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(243, 244, 247)" {
		t.Errorf("body background = %q, want the stylesheet's rgb(243, 244, 247)", bg)
	}

	// Create a link.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/dashboard/links/new"]`)), chromedp.WaitVisible(chromedp.ID("title")),
		chromedp.SendKeys(chromedp.ID("title"), "Pottery class"),
		chromedp.SendKeys(chromedp.ID("description"), "Two hours, clay included."),
		chromedp.SendKeys(chromedp.ID("amount"), "1250.00"),
		chromedp.Submit(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	page := waitText(t, ctx, "Payment page")
	for _, want := range []string{"Pottery class", "1250.00 THB", "Download the QR code"} {
		if !strings.Contains(page, want) {
			t.Errorf("link page lacks %q:\n%s", want, page)
		}
	}
	// The QR code is drawn: an SVG of many modules, laid out at its size.
	qr, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const q = document.querySelector("svg.qr"); if (!q) return [0, 0];
		const r = q.getBoundingClientRect(); return [r.width, q.querySelector("path").getAttribute("d").split("M").length - 1]; })()`))
	if err != nil || len(qr) != 2 || qr[0] < 150 || qr[1] < 200 {
		t.Errorf("QR code: width and modules %v (%v), want a visible code of hundreds of modules", qr, err)
	}
	share, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("share-url")))
	if err != nil || !strings.HasPrefix(share, env.URL+"/l/") {
		t.Fatalf("share URL %q (%v), want %s/l/…", share, err, env.URL)
	}
	screenshot(t, ctx, dir, "dashboard-link-1280.png")

	// Pay it (as a payer would through the share URL), then see it.
	card := service.CardInput{Number: "4242424242424242", SecurityCode: "123", Name: "N", ExpirationMonth: 12, ExpirationYear: time.Now().Year() + 2}
	if _, _, err := env.Service.PayLink(context.Background(), service.PayParams{Slug: strings.TrimPrefix(share, env.URL+"/l/"),
		Card: card, Email: "payer@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/dashboard/payments"]`))); err != nil {
		t.Fatal(err)
	}
	page = waitText(t, ctx, "payer@example.com")
	for _, want := range []string{"1250.00 THB", "successful", "4242"} {
		if !strings.Contains(page, want) {
			t.Errorf("payments page lacks %q:\n%s", want, page)
		}
	}
	screenshot(t, ctx, dir, "dashboard-payments-1280.png")

	// At 360 px nothing overflows sideways.
	for _, path := range []string{"/dashboard/payments", "/dashboard/links"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(env.URL+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		if w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 360 {
			t.Errorf("%s at 360 px is %v px wide", path, w)
		}
	}
	screenshot(t, ctx, dir, "dashboard-links-360.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/payments"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "dashboard-payments-360.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`td a`)), chromedp.WaitVisible(chromedp.ID("amount"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "dashboard-payment-360.png")
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
