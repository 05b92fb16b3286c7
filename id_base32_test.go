package paylinks

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestBase32RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := readerFunc(func(p []byte) (int, error) {
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		return len(p), nil
	})
	var prev string
	for i := range 1000 {
		id, err := NewID(time.UnixMilli(int64(1700000000000+i)), random)
		if err != nil {
			t.Fatal(err)
		}
		s := FormatBase32(id)
		if len(s) != 26 {
			t.Fatalf("FormatBase32(%s) = %q, want 26 characters", id, s)
		}
		if s <= prev {
			t.Errorf("FormatBase32 is not time-ordered: %q after %q", s, prev)
		}
		prev = s
		for _, in := range []string{s, strings.ToLower(s)} {
			got, ok := ParseBase32(in)
			if !ok || got != id {
				t.Fatalf("ParseBase32(%q) = %s, %v; want %s, true", in, got, ok, id)
			}
		}
	}
	for _, bad := range []string{"", "0", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01HXYZ", "01ARZ3NDEKTSV4RRFFQ69G5FAU", "01ARZ3NDEKTSV4RRFFQ69G5FAVX"} {
		if _, ok := ParseBase32(bad); ok {
			t.Errorf("ParseBase32(%q) = ok, want refused", bad)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func FuzzParseBase32(f *testing.F) {
	f.Add("01ARZ3NDEKTSV4RRFFQ69G5FAV")
	f.Add("7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseBase32(s)
		if ok && !strings.EqualFold(FormatBase32(id), s) {
			t.Errorf("ParseBase32(%q) = %s, which formats as %q", s, id, FormatBase32(id))
		}
	})
}
