package v1

import (
	"strings"
	"testing"
)

// FuzzDecodeBody feeds arbitrary bodies to the JSON decoder and every
// accessor: they return values or errors, never panic, and an error is
// always an invalid-request error.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"title": "Pro Plan", "fiatAmount": "99.00"}`, `{"description": null}`,
		`{"amount": {"value": "5", "currency": "USD"}, "metadata": {"a": "b"}}`, `[1]`, `{"a":1} {}`, `null`, `{"active": "yes"}`,
		`{"expiresAt": "2024-01-15T10:00:00.000Z"}`, `{"fiatAmount": "1e3"}`, "{\"title\": \"\xff\"}",
		`{"title": "\ud800"}`, `{"title": "a\udc00b"}`, `{"title": "\ud83d\ude00"}`, `{"title": "\\ud800"}`, `{"title": "\ufffd"}`,
		`{"metadata": {"\ud800": "x"}}`, `{"amount": {"value": "5", "currency": "\udbff"}}`, "{\"description\": \"a\xe0\xb8\"}",
		`{"fiatAmount": "+99.00"}`, `{"fiatAmount": " 99.00"}`, `{"fiatAmount": "099.00"}`, `{"fiatAmount": "0.50"}`, `{"amount": "9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		b, err := parseBody([]byte(raw))
		if err != nil {
			return
		}
		// What is accepted decodes faithfully: no U+FFFD the body did
		// not spell (encoding/json's stand-in for bad UTF-8 and lone
		// surrogates).
		spelled := strings.Count(raw, "\ufffd") + strings.Count(strings.ToLower(raw), `\ufffd`)
		for name := range b {
			if strings.Count(name, "\ufffd") > spelled {
				t.Errorf("member name %q of %q has a U+FFFD the body did not spell", name, raw)
			}
			if v, _, _, err := b.str("", name); err == nil && strings.Count(v, "\ufffd") > spelled {
				t.Errorf("member %s = %q of %q has a U+FFFD the body did not spell", name, v, raw)
			}
		}
		_ = b.only("", "title", "fiatAmount")
		for name := range b {
			_, _, _, _ = b.str("", name)
			_, _ = b.required("", name)
			_, _ = b.optional("", name)
			_, _ = b.clearable("", name)
			_, _ = b.boolean(name)
			_, _ = b.stringMap(name)
			_, _ = b.timestamp(name)
			if o, err := b.object(name); err == nil && o != nil {
				_, _ = o.required(name+".", "value")
			}
			if s, err := b.optional("", name); err == nil && s != nil {
				if n, err := money(name, *s, "USD"); err == nil && (n <= 0 || strings.ContainsAny(*s, "-+eE$, \t\n") ||
					(len(*s) > 1 && (*s)[0] == '0' && (*s)[1] != '.')) {
					t.Errorf("money(%q) = %d, want an error", *s, n)
				}
				_ = positiveDecimal(*s)
			}
		}
	})
}
