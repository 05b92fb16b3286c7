package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestBadJSONText(t *testing.T) {
	tests := []struct {
		raw  string
		bad  bool
		path []string
	}{
		{`{"title": "Pro Plan", "description": "line 1\nline 2\t✓ กาแฟ 😀"}`, false, nil},
		{`{"title": "\ud83d\ude00 emoji by escapes"}`, false, nil},
		{`{"title": "\\ud800 is only text here"}`, false, nil},
		{`{"title": "\u00e9\u0041"}`, false, nil},
		{`{"title": "\ud800"}`, true, []string{"title"}},
		{`{"title": "a\uDBFFb"}`, true, []string{"title"}},
		{`{"title": "\udc00"}`, true, []string{"title"}},
		{`{"title": "\ud800\u0041"}`, true, []string{"title"}},
		{`{"title": "\ud83d\ud83d"}`, true, []string{"title"}},
		{"{\"title\": \"a\xffb\"}", true, []string{"title"}},
		{"{\"title\": \"ok\", \"description\": \"\xc3\"}", true, []string{"description"}},
		{`{"amount": {"value": "5", "currency": "\ud800"}}`, true, []string{"amount", "currency"}},
		{`{"metadata": {"a": "b", "\ud800": "x"}}`, true, []string{"metadata"}},
		{`{"metadata": {"a": "b", "k": "\udfff"}}`, true, []string{"metadata", "k"}},
		{`{"tags": ["ok", "\ud800"]}`, true, []string{"tags"}},
		{`{"\ud800": 1}`, true, nil},
		{`{"card": {"name": "\ud800", "number": "4242"}}`, true, []string{"card", "name"}},
	}
	for _, tt := range tests {
		path, bad := BadJSONText([]byte(tt.raw))
		if bad != tt.bad || (bad && !slices.Equal(path, tt.path)) {
			t.Errorf("BadJSONText(%q) = %q, %v; want %q, %v", tt.raw, path, bad, tt.path, tt.bad)
		}
		if !tt.bad { // what passes decodes to exactly what was sent
			var v any
			if err := json.Unmarshal([]byte(tt.raw), &v); err != nil {
				t.Errorf("%q: %v", tt.raw, err)
			}
		}
	}
}

// FuzzBadJSONText checks BadJSONText against encoding/json: a JSON string
// it passes decodes without any U+FFFD that the input did not spell, and it
// never panics.
func FuzzBadJSONText(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud800"`, `"\ud83d\ude00"`, "\"\xff\"", `"\\ud800"`, `"\ufffd"`, `{"a":"\udc00"}`, `"\ud800\\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, bad := BadJSONText([]byte(raw))
		var s string
		if bad || json.Unmarshal([]byte(raw), &s) != nil {
			return
		}
		var reencoded string
		b, _ := json.Marshal(s)
		if err := json.Unmarshal(b, &reencoded); err != nil || reencoded != s {
			t.Fatalf("round trip of %q: %q, %v", raw, reencoded, err)
		}
		if n, want := countRuneError(s), countFFFDSpelled(raw); n > want {
			t.Fatalf("BadJSONText passed %q, which decodes to %q with %d U+FFFD (spelled %d)", raw, s, n, want)
		}
	})
}

func countRuneError(s string) int {
	n := 0
	for _, r := range s {
		if r == '\ufffd' {
			n++
		}
	}
	return n
}

// countFFFDSpelled counts the U+FFFD a JSON text spells: literally or as
// \ufffd.
func countFFFDSpelled(raw string) int {
	n := countRuneError(raw)
	for i := 0; i+6 <= len(raw); i++ {
		if raw[i] == '\\' {
			if raw[i+1] == 'u' && strings.EqualFold(raw[i+2:i+6], "fffd") {
				n++
			}
			i++
		}
	}
	return n
}

// BenchmarkBadJSONText measures the check on a typical v1 create body:
// plain UTF-8, and with an emoji written as an escaped surrogate pair.
func BenchmarkBadJSONText(b *testing.B) {
	for _, bc := range []struct{ name, raw string }{
		{"utf8", `{"title": "Pro plan กาแฟ", "fiatAmount": "99.00", "fiatCurrency": "USD", "description": "Line one\nLine two ☕", "successUrl": "https://shop.example.com/ok"}`},
		{"escaped-pair", `{"title": "Pro plan กาแฟ", "fiatAmount": "99.00", "fiatCurrency": "USD", "description": "Line one\nLine two \ud83d\ude00", "successUrl": "https://shop.example.com/ok"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			raw := []byte(bc.raw)
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, bad := BadJSONText(raw); bad {
					b.Fatal("refused")
				}
			}
		})
	}
}
