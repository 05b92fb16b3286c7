package checkout

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// getView is the view of a checkout page as a GET shows it.
func getView() *view {
	return &view{PageTitle: "Hot latte · Acme Coffee", Test: true, Merchant: "Acme Coffee", Initial: "A",
		Title: "Hot latte", Description: "Oat milk, large", AmountText: "฿250.00", Currency: "THB", Available: true,
		Action: "/l/abc123", Quote: "25000.THB.k2x9", CSRF: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", Errors: map[string]string{}}
}

// BenchmarkRenderCheckout executes the checkout template of a GET, alone.
func BenchmarkRenderCheckout(b *testing.B) {
	h := New(nil, Options{})
	v := getView()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.pages["checkout"].ExecuteTemplate(io.Discard, "layout", v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPageCacheIdentical renders checkout pages of many shapes through the
// page cache (first miss, second miss, hits) and compares each with the
// template executed directly for the same view and token.
func TestPageCacheIdentical(t *testing.T) {
	h := New(nil, Options{})
	tricky := `<script>alert("x" + 'y')</script> & ฿ 日本 {{.}} ` + "\u2028"
	views := map[string]func(v *view){
		"plain":           func(v *view) {},
		"live":            func(v *view) { v.Test = false },
		"no description":  func(v *view) { v.Description = "" },
		"payer amount":    func(v *view) { v.AmountText, v.PayerAmount, v.AmountPlaceholder = "", true, "20.00" },
		"unavailable":     func(v *view) { v.Available = false },
		"cancel URL":      func(v *view) { v.CancelURL = "https://shop.example.com/cart?a=1&b=<2>" },
		"javascript URL":  func(v *view) { v.CancelURL = "javascript:alert(1)" },
		"tricky text":     func(v *view) { v.Title, v.Merchant, v.Description, v.PageTitle = tricky, tricky, tricky, tricky },
		"tricky currency": func(v *view) { v.PayerAmount, v.AmountText, v.Currency, v.AmountPlaceholder = true, "", `"><b>`, `"+'` },
		"session action":  func(v *view) { v.Action = "/c/cs_0123456789ABCDEFGHJKMNPQRS" },
		"token in title":  func(v *view) { v.Title = h.cache.token },
	}
	for name, edit := range views {
		t.Run(name, func(t *testing.T) {
			for i := range 4 {
				v := getView()
				edit(v)
				v.CSRF = fmt.Sprintf("%043d", i) // another payer's token each time
				var want, got bytes.Buffer
				if err := h.pages["checkout"].ExecuteTemplate(&want, "layout", v); err != nil {
					t.Fatal(err)
				}
				if err := h.execute(&got, "checkout", v); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("view %d: the page differs from the template's:\n got: %s\nwant: %s", i, got.Bytes(), want.Bytes())
				}
				if v.CSRF != fmt.Sprintf("%043d", i) {
					t.Fatalf("execute changed the view's token to %q", v.CSRF)
				}
			}
		})
	}
	// Not cached: the page without a form (no token), the page with the
	// cache's token in its title.
	if h.cache.hits == 0 || h.cache.admitted != len(views)-2 {
		t.Errorf("cache: %d hits, %d pages admitted; want hits and %d pages", h.cache.hits, h.cache.admitted, len(views)-2)
	}
}

// TestPageCacheSkips checks that pages with the request's own state are
// neither served from the cache nor put in it.
func TestPageCacheSkips(t *testing.T) {
	h := New(nil, Options{})
	edits := map[string]func(v *view){
		"form":        func(v *view) { v.Form.Email = "payer@example.com" },
		"errors":      func(v *view) { v.Errors["email"] = "Enter an email." },
		"form error":  func(v *view) { v.FormError = &formError{Title: "Declined"} },
		"card ending": func(v *view) { v.Form.CardLast4, v.Form.CardBrand = "4242", "Visa" },
		"short token": func(v *view) { v.CSRF = "abc" },
		"odd token":   func(v *view) { v.CSRF = strings.Repeat("+", 43) },
	}
	for name, edit := range edits {
		for range 3 {
			v := getView()
			edit(v)
			var want, got bytes.Buffer
			h.pages["checkout"].ExecuteTemplate(&want, "layout", v)
			if err := h.execute(&got, "checkout", v); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s: the page differs from the template's", name)
			}
		}
	}
	if h.cache.hits+h.cache.misses+h.cache.admitted != 0 || len(h.cache.entries) != 0 {
		t.Errorf("cache used: %d hits, %d misses, %d entries", h.cache.hits, h.cache.misses, len(h.cache.entries))
	}
}

// TestPageKeyCoversView keeps pageKey complete: every field of view is in
// the key, or is the token, or makes cacheKey refuse the view when set. A
// field added to view fails this test until it is one of them.
func TestPageKeyCoversView(t *testing.T) {
	keyType := reflect.TypeFor[pageKey]()
	for f := range reflect.TypeFor[view]().Fields() {
		if kf, ok := keyType.FieldByName(f.Name); ok {
			if kf.Type != f.Type {
				t.Errorf("pageKey.%s is a %s, view.%s a %s", f.Name, kf.Type, f.Name, f.Type)
			}
			continue
		}
		if f.Name == "CSRF" {
			continue
		}
		v := getView()
		if !setSomething(reflect.ValueOf(v).Elem().FieldByIndex(f.Index)) {
			t.Errorf("view.%s: no test for a %s", f.Name, f.Type)
			continue
		}
		if _, ok := cacheKey(v); ok {
			t.Errorf("view.%s is not in pageKey, yet a view with it set is cached", f.Name)
		}
	}
	for f := range keyType.Fields() {
		if _, ok := reflect.TypeFor[view]().FieldByName(f.Name); !ok {
			t.Errorf("pageKey.%s is no field of view", f.Name)
		}
	}
	// cacheKey copies every field.
	v := getView()
	v.CancelURL, v.AmountPlaceholder, v.PayerAmount = "u", "p", true
	k, _ := cacheKey(v)
	kv := reflect.ValueOf(k)
	for f := range keyType.Fields() {
		if got, want := kv.FieldByIndex(f.Index).Interface(), reflect.ValueOf(v).Elem().FieldByName(f.Name).Interface(); got != want {
			t.Errorf("cacheKey: %s = %v, want %v", f.Name, got, want)
		}
	}
}

// TestPageCacheBounds fills the cache past its bounds.
func TestPageCacheBounds(t *testing.T) {
	for _, tt := range []struct{ entries, bytes int }{{10, 1 << 20}, {1000, 40 << 10}} {
		c := newPageCache(tt.entries, tt.bytes)
		page := bytes.Repeat([]byte("x"), 3000)
		for i := range 500 {
			k := pageKey{Action: fmt.Sprint("/l/", i)}
			c.add(k, page, page[:100])
			c.add(k, page, page[:100]) // the second miss admits it
			var b bytes.Buffer
			if !c.write(&b, k, "T") || b.Len() != 3101 {
				t.Fatalf("page %d: not cached right after it was admitted", i)
			}
			if len(c.entries) > tt.entries || c.bytes > tt.bytes || c.lru.Len() != len(c.entries) {
				t.Fatalf("page %d: %d entries (list %d), %d bytes; bounds %d, %d", i, len(c.entries), c.lru.Len(), c.bytes, tt.entries, tt.bytes)
			}
		}
		// The most recent pages are the ones kept.
		var b bytes.Buffer
		if !c.write(&b, pageKey{Action: "/l/499"}, "T") || c.write(&b, pageKey{Action: "/l/0"}, "T") {
			t.Errorf("bounds %d, %d: the cache did not keep the most recent page only", tt.entries, tt.bytes)
		}
	}
}

// TestFieldsKeyCoversView keeps fieldsKey complete: every field of
// fieldsView is in the key, or makes key refuse the view when set.
func TestFieldsKeyCoversView(t *testing.T) {
	keyType := reflect.TypeFor[fieldsKey]()
	for f := range reflect.TypeFor[fieldsView]().Fields() {
		if kf, ok := keyType.FieldByName(f.Name); ok {
			if kf.Type != f.Type {
				t.Errorf("fieldsKey.%s is a %s, fieldsView.%s a %s", f.Name, kf.Type, f.Name, f.Type)
			}
			continue
		}
		fv := fieldsView{Errors: map[string]string{}}
		if !setSomething(reflect.ValueOf(&fv).Elem().FieldByIndex(f.Index)) {
			t.Errorf("fieldsView.%s: no test for a %s", f.Name, f.Type)
		}
		if _, ok := fv.key(); ok {
			t.Errorf("fieldsView.%s is not in fieldsKey, yet fields with it set are cached", f.Name)
		}
	}
	fv := fieldsView{PayerAmount: true, Currency: "JPY", AmountPlaceholder: "100"}
	if k, ok := fv.key(); !ok || k != (fieldsKey{PayerAmount: true, Currency: "JPY", AmountPlaceholder: "100"}) {
		t.Errorf("key() = %+v, %v", k, ok)
	}
}

// setSomething sets v, a field, to a value other than its zero value.
func setSomething(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(reflect.ValueOf("email"), reflect.ValueOf("x"))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Struct:
		v.Field(0).SetString("x")
	default:
		return false
	}
	return true
}

// TestFieldsCached renders the form inputs of many views twice (the second
// time from the fields cache) and compares them with the "fields" template
// executed directly.
func TestFieldsCached(t *testing.T) {
	h := New(nil, Options{})
	edits := []func(v *view){
		func(v *view) {},
		func(v *view) { v.PayerAmount, v.AmountPlaceholder = true, "20.00" },
		func(v *view) { v.PayerAmount, v.Currency, v.AmountPlaceholder = true, "JPY", "100" },
		func(v *view) { v.PayerAmount, v.Currency, v.AmountPlaceholder = true, `<"'&+>`, `<"'&+>` },
		func(v *view) { v.Form.Email, v.Errors["email"] = `a"b@example.com`, "Enter an <email>." },
		func(v *view) { v.Form.CardLast4, v.Form.CardBrand = "4242", "Visa" },
		func(v *view) { v.FormError = &formError{Title: "Declined", Message: "<b>no</b>"} },
	}
	for i, edit := range edits {
		for round := range 2 {
			v := getView()
			edit(v)
			got, err := h.fields(v)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			f := fieldsView{PayerAmount: v.PayerAmount, Currency: v.Currency, AmountPlaceholder: v.AmountPlaceholder,
				Form: v.Form, Errors: v.Errors, FormError: v.FormError}
			if err := h.pages["checkout"].ExecuteTemplate(&want, "fields", &f); err != nil {
				t.Fatal(err)
			}
			if string(got) != want.String() {
				t.Errorf("view %d, round %d: fields differ:\n got: %s\nwant: %s", i, round, got, want.String())
			}
		}
	}
	if n := len(h.fieldsCache.m); n != 4 {
		t.Errorf("%d fields cached, want 4 (the views without typed values or errors)", n)
	}
}

// TestPageCacheDoorkeeper: pages seen once each, as views spread evenly
// over many links, do not enter the cache; a page seen again soon does.
func TestPageCacheDoorkeeper(t *testing.T) {
	c := newPageCache(pageCacheEntries, pageCacheBytes)
	page := []byte("<p>page</p>")
	for i := range 50000 {
		c.add(pageKey{Action: fmt.Sprint("/l/", i)}, page, page)
	}
	if c.admitted != 0 || len(c.entries) != 0 {
		t.Errorf("%d pages seen once each: %d admitted, want 0", 50000, c.admitted)
	}
	k := pageKey{Action: "/l/hot"}
	c.add(k, page, page)
	c.add(pageKey{Action: "/l/other"}, page, page)
	c.add(k, page, page)
	if c.admitted != 1 || len(c.entries) != 1 {
		t.Errorf("a page seen twice: %d admitted, want 1", c.admitted)
	}
}
