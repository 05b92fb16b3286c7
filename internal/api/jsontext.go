package api

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// BadJSONText finds the first string in the JSON document raw that
// encoding/json would silently change: raw bytes that are not valid UTF-8,
// or a \u escape of a lone UTF-16 surrogate ("\ud800"). Both decode to
// U+FFFD without an error, so a dialect calls this before decoding and
// refuses the body. bad reports whether there is one; path holds the names
// of the object members around it, outermost first ("amount", "currency"),
// up to the member whose name or value it is. A document that is not JSON
// at all is left to the decoder to refuse.
func BadJSONText(raw []byte) (path []string, bad bool) {
	if utf8.Valid(raw) && !hasSurrogateEscape(raw) {
		return nil, false // the common case: one pass, no allocation
	}
	if stringsFaithful(raw) {
		return nil, false // surrogate escapes, all in pairs: still no allocation
	}
	// Something is wrong: find where, to name the member.
	type level struct {
		object bool
		key    string
		atKey  bool // the next string is a member name
	}
	var stack []level
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			stack = append(stack, level{object: true, atKey: true})
		case '[':
			stack = append(stack, level{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].atKey = true
			}
		case '"':
			end, ok := jsonStringEnd(raw, i)
			s := raw[i:end]
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].atKey
			if !ok {
				around := stack
				if isKey { // the bad string is a member's name: report its object
					around = stack[:len(stack)-1]
				}
				for _, l := range around {
					if l.object {
						path = append(path, l.key)
					}
				}
				return path, true
			}
			if isKey {
				var k string
				_ = json.Unmarshal(s, &k)
				stack[len(stack)-1].key, stack[len(stack)-1].atKey = k, false
			}
			i = end - 1
		}
	}
	return nil, false // invalid UTF-8 outside any string: not JSON, the decoder refuses it
}

// stringsFaithful reports whether every string in raw is valid UTF-8
// without a lone surrogate escape.
func stringsFaithful(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '"' {
			end, ok := jsonStringEnd(raw, i)
			if !ok {
				return false
			}
			i = end - 1
		}
	}
	return true
}

// hasSurrogateEscape reports whether raw may hold a \u escape of a UTF-16
// surrogate (\uD800 to \uDFFF, any case).
func hasSurrogateEscape(raw []byte) bool {
	for {
		i := bytes.Index(raw, []byte(`\u`))
		if i < 0 || i+3 >= len(raw) {
			return false
		}
		if (raw[i+2] == 'd' || raw[i+2] == 'D') && isSurrogateNibble(raw[i+3]) {
			return true
		}
		raw = raw[i+2:]
	}
}

func isSurrogateNibble(c byte) bool {
	return c >= '8' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// jsonStringEnd returns the index just past the JSON string starting at the
// quote raw[start], and whether its text is faithful: valid UTF-8 and no
// unpaired surrogate escape. An unterminated string ends at len(raw).
func jsonStringEnd(raw []byte, start int) (end int, ok bool) {
	ok = true
	for i := start + 1; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			return i + 1, ok
		case c == '\\':
			if i+1 < len(raw) && raw[i+1] == 'u' {
				r, n := hex4(raw, i+2)
				if n && r >= 0xD800 && r <= 0xDBFF {
					// A high surrogate must be followed by an escaped low one.
					lo, n2 := rune(0), false
					if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
						lo, n2 = hex4(raw, i+8)
					}
					if !n2 || lo < 0xDC00 || lo > 0xDFFF {
						ok = false
						i += 6
						continue
					}
					i += 12
					continue
				}
				if n && r >= 0xDC00 && r <= 0xDFFF {
					ok = false
				}
				i += 6
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				ok = false
			}
			i += size
		}
	}
	return len(raw), ok
}

// hex4 reads four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
