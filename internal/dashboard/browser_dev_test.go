package dashboard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// TestBrowserSettingsAndSecurity: in Chromium, an owner saves the
// business name and brand colour from the Settings page; the checkout
// page then shows the name, draws the logo and paints the pay button in
// the colour, with no CSP violation; the Security page shows the QR code
// of a two-step set-up; the new pages fit 360 px; no console errors.
func TestBrowserSettingsAndSecurity(t *testing.T) {
	ctx := newChrome(t)
	env := servertest.New(t, "sqlite")
	console := watchConsole(ctx)
	dir := t.TempDir()
	bg := context.Background()
	_, token, err := env.Service.CreateUser(bg, service.UserParams{Account: "acme", Email: "owner@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.SetPassword(bg, token, password); err != nil {
		t.Fatal(err)
	}
	pr := paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}
	if _, err := env.Service.SetAccountLogo(bg, pr, testPNG(t)); err != nil {
		t.Fatal(err)
	}
	l, err := env.Service.CreateLink(bg, pr, service.LinkParams{Title: "Beans", Amount: 25000, Currency: "THB"})
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/signin"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "owner@example.com"), chromedp.SendKeys(chromedp.ID("password"), password+"\r")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Beans")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="/dashboard/settings"]`)), chromedp.WaitVisible(chromedp.ID("business_name")),
		chromedp.SendKeys(chromedp.ID("business_name"), "Acme Coffee Roasters"),
		chromedp.SendKeys(chromedp.ID("brand_color"), "#0a7d5a"),
		chromedp.Submit(chromedp.ID("business_name"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Settings saved")
	screenshot(t, ctx, dir, "dashboard-settings-1280.png")

	// The checkout page, branded.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/l/"+l.Slug), chromedp.WaitVisible(chromedp.ID("submit"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Acme Coffee Roasters")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const i = document.querySelector("img.brand-logo");
		return [i && i.complete ? String(i.naturalWidth) : "0", getComputedStyle(document.getElementById("submit")).backgroundColor]; })()`))
	if err != nil || len(got) != 2 || got[0] != "40" || got[1] != "rgb(10, 125, 90)" {
		t.Errorf("checkout logo width and button colour: %v (%v), want 40 and rgb(10, 125, 90)", got, err)
	}
	screenshot(t, ctx, dir, "checkout-branded-1280.png")

	// Two-step set-up shows its QR code.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/dashboard/security"), chromedp.WaitVisible(chromedp.CSS(`form[action="/dashboard/security/totp"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/security/totp"] button`)), chromedp.WaitVisible(chromedp.ID("totp-secret"))); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector(".qr-enrol svg").getBoundingClientRect().width`)); w < 150 {
		t.Errorf("enrolment QR code is %v px wide, want a visible code", w)
	}
	screenshot(t, ctx, dir, "dashboard-security-1280.png")

	for _, path := range []string{"/dashboard/security", "/dashboard/settings", "/dashboard/developers/keys", "/dashboard/developers/webhooks", "/dashboard/developers/events"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(env.URL+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		if w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 360 {
			t.Errorf("%s at 360 px is %v px wide", path, w)
		}
		screenshot(t, ctx, dir, "dashboard"+strings.ReplaceAll(path[len("/dashboard"):], "/", "-")+"-360.png")
	}
	if errs := console.get(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
