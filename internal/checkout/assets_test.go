package checkout_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/service"
)

var (
	stylesheetRE = regexp.MustCompile(`<link rel="stylesheet" href="(/assets/checkout\.([0-9a-f]{16})\.css)">`)
	scriptRE     = regexp.MustCompile(`<script src="(/assets/checkout\.([0-9a-f]{16})\.js)" defer></script>`)
	// inlineRE finds what a CSP without 'unsafe-inline' would block: an
	// inline style or script element, a style attribute, an event handler
	// attribute, a javascript: URL.
	inlineRE = regexp.MustCompile(`(?i)<style|<script(?:\s[^>]*)?>[^<]|<script(?:\s+(?:defer|async))*>|\sstyle=|\son[a-z]+=|javascript:`)
)

// TestPageAssets follows the stylesheet and script of each kind of page:
// they resolve, carry the content's hash in their name, are cacheable
// forever and typed, and answer 304 to the browser that has them. No page
// has inline style or script.
func TestPageAssets(t *testing.T) {
	e := newEnv(t, "sqlite", roomy, service.Options{})
	l := e.link(t, e.test, service.LinkParams{Amount: 10000, Multiple: true})
	c := browser(t)
	checkout := get(t, c, e.url+"/l/"+l.Slug)
	p := post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, checkout), "4242424242424242"))
	receipt := get(t, c, e.url+p.header.Get("Location"))
	pages := []struct {
		name       string
		page       page
		wantScript bool
	}{
		{"checkout", checkout, true},
		{"declined", post(t, c, e.url+"/l/"+l.Slug, payForm(csrfOf(t, checkout), "4111111111140011")), true},
		{"receipt", receipt, false},
		{"not found", get(t, c, e.url+"/l/no-such-link"), false},
	}
	seen := map[string]bool{}
	for _, pg := range pages {
		if m := inlineRE.FindString(pg.page.body); m != "" {
			t.Errorf("%s page: inline style or script %q", pg.name, m)
		}
		css := stylesheetRE.FindStringSubmatch(pg.page.body)
		if css == nil {
			t.Errorf("%s page: no stylesheet link", pg.name)
		} else if !seen[css[1]] {
			seen[css[1]] = true
			testAsset(t, e.url, css[1], css[2], "checkout.css", "text/css; charset=utf-8")
		}
		js := scriptRE.FindStringSubmatch(pg.page.body)
		if n := strings.Count(pg.page.body, "<script"); (js != nil) != pg.wantScript || n != len(js)/3 {
			t.Errorf("%s page: %d scripts, script link %q; want the script: %v", pg.name, n, js, pg.wantScript)
		} else if js != nil && !seen[js[1]] {
			seen[js[1]] = true
			testAsset(t, e.url, js[1], js[2], "checkout.js", "text/javascript; charset=utf-8")
		}
	}
	if len(seen) != 2 {
		t.Errorf("pages link %d distinct assets, want 2 (one stylesheet, one script)", len(seen))
	}

	for _, u := range []string{"/assets/checkout.0000000000000000.css", "/assets/checkout.css", "/assets/checkout.js",
		"/assets/layout.html", "/assets/..%2ftemplates%2flayout.html", "/assets/"} {
		p := get(t, c, e.url+u)
		if p.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", u, p.status)
		}
		if p.header.Get("Cache-Control") == "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: a 404 is cacheable forever", u)
		}
	}
}

// testAsset checks one asset URL against the file it is built from.
func testAsset(t *testing.T, base, u, hash, file, contentType string) {
	t.Helper()
	want, err := os.ReadFile(path.Join("assets", file))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if h := hex.EncodeToString(sum[:]); !strings.HasPrefix(h, hash) {
		t.Errorf("%s: the name's hash is not the content's (sha256 %s)", u, h)
	}
	c := browser(t)
	p := get(t, c, base+u)
	if p.status != http.StatusOK || p.body != string(want) {
		t.Fatalf("GET %s: status %d, %d bytes; want 200 with assets/%s (%d bytes)", u, p.status, len(p.body), file, len(want))
	}
	for h, want := range map[string]string{"Content-Type": contentType, "Cache-Control": "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff", "ETag": `"` + hash + `"`} {
		if got := p.header.Get(h); got != want {
			t.Errorf("GET %s: %s = %q, want %q", u, h, got, want)
		}
	}
	if p.header.Get("Set-Cookie") != "" {
		t.Errorf("GET %s sets a cookie", u)
	}
	for _, inm := range []string{`"` + hash + `"`, `W/"` + hash + `"`, `"other", "` + hash + `"`, "*"} {
		p := get(t, c, base+u, "If-None-Match", inm)
		if p.status != http.StatusNotModified || p.body != "" || p.header.Get("ETag") != `"`+hash+`"` {
			t.Errorf("GET %s with If-None-Match %s: status %d, %d bytes, ETag %q; want 304 with the ETag, no body",
				u, inm, p.status, len(p.body), p.header.Get("ETag"))
		}
	}
	if p := get(t, c, base+u, "If-None-Match", `"0000000000000000"`); p.status != http.StatusOK || p.body != string(want) {
		t.Errorf("GET %s with another ETag: status %d, want 200 with the asset", u, p.status)
	}
	req, _ := http.NewRequest("HEAD", base+u, nil)
	if p := do(t, c, req); p.status != http.StatusOK || p.body != "" || p.header.Get("Content-Type") != contentType {
		t.Errorf("HEAD %s: status %d, %d bytes, type %q; want 200, no body", u, p.status, len(p.body), p.header.Get("Content-Type"))
	}
}
