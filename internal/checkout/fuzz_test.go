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
		f.Add(s, "THB", "en")
		f.Add(s, "JPY", "de")
	}
	f.Fuzz(func(t *testing.T, body, currency, lang string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cur, ok := paylinks.NormalizeCurrency(currency)
		if !ok {
			cur = "THB"
		}
		l := &paylinks.Link{Slug: "s", Currency: cur}
		_, pp, edge := decodePayForm(form, l.Amount, l.Currency, lang)
		if _, bad := edge["amount"]; !bad && pp.Amount <= 0 {
			t.Errorf("accepted amount %d from %q", pp.Amount, form.Get("amount"))
		}
		if _, bad := edge["exp"]; !bad && (pp.Card.ExpirationMonth < 1 || pp.Card.ExpirationMonth > 12 || pp.Card.ExpirationYear < 2000) {
			t.Errorf("accepted expiry %d/%d from %q", pp.Card.ExpirationMonth, pp.Card.ExpirationYear, form.Get("exp"))
		}
		l.Amount = 5000
		if _, pp, _ := decodePayForm(form, l.Amount, l.Currency, lang); pp.Amount != 0 {
			t.Errorf("a fixed-amount link took the payer's amount %d", pp.Amount)
		}
	})
}

// FuzzParseAmount checks that an accepted amount is positive and survives
// a round trip through the locale's writing of it.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1,000.25", "10,50", "1 000", "0.001", "1e3", "١٢", "1.000,00", "1,000,00"} {
		f.Add(s, "en")
		f.Add(s, "de")
		f.Add(s, "fr")
	}
	f.Fuzz(func(t *testing.T, s, lang string) {
		for _, cur := range []string{"THB", "JPY", "KWD"} {
			n, err := ParseAmount(s, cur, lang)
			if err != nil {
				continue
			}
			if n <= 0 {
				t.Errorf("ParseAmount(%q, %s, %q) = %d", s, cur, lang, n)
			}
			written := FormatPlainAmount(n, cur, lang)
			back, err := ParseAmount(written, cur, lang)
			if err != nil || back != n {
				t.Errorf("ParseAmount(%q, %s, %q) = %d, written %q, which parses to %d, %v", s, cur, lang, n, written, back, err)
			}
		}
	})
}
