package dashboard_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/service"
)

// upload posts a multipart form with the file as "logo" and the CSRF
// token of the page at from.
func (b *browser) upload(from, action, name string, file []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf(from))
	fw, _ := mw.CreateFormFile("logo", name)
	fw.Write(file)
	mw.Close()
	resp, err := b.c.Post(b.base+action, mw.FormDataContentType(), &body)
	if err != nil {
		b.t.Fatalf("POST %s: %v", action, err)
	}
	return read(b.t, resp)
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{10, 125, 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSettingsBranding: an owner sets the business name, colour, support
// contacts and logo; bad values are refused beside their field, a logo
// that is not an image (or is an SVG) is refused; the checkout page and
// receipt show the branding, and the logo is served from the database
// under its checked type. A viewer and a form without its CSRF token are
// refused.
func TestSettingsBranding(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			env, _ := newEnv(t, backend)
			ctx := context.Background()
			pr := paylinks.Principal{AccountID: env.Account.ID, Kind: paylinks.KeySecret}
			l, err := env.Service.CreateLink(ctx, pr, service.LinkParams{Title: "Beans", Amount: 25000, Currency: "THB"})
			if err != nil {
				t.Fatal(err)
			}
			owner := newUser(t, env, "acme", "owner@example.com", paylinks.RoleOwner)
			viewer := newUser(t, env, "acme", "viewer@example.com", paylinks.RoleViewer)
			const settings = "/dashboard/settings"
			good := url.Values{"business_name": {"Acme Coffee Roasters"}, "brand_color": {"#0A7D5A"}, "support_email": {"help@acme.example"},
				"support_url": {"https://acme.example/help"}, "default_currency": {"jpy"}}

			for field, bad := range map[string]string{"brand_color": "green", "support_email": "not an email", "support_url": "javascript:alert(1)",
				"default_currency": "QQQ", "business_name": strings.Repeat("x", 101)} {
				f := url.Values{}
				for k, v := range good {
					f[k] = v
				}
				f.Set(field, bad)
				if p := owner.submit(settings, settings, f); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="`+field+`-err"`) {
					t.Errorf("settings with %s=%q: %d, want 400 with the error beside the field", field, bad, p.status)
				}
			}
			// Refused: without the CSRF token, and from a viewer.
			if p := owner.post(settings, good); p.status != http.StatusForbidden {
				t.Errorf("settings without CSRF token: %d, want 403", p.status)
			}
			if p := viewer.get(settings); p.status != http.StatusForbidden {
				t.Errorf("viewer GET settings: %d, want 403", p.status)
			}
			if p := viewer.submit("/dashboard/links", settings, good); p.status != http.StatusForbidden {
				t.Errorf("viewer POST settings: %d, want 403", p.status)
			}
			if p := viewer.upload("/dashboard/links", settings+"/logo", "logo.png", testPNG(t)); p.status != http.StatusForbidden {
				t.Errorf("viewer uploads a logo: %d, want 403", p.status)
			}
			if st, err := env.Service.AccountSettings(ctx, pr); err != nil || st.BusinessName != "" || st.LogoType != "" {
				t.Fatalf("settings after refused forms: %+v, %v; want none", st, err)
			}
			if p := owner.get("/dashboard/links/new"); !strings.Contains(p.body, `value="THB"`) {
				t.Errorf("new link form without a default currency: want THB")
			}
			if p := newBrowser(t, env.URL).get("/l/" + l.Slug); !strings.Contains(p.body, ">acme<") {
				t.Errorf("checkout page without settings: want the account's name")
			}

			wantRedirect(t, owner.submit(settings, settings, good), http.StatusSeeOther, settings+"?saved=1")
			p := owner.get(settings)
			for _, want := range []string{`value="Acme Coffee Roasters"`, `value="#0a7d5a"`, `value="JPY"`, `value="help@acme.example"`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("settings page after saving: lacks %s", want)
				}
			}

			// The new link form starts with the default currency.
			if p := owner.get("/dashboard/links/new"); !strings.Contains(p.body, `name="currency" required maxlength="3" autocapitalize="characters" value="JPY"`) {
				t.Errorf("new link form after setting JPY as the default currency: want JPY\n%s", p.body)
			}
			// Logos: checked by content, whatever the file is called.
			for _, tc := range []struct {
				name string
				data []byte
				want string
			}{
				{"logo.png", []byte("this is plain text, not a picture"), "must be a PNG or JPEG image"},
				{"logo.png", []byte("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"), "SVG logos are not accepted"},
				{"logo.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...), "could not be read"},
				{"logo.png", append(testPNG(t), make([]byte, service.MaxLogoBytes)...), "at most 256 KB"},
				{"logo.png", nil, "choose a PNG or JPEG"},
			} {
				p := owner.upload(settings, settings+"/logo", tc.name, tc.data)
				if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) || !strings.Contains(p.body, `id="logo-err"`) {
					t.Errorf("upload %q…: %d, want 400 saying %q\n%s", tc.data[:min(len(tc.data), 12)], p.status, tc.want, p.body)
				}
			}
			if _, _, err := env.Service.AccountLogo(ctx, env.Account.ID); paylinks.KindOf(err) != paylinks.KindNotFound {
				t.Fatalf("logo after refused uploads: %v, want none", err)
			}
			logo := testPNG(t)
			wantRedirect(t, owner.upload(settings, settings+"/logo", "whatever.gif", logo), http.StatusSeeOther, settings+"?saved=logo")

			// The checkout page shows the branding.
			payer := newBrowser(t, env.URL)
			co := payer.get("/l/" + l.Slug)
			logoURL := regexp.MustCompile(`<img class="brand-logo" src="(/brand/[0-9a-z]+/logo\?v=[0-9a-f]+)" alt="Acme Coffee Roasters"`).FindStringSubmatch(co.body)
			if co.status != http.StatusOK || logoURL == nil || !strings.Contains(co.body, "<span>Acme Coffee Roasters</span>") ||
				!strings.Contains(co.body, `href="/assets/brand/0a7d5a.css"`) || !strings.Contains(co.body, "mailto:help@acme.example") ||
				strings.Contains(co.body, ">acme<") {
				t.Fatalf("checkout page: want the business name, logo, brand stylesheet and support email\n%s", co.body)
			}
			if csp := co.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") || !strings.Contains(csp, "style-src 'self'") {
				t.Errorf("checkout CSP %q: want images and styles from this site only", csp)
			}
			lp := payer.get(logoURL[1])
			if lp.status != http.StatusOK || lp.header.Get("Content-Type") != "image/png" || lp.header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(lp.header.Get("Content-Security-Policy"), "default-src 'none'") || lp.body != string(logo) {
				t.Errorf("logo: %d %q nosniff=%q CSP=%q, %d bytes; want the uploaded PNG", lp.status, lp.header.Get("Content-Type"),
					lp.header.Get("X-Content-Type-Options"), lp.header.Get("Content-Security-Policy"), len(lp.body))
			}
			css := payer.get("/assets/brand/0a7d5a.css")
			if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, "background:#0a7d5a") {
				t.Errorf("brand stylesheet: %d %q %s", css.status, css.header.Get("Content-Type"), css.body)
			}
			for _, bad := range []string{"/assets/brand/zzzzzz.css", "/assets/brand/0a7d5a;x.css", "/brand/" + paylinks.FormatBase36(env.Other.ID) + "/logo"} {
				if p := payer.get(bad); p.status != http.StatusNotFound {
					t.Errorf("GET %s: %d, want 404", bad, p.status)
				}
			}
			// The receipt too: pay through the page's form.
			form := url.Values{"csrf": {csrfRE.FindStringSubmatch(co.body)[1]}, "email": {"payer@example.com"}, "number": {"4242424242424242"},
				"exp": {"12 / " + time.Now().AddDate(2, 0, 0).Format("06")}, "csc": {"123"}, "name": {"Somchai Jaidee"}}
			paid := payer.post("/l/"+l.Slug, form)
			if paid.status != http.StatusSeeOther || !strings.HasPrefix(paid.header.Get("Location"), "/l/"+l.Slug+"/complete") {
				t.Fatalf("pay: %d %q, want a redirect to the receipt\n%s", paid.status, paid.header.Get("Location"), paid.body)
			}
			rc := payer.get(paid.header.Get("Location"))
			if rc.status != http.StatusOK || !strings.Contains(rc.body, "Acme Coffee Roasters has received your payment") ||
				!strings.Contains(rc.body, logoURL[1]) || !strings.Contains(rc.body, "mailto:help@acme.example") {
				t.Errorf("receipt: want the business name, logo and support email\n%s", rc.body)
			}
			// Removing the logo takes it off the page.
			wantRedirect(t, owner.submit(settings, settings+"/logo/remove", url.Values{}), http.StatusSeeOther, settings+"?saved=nologo")
			if p := payer.get(logoURL[1]); p.status != http.StatusNotFound {
				t.Errorf("logo after removal: %d, want 404", p.status)
			}
		})
	}
}
