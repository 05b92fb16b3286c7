package checkout_test

import (
	"net/http"
	"testing"

	"github.com/paylinks/paylinks/internal/service"
)

// BenchmarkPage renders a link's checkout page over real HTTP on SQLite.
func BenchmarkPage(b *testing.B) {
	e := newEnv(b, "sqlite", roomy, service.Options{})
	l := e.link(b, e.test, service.LinkParams{Amount: 25000, Description: "Oat milk, large"})
	c := browser(b)
	u := e.url + "/l/" + l.Slug
	b.ReportAllocs()
	for b.Loop() {
		if p := get(b, c, u, "Accept-Language", "th-TH,th;q=0.9"); p.status != http.StatusOK {
			b.Fatalf("status %d", p.status)
		}
	}
}

// BenchmarkPay makes full successful payments of a multi-use link over real
// HTTP on SQLite: CSRF check, validation, the simulator, the charge and its
// event written durably, and the 303 to the receipt.
func BenchmarkPay(b *testing.B) {
	e := newEnv(b, "sqlite", roomy, service.Options{})
	l := e.link(b, e.test, service.LinkParams{Amount: 25000, Multiple: true})
	c := browser(b)
	u := e.url + "/l/" + l.Slug
	form := payForm(csrfOf(b, get(b, c, u)), "4242424242424242")
	b.ReportAllocs()
	for b.Loop() {
		if p := post(b, c, u, form); p.status != http.StatusSeeOther {
			b.Fatalf("status %d", p.status)
		}
	}
}
