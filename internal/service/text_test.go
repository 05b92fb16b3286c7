package service

import (
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	single := textField{code: "bad_request", param: "title", max: 5}
	multi := textField{code: "bad_request", param: "description", max: 5, lines: true}
	tests := []struct {
		name string
		f    textField
		in   string
		want string // "" = accepted, else a word of the message
	}{
		{"empty", single, "", ""},
		{"ascii", single, "Latte", ""},
		{"thai in characters", single, "กาแฟร", ""}, // 5 runes, 15 bytes
		{"emoji", single, "☕😀", ""},
		{"five characters of four bytes each", single, "😀😀😀😀😀", ""},
		{"six characters", single, "😀😀😀😀😀😀", "at most 5 characters"},
		{"U+FFFD itself is text", single, "a\ufffd", ""},
		{"NUL", single, "a\x00b", "NUL"},
		{"NUL in a description", multi, "a\x00b", "NUL"},
		{"escape", single, "a\x1bb", "control"},
		{"DEL", single, "a\x7fb", "control"},
		{"C1 NEL", single, "a\u0085b", "control"},
		{"C1 CSI", single, "a\u009bb", "control"},
		{"newline in a title", single, "a\nb", "control"},
		{"tab in a title", single, "a\tb", "control"},
		{"carriage return in a description", multi, "a\r\nb", "other than newlines and tabs"},
		{"newline and tab in a description", multi, "a\n\tb", ""},
		{"invalid byte", single, "a\xffb", "UTF-8"},
		{"truncated sequence", single, "a\xe0\xb8", "UTF-8"},
		{"encoded surrogate", single, "\xed\xa0\x80", "UTF-8"},
		{"overlong slash", single, "\xc0\xaf", "UTF-8"},
		{"no limit of its own", textField{param: "x"}, strings.Repeat("x", 10000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkText(tt.f, tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("checkText(%q) = %v, want accepted", tt.in, err)
			case tt.want != "" && err == nil:
				t.Fatalf("checkText(%q) accepted, want an error about %q", tt.in, tt.want)
			case err != nil:
				if err.Param != tt.f.param || err.Code != tt.f.code || !strings.Contains(err.Message, tt.want) ||
					!strings.Contains(err.Message, tt.f.name()) {
					t.Errorf("checkText(%q) = %+v, want %s on %s naming it, about %q", tt.in, err, tt.f.code, tt.f.param, tt.want)
				}
			}
		})
	}
}

// BenchmarkCheckText measures the check on a typical title and a long
// description with Thai text.
func BenchmarkCheckText(b *testing.B) {
	desc := strings.Repeat("A warm cup of กาแฟ, line one.\n", 60)
	b.SetBytes(int64(len(desc)))
	for b.Loop() {
		if checkText(titleText, "Hot latte, large") != nil || checkText(descriptionText, desc) != nil {
			b.Fatal("refused")
		}
	}
}
