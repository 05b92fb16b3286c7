package priceblocs

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks"
)

// FuzzDecode feeds arbitrary bodies to the decoder of every request body
// shape: it never panics, an error is always an invalid-request error, and
// an amount or percentage it accepts parses only from a plain number.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"name": "Latte", "metadata": {"a": "b"}}`, `[1]`, `{"a":1} {}`, `null`,
		`{"unit_amount": 5.5}`, `{"unit_amount": "5"}`, `{"unit_amount": -5}`, `{"unit_amount": 1e3}`, `{"percent_off": 12.5}`,
		`{"recurring": {"interval": "month", "interval_count": 1.5}}`, `{"fixed_amount": {"amount": 500, "currency": "usd"}}`,
		`{"line_items": [{"price": "price_x", "quantity": 2, "adjustable_quantity": {"enabled": true}}]}`, `{"common": {}}`,
		`{"name": "\ud800"}`, "{\"name\": \"\xff\"}", `{"metadata": {"k": 1}}`, `{"percentage": 100.00001}`, `{"active": "yes"}`,
		`{"line_items": [{"price": "price_x"}], "custom_fields": [{"key": "a", "label": {"type": "custom", "custom": "A"}, "type": "dropdown",
			"dropdown": {"options": [{"label": "X", "value": "x"}]}}], "consent_collection": {"promotions": "auto", "terms_of_service": "required"},
			"restrictions": {"completed_sessions": {"limit": 0}}, "after_expiration": {"recovery": {"enabled": true}},
			"payment_intent_data": {"capture_method": "manual", "transfer_data": null}, "tax_id_collection": {"enabled": true, "type": "x"},
			"automatic_tax": {}, "dynamic_tax_rates": ["txr_1"], "adjustable_quantity": {"enabled": true, "maximum": 0}, "customer": null}`,
		`{"custom_fields": [{"label": null, "dropdown": {}}], "trial_end": 5, "line_items": [{"price": "p", "interval": null, "tax_rates": []}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(dst any) {
			r, _ := http.NewRequest("POST", "/v1/x", strings.NewReader(raw))
			r.Header.Set("Content-Type", "application/json")
			if err := decode(r, dst); err != nil {
				if e := paylinks.AsError(err); e == nil || e.Kind != paylinks.KindInvalid {
					t.Fatalf("decode(%q): %v, want an invalid-request error", raw, err)
				}
			}
		}
		check(new(productBody))
		var lb linkCreateBody
		check(&lb)
		// The body's translation decides nothing, and refuses only with an
		// invalid-request error naming a member.
		if p, err := lb.params(); err != nil {
			if e := paylinks.AsError(err); e == nil || e.Kind != paylinks.KindInvalid || e.Param == "" {
				t.Fatalf("params(%q): %v, want an invalid-request error naming a member", raw, err)
			}
		} else if p.PaymentLimit < 0 || len(p.LineItems) != len(lb.LineItems) {
			t.Fatalf("params(%q): limit %d, %d line items of %d", raw, p.PaymentLimit, len(p.LineItems), len(lb.LineItems))
		}
		check(new(shippingRateBody))
		var p priceBody
		check(&p)
		if p.UnitAmount != nil {
			if n, err := minorUnits("unit_amount", p.UnitAmount); err == nil && (n < 0 || strings.ContainsAny(string(*p.UnitAmount), ".eE-+")) {
				t.Errorf("unit_amount %q accepted as %d", *p.UnitAmount, n)
			}
		}
		var c couponBody
		check(&c)
		if c.PercentOff != nil {
			if v, err := percent("percent_off", c.PercentOff); err == nil && (v < 0 || v > paylinks.OneHundredPercent || strings.ContainsAny(string(*c.PercentOff), "eE-+")) {
				t.Errorf("percent_off %q accepted as %d", *c.PercentOff, v)
			}
		}
	})
}
