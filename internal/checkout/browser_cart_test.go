package checkout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// TestBrowserCart buys the 2-item cart in Chromium, once with JavaScript
// (the totals change in place) and once without (the Update button): + on
// the mug, the SAVE10 code, express shipping, the tax line, the test card,
// the merchant's success URL; then the session's breakdown through GET
// /api/v1/checkout_sessions/{id} is the one the page showed. Screenshots
// at 1280 and 360 px; no console errors.
func TestBrowserCart(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, "sqlite", roomy, service.Options{})
	dir := t.TempDir()
	console := watchConsole(ctx)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>Shop</title><p>Thanks! session=%s</p>", r.URL.Query().Get("session_id"))
	}))
	t.Cleanup(merchant.Close)
	f := newCartLink(t, e, 0, merchant.URL+"/thanks")
	key := servertest.MustKey(t, e.svc, e.test.AccountID, false, paylinks.KeySecret)
	u := e.url + "/l/" + f.link.Slug

	totalIs := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("sum-total").textContent`))
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("total shows %q, want %q; the page:\n%s", got, want, text(t, ctx))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	address := chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("shipping_name"), "Somchai Jaidee"),
		chromedp.SendKeys(chromedp.ID("shipping_line1"), "99 Sukhumvit Rd"),
		chromedp.SendKeys(chromedp.ID("shipping_city"), "Bangkok"),
		chromedp.SendKeys(chromedp.ID("shipping_postal_code"), "10110"),
		chromedp.SetValue(chromedp.ID("shipping_country"), "TH"),
	)
	shown := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, k := range []string{"subtotal", "discount", "shipping", "tax", "total"} {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("sum-`+k+`").textContent`))
			if err != nil {
				t.Fatal(err)
			}
			out[k] = strings.TrimPrefix(v, "−")
		}
		return out
	}
	pay := func(what string) {
		t.Helper()
		before := shown()
		if err := chromedp.Do(ctx, fill("4242424242424242", "123"), chromedp.Click(chromedp.ID("submit"))); err != nil {
			t.Fatal(err)
		}
		waitText(t, ctx, "Thanks!")
		loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		lu, err := url.Parse(loc)
		if err != nil || !strings.HasPrefix(loc, merchant.URL+"/thanks") {
			t.Fatalf("%s: landed on %q", what, loc)
		}
		req, _ := http.NewRequest("GET", e.url+"/api/v1/checkout_sessions/"+lu.Query().Get("session_id"), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct {
			Cart struct {
				Breakdown map[string]string `json:"breakdown"`
				LineItems []struct {
					Quantity int64 `json:"quantity"`
				} `json:"lineItems"`
			} `json:"cart"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: GET session: %d %v", what, resp.StatusCode, err)
		}
		for k, v := range before {
			if "$"+s.Cart.Breakdown[k] != v {
				t.Errorf("%s: %s shown %s, recorded %s", what, k, v, s.Cart.Breakdown[k])
			}
		}
		if len(s.Cart.LineItems) != 2 || s.Cart.LineItems[0].Quantity != 2 {
			t.Errorf("%s: line items %+v", what, s.Cart.LineItems)
		}
	}

	// With JavaScript: every change prices the cart in place.
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	page := text(t, ctx)
	for _, want := range []string{"Merch bundle", "Enamel mug", "Logo tee", "VAT 7%", "Standard", "Express", "$64.20"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if vis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("update")).display !== "none"`)); vis {
		t.Error("the Update button shows although the script runs")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("inc-0"))); err != nil {
		t.Fatal(err)
	}
	totalIs("$80.25")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("promotion_code"), "SAVE10"), chromedp.Click(chromedp.ID("apply"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Applied: SAVE10")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[value="`+f.express.ID.String()+`"]`))); err != nil {
		t.Fatal(err)
	}
	totalIs("$83.46")
	if tax, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("row-tax").hidden ? "" : document.getElementById("row-tax").innerText`)); !strings.Contains(tax, "VAT 7%") || !strings.Contains(tax, "$5.46") {
		t.Errorf("tax line shows %q", tax)
	}
	if err := chromedp.Do(ctx, address); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "cart-1280.png")
	pay("with JavaScript")

	// A 360 px phone: nothing scrolls sideways.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("cart page is %d px wide on a 360 px screen", w)
	}
	screenshot(t, ctx, dir, "cart-360.png")

	// Without JavaScript: each button posts the form and the page comes
	// back priced.
	noJS := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), noJS, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("update"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("inc-0"))); err != nil {
		t.Fatal(err)
	}
	totalIs("$80.25")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("promotion_code")), chromedp.SendKeys(chromedp.ID("promotion_code"), "SAVE10"),
		chromedp.Click(chromedp.ID("apply"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Applied: SAVE10")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("update")), chromedp.Click(chromedp.CSS(`input[value="`+f.express.ID.String()+`"]`)),
		chromedp.Click(chromedp.ID("update"))); err != nil {
		t.Fatal(err)
	}
	totalIs("$83.46")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("number")), address); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "cart-nojs.png")
	pay("without JavaScript")

	time.Sleep(100 * time.Millisecond)
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
