package checkout_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paylinks/paylinks/internal/service"
)

// TestBrowserPriceChanged: a payer has a link's page open in the browser
// and fills the form; the merchant PATCHes the price through the v1 API;
// the payer submits. The page comes back with the new price and a notice,
// the card number field empty with its last four beside it, and nothing
// was charged; paying again pays the new price.
func TestBrowserPriceChanged(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, "sqlite", roomy, service.Options{})
	console := watchConsole(ctx)
	m := e.merchant(t)
	id, path := m.link(`{"title": "Pro plan", "description": "One month of everything.", "fiatAmount": "10.00"}`)
	slug := strings.TrimPrefix(path, "/l/")

	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+path), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	if page := text(t, ctx); !strings.Contains(page, "Pay $10.00") {
		t.Fatalf("page lacks Pay $10.00:\n%s", page)
	}
	if err := chromedp.Do(ctx, fill("5555555555554444", "123")); err != nil {
		t.Fatal(err)
	}
	m.do("PATCH", "/payment_links/"+id, `{"fiatAmount": "999.00"}`, http.StatusOK)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	shown := waitText(t, ctx, "The price has changed")
	for _, want := range []string{"The price of this link changed from $10.00 to $999.00. Check the new price and pay again. Nothing was charged.",
		"$999.00", "Pay $999.00", "Mastercard card ending in 4444"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the page after the change lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(shown, "Pay $10.00") {
		t.Errorf("the page still offers the old price:\n%s", shown)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("number"))); n != "" {
		t.Errorf("number field = %q, want it empty", n)
	}
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	noCardNumber(t, "409 page", page{status: http.StatusConflict, body: html}, "5555555555554444")
	if cs := e.charges(t, slug); len(cs) != 0 {
		t.Fatalf("the submitted form charged: %+v", cs)
	}
	screenshot(t, ctx, t.TempDir(), "price-changed.png")

	// The payer checks the new price and pays it.
	if err := chromedp.Do(ctx, fill("5555555555554444", "123"), chromedp.Click(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	receipt := waitText(t, ctx, "Payment successful")
	if !strings.Contains(receipt, "$999.00") {
		t.Errorf("receipt lacks $999.00:\n%s", receipt)
	}
	if cs := e.charges(t, slug); len(cs) != 1 || cs[0].Amount != 99900 {
		t.Errorf("charges = %+v, want one of 999.00", cs)
	}
	time.Sleep(100 * time.Millisecond)
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
