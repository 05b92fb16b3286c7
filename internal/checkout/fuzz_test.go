package checkout

import (
	"net/url"
	"testing"

	"github.com/paylinks/paylinks"
)

// FuzzPayForm feeds arbitrary form bodies to the checkout form decoder: it
// never panics, and what it accepts is in range.
func FuzzPayForm(f *testing.F) {
	for _, s := range []string{
		"csrf=x&email=a%40example.com&number=4242+4242+4242+4242&exp=12+%2F+30&csc=123&name=A+B&amount=100.50",
		"amount=1%2C250.50&exp=1230", "amount=10%2C5&exp=12%2F2030", "exp=%2F&amount=.", "amount=-1&exp=00%2F00",
		"amount=99999999999999999999999&exp=1-2", "number=%00%FF&exp=%EF%BC%91%EF%BC%92%2F30",
	} {
		f.Add(s, "THB")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, body, currency string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cur, ok := paylinks.NormalizeCurrency(currency)
		if !ok {
			cur = "THB"
		}
		l := &paylinks.Link{Slug: "s", Currency: cur}
		_, pp, edge := decodePayForm(form, l.Amount, l.Currency)
		if _, bad := edge["amount"]; !bad && pp.Amount <= 0 {
			t.Errorf("accepted amount %d from %q", pp.Amount, form.Get("amount"))
		}
		if _, bad := edge["exp"]; !bad && (pp.Card.ExpirationMonth < 1 || pp.Card.ExpirationMonth > 12 || pp.Card.ExpirationYear < 2000) {
			t.Errorf("accepted expiry %d/%d from %q", pp.Card.ExpirationMonth, pp.Card.ExpirationYear, form.Get("exp"))
		}
		l.Amount = 5000
		if _, pp, _ := decodePayForm(form, l.Amount, l.Currency); pp.Amount != 0 {
			t.Errorf("a fixed-amount link took the payer's amount %d", pp.Amount)
		}
	})
}

// FuzzParseAmount checks that an accepted amount survives a round trip
// through its canonical decimal form.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1,000.25", "10,50", "1 000", "0.001", "1e3", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cur := range []string{"THB", "JPY", "KWD"} {
			n, ok := ParseAmount(s, cur)
			if !ok {
				continue
			}
			back, ok := ParseAmount(paylinks.FormatDecimal(n, cur), cur)
			if !ok || back != n {
				t.Errorf("ParseAmount(%q, %s) = %d, but its decimal form parses to %d, %v", s, cur, n, back, ok)
			}
		}
	})
}
