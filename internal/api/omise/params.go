package omise

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
)

// maxBody is the largest request body read.
const maxBody = 1 << 20

// params are the request parameters, from the query string and the body,
// whatever its encoding: form with bracket nesting, JSON, or JSON on a GET.
// Values are strings, float64/json.Number, bools, nested params or lists.
type params map[string]any

// badParam is a decoding error naming the field.
type badParam struct {
	param, msg string
}

func (e *badParam) Error() string { return e.msg }

// decodeParams reads every parameter of r. Body parameters override query
// parameters of the same name.
func decodeParams(r *http.Request) (params, error) {
	p := params{}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, &badParam{"", "the query string is malformed"}
		}
		if err := p.addForm(q); err != nil {
			return nil, err
		}
	}
	if r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, &badParam{"", "the request body could not be read"}
	}
	if len(body) > maxBody {
		return nil, &badParam{"", "the request body is too large"}
	}
	return p, p.addBody(r.Header.Get("Content-Type"), body)
}

func (p params) addBody(contentType string, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || (mt != "application/x-www-form-urlencoded" && trimmed[0] == '{') {
		if path, bad := api.BadJSONText(trimmed); bad {
			return badText(path)
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return &badParam{"", "the request body is not a valid JSON object"}
		}
		if dec.More() {
			return &badParam{"", "the request body has data after the JSON object"}
		}
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				v = toParams(sub)
			}
			p[k] = v
		}
		return nil
	}
	q, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return &badParam{"", "the form body is malformed"}
	}
	return p.addForm(q)
}

// badText refuses a JSON body with a string that is not valid UTF-8 or
// holds a lone surrogate escape, naming the parameter as a form would
// ("card[name]"): encoding/json would quietly turn it into U+FFFD.
func badText(path []string) error {
	const msg = "must be valid UTF-8 text, without lone surrogate escapes like \\ud800"
	if len(path) == 0 {
		return &badParam{"", "the request body " + msg}
	}
	name := path[0]
	for _, p := range path[1:] {
		name += "[" + p + "]"
	}
	return &badParam{name, name + " " + msg}
}

func toParams(m map[string]any) params {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			m[k] = toParams(sub)
		}
	}
	return params(m)
}

// addForm adds form values, turning "card[number]" into p["card"]["number"]
// and "tags[]" into a list.
func (p params) addForm(q url.Values) error {
	for key, vals := range q {
		path, list, err := splitBrackets(key)
		if err != nil {
			return err
		}
		m := p
		for _, k := range path[:len(path)-1] {
			sub, ok := m[k].(params)
			if !ok {
				if _, exists := m[k]; exists {
					return &badParam{k, fmt.Sprintf("%s is given both as a value and as an object", k)}
				}
				sub = params{}
				m[k] = sub
			}
			m = sub
		}
		last := path[len(path)-1]
		if _, isObj := m[last].(params); isObj {
			return &badParam{last, fmt.Sprintf("%s is given both as a value and as an object", last)}
		}
		if list {
			items := make([]any, len(vals))
			for i, v := range vals {
				items[i] = v
			}
			m[last] = items
		} else {
			m[last] = vals[len(vals)-1]
		}
	}
	return nil
}

// splitBrackets splits "a[b][c]" into [a b c]; a trailing "[]" marks a list.
func splitBrackets(key string) (path []string, list bool, err error) {
	name, rest, nested := strings.Cut(key, "[")
	if name == "" {
		return nil, false, &badParam{key, fmt.Sprintf("malformed parameter name %q", key)}
	}
	path = []string{name}
	if !nested {
		return path, false, nil
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, false, &badParam{key, fmt.Sprintf("malformed parameter name %q", key)}
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, false, &badParam{key, fmt.Sprintf("malformed parameter name %q", key)}
		}
		part := rest[1:end]
		rest = rest[end+1:]
		if part == "" {
			if rest != "" {
				return nil, false, &badParam{key, fmt.Sprintf("malformed parameter name %q", key)}
			}
			return path, true, nil
		}
		path = append(path, part)
		if len(path) > 8 {
			return nil, false, &badParam{key, "parameters are nested too deeply"}
		}
	}
	return path, false, nil
}

// has reports whether the parameter is present and not null.
func (p params) has(name string) bool {
	v, ok := p[name]
	return ok && v != nil
}

// str returns a string parameter ("" when absent). Numbers and booleans are
// accepted and rendered as text.
func (p params) str(name string) (string, error) {
	switch v := p[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", &badParam{name, fmt.Sprintf("%s must be a string", name)}
}

// int64 returns an integer parameter; numeric strings are accepted. ok is
// false when absent.
func (p params) int64(name string) (n int64, ok bool, err error) {
	var s string
	switch v := p[name].(type) {
	case nil:
		return 0, false, nil
	case string:
		s = strings.TrimSpace(v)
	case json.Number:
		s = v.String()
	default:
		return 0, true, &badParam{name, fmt.Sprintf("%s must be an integer", name)}
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, &badParam{name, fmt.Sprintf("%s must be an integer", name)}
	}
	return n, true, nil
}

// amount returns an amount in minor units: a JSON integer or a plain digit
// string, with no sign, spaces, leading zeros, decimals or exponent (see
// paylinks.ParseAmount). ok is false when absent.
func (p params) amount(name string) (n int64, ok bool, err error) {
	var s string
	switch v := p[name].(type) {
	case nil:
		return 0, false, nil
	case string:
		s = v
	case json.Number:
		s = v.String()
	}
	n, valid := paylinks.ParseAmount(s)
	if !valid {
		return 0, true, &badParam{name, fmt.Sprintf("%s must be a whole number of the smallest currency unit, written with digits only", name)}
	}
	return n, true, nil
}

// bool returns a boolean parameter: true/false, or the strings "true",
// "false", "1", "0", "yes", "no", "on", "off" in any case.
func (p params) bool(name string) (b bool, ok bool, err error) {
	switch v := p[name].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	case string, json.Number:
		s := fmt.Sprint(v)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes", "on", "t", "y":
			return true, true, nil
		case "false", "0", "no", "off", "f", "n", "":
			return false, true, nil
		}
	}
	return false, true, &badParam{name, fmt.Sprintf("%s must be a boolean", name)}
}

// time returns an ISO 8601 time parameter ("" or absent: zero time).
func (p params) time(name string) (time.Time, error) {
	s, err := p.str(name)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &badParam{name, fmt.Sprintf("%s must be an ISO 8601 date and time", name)}
}

// sub returns a nested object parameter (nil when absent).
func (p params) sub(name string) (params, error) {
	switch v := p[name].(type) {
	case nil:
		return nil, nil
	case params:
		return v, nil
	}
	return nil, &badParam{name, fmt.Sprintf("%s must be an object", name)}
}

// stringMap returns a flat object of strings, such as metadata.
func (p params) stringMap(name string) (map[string]string, error) {
	sub, err := p.sub(name)
	if err != nil || sub == nil {
		return nil, err
	}
	out := make(map[string]string, len(sub))
	for k := range sub {
		v, err := sub.str(k)
		if err != nil {
			return nil, &badParam{name, fmt.Sprintf("%s values must be strings", name)}
		}
		out[k] = v
	}
	return out, nil
}
