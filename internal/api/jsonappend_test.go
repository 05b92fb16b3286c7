package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

var jsonStrings = []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f\x7f", "héllo wörld ☕ 𝄞", "line\u2028sep\u2029para", "bad \xff\xfe utf8 \xc3", "\xed\xa0\x80 surrogate",
	"emoji 👩‍💻 and ZWJ", "\u00a0nbsp\u200bzwsp"}

func TestAppendJSONStringMatchesMarshal(t *testing.T) {
	for _, s := range jsonStrings {
		want, _ := json.Marshal(s)
		if got := AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendJSONString(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

// FuzzAppendJSONString holds AppendJSONString to json.Marshal's bytes.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Skip()
		}
		if got := AppendJSONString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("AppendJSONString(%q) = %s, json.Marshal %s", s, got[1:], want)
		}
	})
}
